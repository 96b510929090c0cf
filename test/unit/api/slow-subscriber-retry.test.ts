/**
 * A subscriber that falls behind is closed with 1013 (Try Again Later): a
 * stock graphql-ws client with `retryAttempts` reconnects by itself and,
 * subscribing again with the last cursor it received (the payload's
 * `variables` object is sent anew on each connection), gets every complaint
 * exactly once.
 */
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CloseCode } from '../../../src/server/close-codes.js';
import { enrichedToRecord } from '../../../src/domain/index.js';
import { collect, customer, deferred, raise, rating, startApi, until, VIEWER_KEY, wsClient, type Harness } from './harness.js';

const RAISED = 'subscription($after: String) { complaintRaised(after: $after) { cursor complaint { id rating { message } } } }';

interface Raised {
  complaintRaised: { cursor: string; complaint: { id: string } };
}

/** `ws` sockets that the test can reach, to stop reading one. */
const sockets: WebSocket[] = [];
class ReachableWebSocket extends WebSocket {
  constructor(...args: ConstructorParameters<typeof WebSocket>) {
    super(...args);
    sockets.push(this);
  }
}

describe('a slow subscriber with a stock graphql-ws client', () => {
  let h: Harness;
  const alice = customer(1);
  beforeAll(async () => {
    h = await startApi({ env: { SUBSCRIBER_BUFFER: '20' }, slowCloseTimeoutMs: 60_000 });
  });
  afterAll(() => h.close());

  it('is closed with 1013, reconnects by itself, and resumes from its last cursor with no gap and no duplicate', async () => {
    const closes: number[] = [];
    let connections = 0;
    const client = createClient({
      url: h.wsUrl,
      webSocketImpl: ReachableWebSocket,
      connectionParams: { authorization: VIEWER_KEY },
      retryAttempts: 3,
      retryWait: async () => undefined, // at once (the default waits seconds, with jitter)
      on: {
        connected: () => connections++,
        closed: (e) => closes.push((e as { code: number }).code),
      },
    });
    // One sentinel per partition: order holds within a partition only, so
    // once each partition's sentinel arrived, everything before it did too.
    const PARTITIONS = [0, 1, 2];
    const SENTINELS = PARTITIONS.map((p) => String(999_990 + p));
    const variables: { after: string | null } = { after: null };
    const seen = new Map<string, number>();
    const sentinel = deferred();
    const failed = deferred<unknown>();
    const dispose = client.subscribe<Raised>(
      { query: RAISED, variables },
      {
        next: (r) => {
          const event = r.data?.complaintRaised;
          if (!event) return failed.resolve(r.errors);
          variables.after = event.cursor; // what a reconnection resumes from
          seen.set(event.complaint.id, (seen.get(event.complaint.id) ?? 0) + 1);
          if (SENTINELS.every((id) => seen.has(id))) sentinel.resolve();
        },
        error: (e) => failed.resolve(e),
        complete: () => undefined,
      },
    );
    // A fast reader, to know when each batch went out.
    const fast = wsClient(h);
    const witness = collect<Raised>(fast, RAISED);
    await until(() => h.server.liveFeed.subscriberCount('complaints') === 2, 'both subscribers to attach');
    const socket = sockets.at(-1)!;
    socket.pause(); // stop reading: the kernel buffers fill, then the server's sends stall

    const message = 'x'.repeat(16_000);
    let sent = 0;
    const dropped = () => h.server.liveFeed.subscriberCount('complaints') === 1;
    for (let batch = 0; batch < 400 && !dropped(); batch++) {
      await raise(
        h,
        Array.from({ length: 10 }, (_, i) => rating(10_000 + sent + i, alice, { message })),
      );
      sent += 10;
      await witness.waitFor(sent);
    }
    expect(dropped()).toBe(true);
    expect(connections).toBe(1);
    socket.resume(); // read what was sent, then the close frame: the client reconnects and resubscribes
    // Raised at once: whether they are live or replayed by then, they must arrive once.
    await h.log.produce(SENTINELS.map((id, p) => ({ topic: h.config.topics.complaints, partition: p, key: id, value: JSON.stringify(enrichedToRecord(rating(Number(id), alice))) })));
    const outcome = await Promise.race([sentinel.promise.then(() => 'sentinel'), failed.promise.then((e) => `failed: ${JSON.stringify(e)}`)]);
    expect(outcome).toBe('sentinel');

    expect(closes[0]).toBe(CloseCode.SlowConsumer);
    expect(CloseCode.SlowConsumer).toBe(1013);
    expect(connections).toBe(2);
    const expected = [...Array.from({ length: sent }, (_, i) => String(10_000 + i)), ...SENTINELS];
    expect([...seen.keys()].sort()).toEqual(expected.sort());
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    dispose();
    await client.dispose();
    await fast.dispose();
  }, 60_000);
});
