/**
 * Fan-out cost: N subscribers of one live event must cost O(1) search calls
 * for that event, not O(N). Each subscriber sends its own query text (an
 * alias of its own), so nothing but the per-event lookups can be shared.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MemorySearch } from '../../../src/adapters/memory/search-index.js';
import { enrichedToRecord } from '../../../src/domain/index.js';
import type { SearchIndex } from '../../../src/ports/search.js';
import { AGENT_KEY, collect, customer, gql, raise, rating, seed, startApi, until, wsClient, type Collector, type Harness, type Loose } from './harness.js';

const N = 50;
const COUNTED = ['getComplaint', 'getComplaintsByIds', 'getCustomer', 'getCustomersByIds', 'searchRatings'] as const;
type Counted = (typeof COUNTED)[number];

function counting(search: MemorySearch): { index: SearchIndex; calls: Record<Counted, number>; reset(): void } {
  const calls = Object.fromEntries(COUNTED.map((k) => [k, 0])) as Record<Counted, number>;
  const overrides: Record<string, unknown> = {};
  for (const k of COUNTED) {
    overrides[k] = (...args: unknown[]) => {
      calls[k]++;
      return (search[k] as (...a: unknown[]) => unknown).apply(search, args);
    };
  }
  return {
    index: Object.assign(Object.create(search) as SearchIndex, overrides),
    calls,
    reset: () => {
      for (const k of COUNTED) calls[k] = 0;
    },
  };
}

describe(`${N} subscribers of one event`, () => {
  let h: Harness;
  let counter: ReturnType<typeof counting>;
  const alice = customer(1, 'platinum');
  let subs: Collector<Loose>[] = [];

  beforeAll(async () => {
    h = await startApi({
      // 150 subscribe messages from one address in a few seconds: the per-key rate limit is not what this measures.
      env: { MAX_SUBSCRIPTIONS_PER_CONNECTION: String(N), RATE_LIMIT_VIEWER: 'off', RATE_LIMIT_AGENT: 'off' },
      wrapSearch: (s) => {
        counter = counting(s);
        return counter.index;
      },
    });
    await seed(h.search, [alice], [rating(500, alice)], [rating(500, alice), rating(600, alice), rating(700, alice)]);
  });
  afterEach(() => {
    for (const s of subs) s.dispose();
    subs = [];
  });
  afterAll(() => h.close());

  it('complaintRaised, live: no lookup at all; the complaint as raised, with the customer joined into the rating', async () => {
    const client = wsClient(h);
    subs = Array.from({ length: N }, (_, i) => collect(client, `subscription { complaintRaised { s${i}: complaint { id status customer { fullName } rating { customer { id } } } } }`));
    await until(() => h.server.liveFeed.subscriberCount('complaints') === N, 'subscribers to attach', 60_000);
    counter.reset();
    await raise(h, [rating(600, alice)]);
    const got = await Promise.all(subs.map((s) => s.waitFor(1)));
    got.forEach((r, i) => expect(r[0]!.data!.complaintRaised[`s${i}`]).toEqual({ id: '600', status: 'OPEN', customer: { fullName: 'First1 Last1' }, rating: { customer: { id: '1' } } }));
    expect(counter.calls).toEqual({ getComplaint: 0, getComplaintsByIds: 0, getCustomer: 0, getCustomersByIds: 0, searchRatings: 0 });
    await client.dispose();
  });

  it('complaintUpdated: one complaint lookup and one customer lookup per acknowledgement', async () => {
    const client = wsClient(h);
    subs = Array.from({ length: N }, (_, i) => collect(client, `subscription { complaintUpdated { u${i}: id status acknowledgement { by } customer { fullName } } }`));
    await until(() => h.server.liveFeed.subscriberCount('acknowledgements') === N, 'subscribers to attach', 60_000);
    counter.reset();
    const res = await gql(h, 'mutation { acknowledgeComplaint(id: "700") { outcome } }', undefined, AGENT_KEY);
    expect(res.body.data).toEqual({ acknowledgeComplaint: { outcome: 'ACKNOWLEDGED' } });
    const got = await Promise.all(subs.map((s) => s.waitFor(1)));
    got.forEach((r, i) => expect(r[0]!.data!.complaintUpdated).toEqual({ [`u${i}`]: '700', status: 'ACKNOWLEDGED', acknowledgement: { by: 'alice' }, customer: { fullName: 'First1 Last1' } }));
    expect(counter.calls.getComplaintsByIds + counter.calls.getComplaint).toBe(1);
    expect(counter.calls.getCustomersByIds + counter.calls.getCustomer).toBe(1);
    await client.dispose();
  });

  it('ratingAdded: one customer lookup and one complaint lookup per rating', async () => {
    const client = wsClient(h);
    subs = Array.from({ length: N }, (_, i) => collect(client, `subscription { ratingAdded { r${i}: id customer { fullName } complaint { id } } }`));
    await until(() => h.server.liveFeed.subscriberCount('ratings') === N, 'subscribers to attach', 60_000);
    counter.reset();
    await h.log.produce([{ topic: h.config.topics.ratingsEnriched, key: '1', value: JSON.stringify(enrichedToRecord(rating(500, alice))) }]);
    const got = await Promise.all(subs.map((s) => s.waitFor(1)));
    got.forEach((r, i) => expect(r[0]!.data!.ratingAdded).toEqual({ [`r${i}`]: '500', customer: { fullName: 'First1 Last1' }, complaint: { id: '500' } }));
    expect(counter.calls.getCustomersByIds + counter.calls.getCustomer).toBe(1);
    expect(counter.calls.getComplaintsByIds + counter.calls.getComplaint).toBe(1);
    await client.dispose();
  });

  it('a replayed complaintRaised event reads the state as indexed now (one lookup); the live one carries it as raised', async () => {
    const client = wsClient(h);
    const live = collect<Loose>(client, 'subscription { complaintRaised { cursor replayed complaint { id status } } }');
    subs = [live];
    await until(() => h.server.liveFeed.subscriberCount('complaints') === 1, 'the subscriber to attach');
    await raise(h, [rating(800, alice)]); // its cursor marks where the replay starts
    await raise(h, [rating(700, alice)]); // acknowledged by the complaintUpdated case above
    const [marker, raised] = await live.waitFor(2);
    expect(raised!.data!.complaintRaised).toMatchObject({ replayed: false, complaint: { id: '700', status: 'OPEN' } });

    counter.reset();
    const replay = collect<Loose>(client, 'subscription($after: String) { complaintRaised(after: $after) { replayed complaint { id status } } }', {
      after: marker!.data!.complaintRaised.cursor,
    });
    subs.push(replay);
    const [r] = await replay.waitFor(1);
    expect(r!.data!.complaintRaised).toEqual({ replayed: true, complaint: { id: '700', status: 'ACKNOWLEDGED' } });
    expect(counter.calls.getComplaintsByIds + counter.calls.getComplaint).toBe(1);
    await client.dispose();
  });
});
