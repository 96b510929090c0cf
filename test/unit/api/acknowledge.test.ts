import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_KEY, codes, collect, customer, gql, rating, seed, startApi, until, wsClient, type Harness } from './harness.js';

const AGENTS = Array.from({ length: 100 }, (_, i) => ({ key: `crowd-key-${String(i).padStart(4, '0')}`, name: `agent${i}` }));
const ACK = `mutation($id: ID!, $note: String) { acknowledgeComplaint(id: $id, note: $note) {
  outcome complaint { id status acknowledgement { by } } acknowledgement { by byName at via note } } }`;

describe('acknowledgeComplaint', () => {
  let h: Harness;
  const alice = customer(1);
  beforeAll(async () => {
    h = await startApi({ env: { API_KEYS: [`${AGENT_KEY}:agent:alice`, ...AGENTS.map((a) => `${a.key}:agent:${a.name}`)].join(',') } });
    await seed(h.search, [alice], [], [rating(1, alice), rating(2, alice), rating(3, alice)]);
  });
  afterAll(() => h.close());

  it('acknowledges once; a second call reports who was first', async () => {
    const first = await gql(h, ACK, { id: '1', note: ' called them back ' }, AGENT_KEY);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data!.acknowledgeComplaint).toMatchObject({
      outcome: 'ACKNOWLEDGED',
      complaint: { id: '1', status: 'ACKNOWLEDGED', acknowledgement: { by: 'alice' } },
      acknowledgement: { by: 'alice', byName: null, via: 'GRAPHQL', note: 'called them back' },
    });
    const second = await gql(h, ACK, { id: '1' }, AGENTS[0]!.key);
    expect(second.body.data!.acknowledgeComplaint).toMatchObject({ outcome: 'ALREADY_ACKNOWLEDGED', acknowledgement: { by: 'alice', at: first.body.data!.acknowledgeComplaint.acknowledgement.at } });
    const read = await gql(h, '{ complaint(id: "1") { status acknowledgement { by note } } }', undefined, AGENT_KEY);
    expect(read.body.data).toEqual({ complaint: { status: 'ACKNOWLEDGED', acknowledgement: { by: 'alice', note: 'called them back' } } });
  });

  it('answers NOT_FOUND for an unknown complaint and BAD_USER_INPUT for a bad id or note', async () => {
    expect(codes(await gql(h, ACK, { id: '424242' }, AGENT_KEY))).toEqual(['NOT_FOUND']);
    expect(codes(await gql(h, ACK, { id: 'abc' }, AGENT_KEY))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await gql(h, ACK, { id: '3', note: 'x'.repeat(2_001) }, AGENT_KEY))).toEqual(['BAD_USER_INPUT']);
  });

  it('lets exactly one of 100 concurrent agents win; every complaintUpdated subscriber sees one update', async () => {
    const clients = Array.from({ length: 3 }, () => wsClient(h, AGENT_KEY));
    const subs = clients.map((c) => collect(c, 'subscription { complaintUpdated { id status acknowledgement { by } } }'));
    const onlyTwo = collect(clients[0]!, 'subscription($id: ID) { complaintUpdated(id: $id) { id } }', { id: '2' });
    await until(() => h.server.liveFeed.subscriberCount('acknowledgements') === 4, 'subscribers to attach');

    const results = await Promise.all(AGENTS.map((a) => gql(h, ACK, { id: '2' }, a.key)));
    for (const r of results) expect(r.body.errors).toBeUndefined();
    const payloads = results.map((r) => r.body.data!.acknowledgeComplaint);
    const winners = payloads.filter((p) => p.outcome === 'ACKNOWLEDGED');
    expect(winners).toHaveLength(1);
    const winner = winners[0].acknowledgement.by;
    const losers = payloads.filter((p) => p.outcome === 'ALREADY_ACKNOWLEDGED');
    expect(losers).toHaveLength(99);
    for (const l of losers) expect(l.acknowledgement.by).toBe(winner);

    // Then one more acknowledgement of another complaint: each subscriber must see
    // it right after the single update of complaint 2, so nothing else came between.
    await gql(h, ACK, { id: '3' }, AGENT_KEY);
    for (const s of subs) {
      const got = await s.waitFor(2);
      expect(got.map((r) => r.data)).toEqual([
        { complaintUpdated: { id: '2', status: 'ACKNOWLEDGED', acknowledgement: { by: winner } } },
        { complaintUpdated: { id: '3', status: 'ACKNOWLEDGED', acknowledgement: { by: 'alice' } } },
      ]);
    }
    expect((await onlyTwo.waitFor(1)).map((r) => r.data)).toEqual([{ complaintUpdated: { id: '2' } }]);
    expect(h.log.records(h.config.topics.acknowledgements).filter((r) => r.key?.toString() === '2')).toHaveLength(1);
    await Promise.all(clients.map((c) => c.dispose()));
  });
});
