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

  it('complaintRaised: one complaint lookup and at most two customer lookups per event', async () => {
    const client = wsClient(h);
    subs = Array.from({ length: N }, (_, i) =>
      collect(client, `subscription { complaintRaised { s${i}: complaint { id status customer { fullName } rating { customer { id } } } } }`),
    );
    await until(() => h.server.liveFeed.subscriberCount('complaints') === N, 'subscribers to attach', 60_000);
    counter.reset();
    await raise(h, [rating(600, alice)]);
    const got = await Promise.all(subs.map((s) => s.waitFor(1)));
    got.forEach((r, i) => expect(r[0]!.data!.complaintRaised[`s${i}`]).toEqual({ id: '600', status: 'OPEN', customer: { fullName: 'First1 Last1' }, rating: { customer: { id: '1' } } }));
    expect(counter.calls.getComplaintsByIds + counter.calls.getComplaint).toBe(1);
    expect(counter.calls.getCustomersByIds + counter.calls.getCustomer).toBeGreaterThanOrEqual(1);
    expect(counter.calls.getCustomersByIds + counter.calls.getCustomer).toBeLessThanOrEqual(2);
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

  it('still reads the index per event: a later event sees the state as it is then', async () => {
    const client = wsClient(h);
    subs = [collect(client, 'subscription { complaintRaised { complaint { id status } } }')];
    await until(() => h.server.liveFeed.subscriberCount('complaints') === 1, 'the subscriber to attach');
    await raise(h, [rating(700, alice)]); // acknowledged by the test above
    const [r] = await subs[0]!.waitFor(1);
    expect(r!.data!.complaintRaised.complaint).toEqual({ id: '700', status: 'ACKNOWLEDGED' });
    await client.dispose();
  });
});
