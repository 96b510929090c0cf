import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { enrichedToRecord } from '../../../src/domain/index.js';
import { collect, customer, deferred, raise, rating, startApi, until, VIEWER_KEY, wsClient, type Harness } from './harness.js';

const RAISED = `subscription($after: String) { complaintRaised(after: $after) {
  cursor replayed raisedAt complaint { id status rating { stars message } customer { id clubStatus } } } }`;

interface Raised {
  complaintRaised: { cursor: string; replayed: boolean; complaint: { id: string; status: string; customer: { id: string } } };
}

describe('subscriptions over WebSocket', () => {
  let h: Harness;
  const alice = customer(1);
  beforeAll(async () => {
    h = await startApi();
  });
  afterAll(() => h.close());

  it('delivers complaints live, each with a cursor; resuming with the last cursor gives exactly the missed ones, then live ones', async () => {
    const witness = collect<Raised>(wsClient(h), RAISED); // keeps the hub reading while the other is away
    const client = wsClient(h);
    const first = collect<Raised>(client, RAISED);
    await until(() => h.server.liveFeed.subscriberCount('complaints') === 2, 'subscribers to attach');
    await raise(h, [rating(101, alice), rating(102, alice)]);
    const seen = await first.waitFor(2);
    expect(seen.map((r) => r.data!.complaintRaised.complaint.id).sort()).toEqual(['101', '102']);
    expect(seen[0]!.data!.complaintRaised).toMatchObject({ replayed: false, complaint: { status: 'OPEN', customer: { id: '1' } } });
    const lastCursor = seen[1]!.data!.complaintRaised.cursor;
    await client.dispose(); // disconnect
    await until(() => h.server.liveFeed.subscriberCount('complaints') === 1, 'the disconnected subscriber to be removed');

    await raise(h, [rating(103, alice), rating(104, alice), rating(105, alice)]); // missed
    await witness.waitFor(5);

    const again = wsClient(h);
    const resumed = collect<Raised>(again, RAISED, { after: lastCursor });
    const replayed = await resumed.waitFor(3);
    expect(replayed.map((r) => r.data!.complaintRaised.complaint.id).sort()).toEqual(['103', '104', '105']);
    expect(replayed.every((r) => r.data!.complaintRaised.replayed)).toBe(true);

    await raise(h, [rating(106, alice)]); // live again
    const all = await resumed.waitFor(4);
    expect(all[3]!.data!.complaintRaised).toMatchObject({ replayed: false, complaint: { id: '106' } });
    expect(resumed.results).toHaveLength(4);
    await again.dispose();
    witness.dispose();
  });

  it('answers a malformed cursor with BAD_USER_INPUT', async () => {
    const client = wsClient(h);
    const sub = collect(client, RAISED, { after: 'not a cursor' });
    await sub.completed;
    expect(sub.results[0]!.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(sub.results[0]!.errors![0]!.message).toMatch(/cursor/);
    await client.dispose();
  });

  it('delivers ratings matching the filter only', async () => {
    const client = wsClient(h);
    const sub = collect<{ ratingAdded: { id: string; stars: number; channel: string } }>(
      client,
      'subscription { ratingAdded(filter: { starsMax: 2, channels: ["ios"] }) { id stars channel customer { id } } }',
    );
    await until(() => h.server.liveFeed.subscriberCount('ratings') === 1, 'the subscriber to attach');
    await h.log.produce(
      [rating(201, alice, { stars: 5 }), rating(202, alice, { stars: 1, channel: 'web' }), rating(203, alice, { stars: 2, channel: 'iOS' })].map((r) => ({
        topic: h.config.topics.ratingsEnriched,
        key: String(r.customer.id),
        value: JSON.stringify(enrichedToRecord(r)),
      })),
    );
    const [got] = await sub.waitFor(1);
    expect(got!.data).toEqual({ ratingAdded: { id: '203', stars: 2, channel: 'iOS', customer: { id: '1' } } });
    await client.dispose();
  });

  it('disconnects a slow WebSocket reader with 1013 (Try Again Later) while a fast one receives everything', async () => {
    const small = await startApi({ env: { SUBSCRIBER_BUFFER: '20' }, slowCloseTimeoutMs: 60_000 });
    try {
      const fast = wsClient(small);
      const fastSub = collect<Raised>(fast, 'subscription { complaintRaised { complaint { id rating { message } } } }');

      // The slow reader: a raw socket that stops reading once subscribed.
      const slow = new WebSocket(small.wsUrl, 'graphql-transport-ws');
      const acked = deferred();
      const closed = deferred<{ code: number; reason: string }>();
      slow.on('message', (data) => {
        if (JSON.parse(String(data)).type === 'connection_ack') acked.resolve();
      });
      slow.on('close', (code, reason) => closed.resolve({ code, reason: reason.toString() }));
      await new Promise<void>((resolve) => slow.once('open', () => resolve()));
      slow.send(JSON.stringify({ type: 'connection_init', payload: { authorization: VIEWER_KEY } }));
      await acked.promise;
      slow.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { complaintRaised { complaint { id rating { message } } } }' } }));
      await until(() => small.server.liveFeed.subscriberCount('complaints') === 2, 'both subscribers to attach');
      slow.pause(); // stop reading: the kernel buffers fill, then the server's sends stall

      const dropped = () => small.server.liveFeed.subscriberCount('complaints') === 1;
      const message = 'x'.repeat(16_000);
      let sent = 0;
      for (let batch = 0; batch < 400 && !dropped(); batch++) {
        const ids = Array.from({ length: 10 }, (_, i) => 10_000 + sent + i);
        await raise(
          small,
          ids.map((id) => rating(id, alice, { message })),
        );
        sent += ids.length;
        await fastSub.waitFor(sent); // the fast reader keeps up, batch after batch
      }
      expect(dropped()).toBe(true);
      expect(fastSub.results).toHaveLength(sent);
      expect(fastSub.results.map((r) => Number(r.data!.complaintRaised.complaint.id)).sort((a, b) => a - b)).toEqual(Array.from({ length: sent }, (_, i) => 10_000 + i));

      // The fast one goes on after the slow one is gone.
      await raise(small, [rating(99_999, alice)]);
      await fastSub.waitFor(sent + 1);

      slow.resume(); // drain what was queued: the close frame with the reason comes last
      const { code, reason } = await closed.promise;
      expect(code).toBe(1013);
      expect(reason).toMatch(/SLOW_CONSUMER/);
      const metrics = await small.registry.metrics();
      expect(metrics).toMatch(/graphql_slow_subscribers_dropped_total\{stream="complaints"\} 1/);
      await fast.dispose();
    } finally {
      await small.close();
    }
  });
});
