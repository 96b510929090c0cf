import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemorySearch } from '../../../src/adapters/memory/search-index.js';
import type { SearchIndex } from '../../../src/ports/search.js';
import { ProcessorState, type ProcessorStatus } from '../../../src/ports/stream-runtime.js';
import type { Sink } from '../../../src/sink/sink.js';
import { sinkStatusSource } from '../../../src/server/index.js';
import { codes, customer, gql, rating, seed, startApi, type Harness } from './harness.js';

const alice = customer(1, 'platinum');
const bob = customer(2, 'bronze');
const ratings = [
  rating(10, alice, { stars: 1, channel: 'iOS', message: 'the food was cold' }),
  rating(11, alice, { stars: 5, channel: 'android', message: 'great crew' }),
  rating(12, bob, { stars: 2, channel: 'web', message: 'cold coffee and late' }),
  rating(13, bob, { stars: 4, channel: 'iOS-test', message: 'fine' }),
];

const status = (name: string, over: Partial<ProcessorStatus> = {}): ProcessorStatus => ({
  name,
  sources: ['ratings'],
  sinks: ['ratings-with-customer-data'],
  state: ProcessorState.Running,
  messagesPerSecond: 2.5,
  totalMessages: 3_000_000_000,
  failedMessages: 3,
  unmatchedMessages: 7,
  lastMessageTime: 1_528_800_546_808,
  consumerLag: 12,
  consumerGroup: `gw-${name}`,
  instances: 1,
  lastError: null,
  ...over,
});

/** Counts port calls, to prove DataLoader batching. */
function counting(search: MemorySearch): { index: SearchIndex; calls: Record<string, number[]> } {
  const calls: Record<string, number[]> = { getCustomersByIds: [], getComplaintsByIds: [], getCustomer: [], searchRatings: [], searchRatingsMany: [] };
  const index: SearchIndex = Object.assign(Object.create(search) as SearchIndex, {
    getCustomersByIds: (ids: readonly number[]) => {
      calls.getCustomersByIds?.push(ids.length);
      return search.getCustomersByIds(ids);
    },
    getComplaintsByIds: (ids: readonly string[]) => {
      calls.getComplaintsByIds?.push(ids.length);
      return search.getComplaintsByIds(ids);
    },
    searchRatings: (q: Parameters<SearchIndex['searchRatings']>[0]) => {
      calls.searchRatings?.push(q.first);
      return search.searchRatings(q);
    },
    searchRatingsMany: (qs: Parameters<SearchIndex['searchRatingsMany']>[0]) => {
      calls.searchRatingsMany?.push(qs.length);
      return search.searchRatingsMany(qs);
    },
  });
  return { index, calls };
}

describe('GraphQL queries', () => {
  let h: Harness;
  let calls: Record<string, number[]>;

  beforeAll(async () => {
    h = await startApi({
      wrapSearch: (s) => {
        const c = counting(s);
        calls = c.calls;
        return c.index;
      },
      pipeline: { status: async () => [status('ratings-with-customer-data'), status('customers-rekey', { state: ProcessorState.Bootstrapping, consumerLag: null })] },
    });
    const many = Array.from({ length: 120 }, (_, i) => customer(100 + i, i % 2 ? 'gold' : 'silver'));
    await seed(h.search, [alice, bob, ...many], [...ratings, ...many.map((c, i) => rating(1_000 + i, c, { stars: 3, channel: 'web' }))], [ratings[0]!]);
  });
  afterAll(() => h.close());

  it('pages through ratings as a Relay connection with totalCount and cursors', async () => {
    const q = `query($after: String) { ratings(first: 2, after: $after, filter: { customerId: "1" }, sort: OLDEST) {
      totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id stars channel channelFamily ratedAt } } nodes { id } } }`;
    const first = await gql(h, q);
    expect(first.status).toBe(200);
    expect(first.body.errors).toBeUndefined();
    const page = first.body.data!.ratings;
    expect(page.totalCount).toBe(2);
    expect(page.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(['10', '11']);
    expect(page.edges[0].node).toMatchObject({ channel: 'iOS', channelFamily: 'ios', ratedAt: new Date(ratings[0]!.ratingTime).toISOString() });
    expect(page.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false, endCursor: page.edges[1].cursor });
    expect(page.nodes).toEqual([{ id: '10' }, { id: '11' }]);

    const one = await gql(h, q.replace('first: 2', 'first: 1'));
    expect(one.body.data!.ratings.pageInfo.hasNextPage).toBe(true);
    const second = await gql(h, q.replace('first: 2', 'first: 1'), { after: one.body.data!.ratings.pageInfo.endCursor });
    expect(second.body.data!.ratings.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(['11']);
  });

  it('filters ratings by stars, channels, club status, text and time', async () => {
    const ids = async (filter: string): Promise<string[]> => {
      const r = await gql(h, `{ ratings(first: 100, filter: ${filter}) { nodes { id } } }`);
      expect(r.body.errors).toBeUndefined();
      return r.body.data!.ratings.nodes.map((n: { id: string }) => n.id).sort();
    };
    expect(await ids('{ starsMax: 2 }')).toEqual(['10', '12']);
    expect(await ids('{ channels: ["ios", "WEB"], clubStatuses: ["Bronze"] }')).toEqual(['12']);
    expect(await ids('{ text: "cold" }')).toEqual(['10', '12']);
    expect(await ids('{ text: "cold coffee" }')).toEqual(['12']);
    const t = new Date(ratings[1]!.ratingTime).toISOString();
    const t2 = new Date(ratings[3]!.ratingTime).toISOString();
    expect(await ids(`{ from: "${t}", to: "${t2}", starsMin: 1 }`)).toEqual(['11', '12']);
  });

  it('rejects bad arguments with BAD_USER_INPUT naming the argument', async () => {
    for (const [query, words] of [
      ['{ ratings(first: 0) { totalCount } }', 'first'],
      ['{ ratings(first: 101) { totalCount } }', 'first'],
      ['{ ratings(filter: { starsMin: 4, starsMax: 2 }) { totalCount } }', 'starsMin'],
      ['{ ratings(filter: { starsMin: 9 }) { totalCount } }', 'starsMin'],
      ['{ ratings(filter: { from: "2020-01-02T00:00:00Z", to: "2020-01-01T00:00:00Z" }) { totalCount } }', 'from'],
      ['{ ratings(after: "not-a-cursor") { totalCount } }', 'cursor'],
      ['{ rating(id: "abc") { id } }', 'id'],
      ['{ customer(id: "x1") { id } }', 'id'],
    ] as const) {
      const r = await gql(h, query);
      expect(codes(r), query).toEqual(['BAD_USER_INPUT']);
      expect(r.body.errors![0]!.message, query).toContain(words);
    }
    const badTime = await gql(h, '{ ratings(filter: { from: "yesterday" }) { totalCount } }');
    expect(badTime.status).toBe(400);
    expect(badTime.body.errors![0]!.message).toContain('ISO-8601');
  });

  it('serves a rating, a customer with their ratings, and null for unknown ids', async () => {
    const r = await gql(
      h,
      `{ rating(id: "10") { id message customer { id fullName clubStatus } complaint { id status } }
      customer(id: "2") { id email ratings(first: 5) { totalCount nodes { id } } }
      missing: rating(id: "999") { id } nobody: customer(id: "999") { id } }`,
    );
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data).toEqual({
      rating: { id: '10', message: 'the food was cold', customer: { id: '1', fullName: 'First1 Last1', clubStatus: 'platinum' }, complaint: { id: '10', status: 'OPEN' } },
      customer: { id: '2', email: 'c2@example.com', ratings: { totalCount: 2, nodes: [{ id: '13' }, { id: '12' }] } },
      missing: null,
      nobody: null,
    });
  });

  it('serves complaints by status and by id', async () => {
    const r = await gql(
      h,
      `{ complaints(status: OPEN) { totalCount nodes { id status raisedAt rating { id stars } customer { id } acknowledgement { by } } }
      complaint(id: "10") { id } none: complaints(status: ACKNOWLEDGED) { totalCount } }`,
    );
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data).toEqual({
      complaints: {
        totalCount: 1,
        nodes: [{ id: '10', status: 'OPEN', raisedAt: new Date(ratings[0]!.ratingTime).toISOString(), rating: { id: '10', stars: 1 }, customer: { id: '1' }, acknowledgement: null }],
      },
      complaint: { id: '10' },
      none: { totalCount: 0 },
    });
  });

  it('loads the customers of a page of 100 ratings with ONE lookup', async () => {
    calls.getCustomersByIds!.length = 0;
    calls.getComplaintsByIds!.length = 0;
    const r = await gql(h, '{ ratings(first: 100, filter: { starsMin: 3, starsMax: 3 }) { nodes { id customer { id clubStatus } complaint { id } } } }');
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.ratings.nodes).toHaveLength(100);
    expect(r.body.data!.ratings.nodes[0].customer.clubStatus).toMatch(/gold|silver/);
    expect(calls.getCustomersByIds).toEqual([100]);
    expect(calls.getComplaintsByIds).toEqual([100]);
  });

  it("loads the ratings of every customer of a page with ONE search call, each customer's own page", async () => {
    calls.searchRatings!.length = 0;
    calls.searchRatingsMany!.length = 0;
    const r = await gql(h, '{ ratings(first: 30, filter: { starsMin: 3, starsMax: 3 }, sort: OLDEST) { nodes { id customer { id ratings(first: 2) { totalCount nodes { id } } } } } }');
    expect(r.body.errors).toBeUndefined();
    const nodes = r.body.data!.ratings.nodes as { id: string; customer: { id: string; ratings: { totalCount: number; nodes: { id: string }[] } } }[];
    expect(nodes).toHaveLength(30);
    for (const n of nodes) expect(n.customer.ratings).toEqual({ totalCount: 1, nodes: [{ id: n.id }] });
    expect(calls.searchRatings).toEqual([30]); // the page itself
    expect(calls.searchRatingsMany).toEqual([30]); // every customer's ratings, one round trip
  });

  it('fails only the customer ratings whose own arguments are bad, in a batch', async () => {
    calls.searchRatingsMany!.length = 0;
    const r = await gql(h, '{ good: customer(id: "1") { ratings(first: 1) { totalCount } } bad: customer(id: "2") { ratings(first: 1, after: "garbage") { totalCount } } }');
    expect(r.body.data).toEqual({ good: { ratings: { totalCount: 2 } }, bad: null });
    expect(r.body.errors).toHaveLength(1);
    expect(r.body.errors![0]).toMatchObject({ path: ['bad', 'ratings'], extensions: { code: 'BAD_USER_INPUT' } });
    expect(calls.searchRatingsMany).toEqual([2]);
  });

  it('aggregates ratings per club status, channel and stars, and over time', async () => {
    const r = await gql(
      h,
      `{ byStatus: ratingStats(groupBy: CLUB_STATUS, filter: { customerId: "1" }) { key count averageStars }
      byChannel: ratingStats(groupBy: CHANNEL, filter: { clubStatuses: ["bronze", "platinum"] }) { key count averageStars }
      byStars: ratingStats(groupBy: STARS, filter: { starsMax: 2 }) { key count }
      histogram: ratingHistogram(interval: DAY, filter: { customerId: "2" }) { start count averageStars } }`,
    );
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.byStatus).toEqual([{ key: 'platinum', count: 2, averageStars: 3 }]);
    expect(r.body.data!.byChannel).toEqual(
      expect.arrayContaining([
        { key: 'ios', count: 2, averageStars: 2.5 },
        { key: 'web', count: 1, averageStars: 2 },
      ]),
    );
    expect(r.body.data!.byStars).toEqual([
      { key: '1', count: 1 },
      { key: '2', count: 1 },
    ]);
    expect(r.body.data!.histogram).toEqual([{ start: '2018-06-12T00:00:00.000Z', count: 2, averageStars: 3 }]);
  });

  it('describes the pipeline: processors with topics, state, rates, counts, lag', async () => {
    const r = await gql(
      h,
      `{ pipeline { healthy sink { name } processors { name sourceTopics sinkTopics state messagesPerSecond totalMessages failedMessages unmatchedMessages lastMessageAt consumerLag consumerGroup instances lastError } } }`,
    );
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.pipeline.healthy).toBe(false);
    expect(r.body.data!.pipeline.sink).toBeNull();
    expect(r.body.data!.pipeline.processors.map((p: { name: string }) => p.name)).toEqual(['customers-rekey', 'ratings-with-customer-data']);
    expect(r.body.data!.pipeline.processors[1]).toEqual({
      name: 'ratings-with-customer-data',
      sourceTopics: ['ratings'],
      sinkTopics: ['ratings-with-customer-data'],
      state: 'RUNNING',
      messagesPerSecond: 2.5,
      totalMessages: 3_000_000_000,
      failedMessages: 3,
      unmatchedMessages: 7,
      lastMessageAt: '2018-06-12T10:49:06.808Z',
      consumerLag: 12,
      consumerGroup: 'gw-ratings-with-customer-data',
      instances: 1,
      lastError: null,
    });
    expect(r.body.data!.pipeline.processors[0].consumerLag).toBeNull();
  });

  it('shows the Elasticsearch sink beside the processors', async () => {
    const sink = {
      groupId: 'gw-sink',
      sourceTopics: ['ratings-with-customer-data', 'UNHAPPY_PLATINUM_CUSTOMERS'],
      stats: () => ({ state: 'retrying', received: 12, indexed: 9, failed: 1, retries: 2, batches: 3, ratePerSecond: 0.5, lastBatchAt: null, lastMessageAt: null, lastError: 'ES down', topics: {} }),
      lag: async () => 4,
      start: async () => undefined,
      stop: async () => undefined,
    } as unknown as Sink;
    const s = await startApi({ pipeline: { status: async () => [status('p')] }, sink: sinkStatusSource(sink, ['ratings-enriched', 'complaints']) });
    try {
      const r = await gql(s, '{ pipeline { healthy sink { name sourceTopics sinkTopics state totalMessages failedMessages consumerLag lastError } } }');
      expect(r.body.data).toEqual({
        pipeline: {
          healthy: false,
          sink: {
            name: 'sink',
            sourceTopics: ['ratings-with-customer-data', 'UNHAPPY_PLATINUM_CUSTOMERS'],
            sinkTopics: ['ratings-enriched', 'complaints'],
            state: 'ERROR',
            totalMessages: 10,
            failedMessages: 1,
            consumerLag: 4,
            lastError: 'ES down',
          },
        },
      });
    } finally {
      await s.close();
    }
  });
});
