/**
 * A limit on every door of the API: cost with list sizes multiplied, per-key
 * rate limits (HTTP and WebSocket, on an injected clock), the histogram and
 * replay caps, the metrics token, and `lastError` without addresses.
 */
import { defaultFieldResolver, isObjectType, type GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessorState, type ProcessorStatus } from '../../../src/ports/stream-runtime.js';
import { AGENT_KEY, codes, collect, customer, gql, raise, rating, seed, startApi, until, VIEWER_KEY, wsClient, type Harness } from './harness.js';

/** Wraps every field resolver of `schema` to count its calls (the schema is shared by both transports). */
function countResolvers(schema: GraphQLSchema): { calls: () => number } {
  let n = 0;
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (...args) => {
        n++;
        return resolve(...args);
      };
    }
  }
  return { calls: () => n };
}

const MILLION = `{ ratings(first: 100) { nodes { customer { ratings(first: 100) { nodes { customer { ratings(first: 100) { nodes { id message } } } } } } } } }`;

describe('query cost with list sizes multiplied', () => {
  let h: Harness;
  let counter: { calls: () => number };
  const alice = customer(1);
  beforeAll(async () => {
    h = await startApi();
    await seed(h.search, [alice], [rating(1, alice), rating(2, alice)]);
    counter = countResolvers(h.server.schema);
  });
  afterAll(() => h.close());

  it('refuses the million-node query over HTTP with QUERY_TOO_COMPLEX before any resolver runs', async () => {
    const before = counter.calls();
    const r = await gql(h, MILLION);
    expect(codes(r)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(r.body.errors![0]!.message).toMatch(/50000/);
    expect(r.body.data ?? null).toBeNull();
    expect(counter.calls() - before).toBe(0);
  });

  it('multiplies by `first` given in variables, and by the default page size when it is absent', async () => {
    const before = counter.calls();
    const viaVariables = await gql(h, `query($n: Int) { ratings(first: $n) { nodes { customer { ratings(first: $n) { nodes { customer { ratings(first: $n) { nodes { id } } } } } } } } }`, { n: 100 });
    expect(codes(viaVariables)).toEqual(['QUERY_TOO_COMPLEX']);
    // 20 x 20 x 20 (the default page size) x 9 fields is over the limit too.
    const defaults = await gql(h, `{ ratings { nodes { customer { ratings { nodes { customer { ratings { nodes { id stars channel message ratedAt customer { id fullName email } } } } } } } } } }`);
    expect(defaults.body.errors![0]!.extensions!.cost).toBe(1 + 20 * (3 + 20 * (3 + 20 * 10)));
    expect(codes(defaults)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(counter.calls() - before).toBe(0);
    // The same shape with small pages passes.
    const small = await gql(h, `query($n: Int) { ratings(first: $n) { nodes { customer { ratings(first: $n) { nodes { customer { ratings(first: $n) { nodes { id } } } } } } } } }`, { n: 5 });
    expect(small.body.errors).toBeUndefined();
    expect(counter.calls() - before).toBeGreaterThan(0);
  });

  it('refuses it over WebSocket too, with no resolver call', async () => {
    const before = counter.calls();
    const client = wsClient(h);
    const sub = collect(client, MILLION);
    const errors = (await sub.error) as { extensions?: { code?: string } }[];
    expect(errors.map((e) => e.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(counter.calls() - before).toBe(0);
    await client.dispose();
  });

  it('lets dashboard queries through: a full page of ratings with customers, stats, histogram, complaints, pipeline', async () => {
    const r = await gql(
      h,
      `{ ratings(first: 100) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id stars channel message ratedAt customer { id fullName email clubStatus ratings(first: 20) { totalCount nodes { id stars } } } } } }
         complaints(first: 100) { totalCount nodes { id status rating { id stars message customer { id fullName } } } }
         byStatus: ratingStats(groupBy: CLUB_STATUS) { key count averageStars }
         ratingHistogram(interval: DAY) { start count averageStars }
         pipeline { healthy processors { name state lastError } } }`,
    );
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.ratings.totalCount).toBe(2);
  });
});

describe('rate limits per API key', () => {
  let h: Harness;
  let now = 1_000_000;
  beforeAll(async () => {
    h = await startApi({ env: { RATE_LIMIT_VIEWER: '3/s', RATE_LIMIT_AGENT: '5/m' }, now: () => now });
  });
  afterAll(() => h.close());

  it('answers HTTP operations over the rate with 429, Retry-After and RATE_LIMITED, and lets them through once the bucket refilled', async () => {
    for (let i = 0; i < 3; i++) expect((await gql(h, '{ __typename }')).status).toBe(200);
    const over = await gql(h, '{ __typename }');
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toBe('1');
    expect(codes(over)).toEqual(['RATE_LIMITED']);
    expect(over.body.errors![0]!.message).toMatch(/3 operations per second/);

    // Another key has its own bucket (and its role's limit).
    for (let i = 0; i < 5; i++) expect((await gql(h, '{ __typename }', undefined, AGENT_KEY)).status).toBe(200);
    const agentOver = await gql(h, '{ __typename }', undefined, AGENT_KEY);
    expect(agentOver.status).toBe(429);
    expect(agentOver.headers.get('retry-after')).toBe('12'); // 5 per minute: one token every 12 s

    now += 334; // one token back (3 per 1000 ms)
    expect((await gql(h, '{ __typename }')).status).toBe(200);
    expect((await gql(h, '{ __typename }')).status).toBe(429);
    now += 1_000;
    expect((await gql(h, '{ __typename }')).status).toBe(200);
  });

  it('refuses a WebSocket subscribe message over the rate with RATE_LIMITED and keeps the socket open', async () => {
    now += 10_000; // a full bucket
    let closed = false;
    const client = wsClient(h, VIEWER_KEY, () => (closed = true));
    const subs = [0, 1, 2].map(() => collect(client, 'subscription { complaintRaised { cursor } }'));
    await until(() => h.server.liveFeed.subscriberCount('complaints') === 3, 'three subscribers to attach');
    const refused = collect(client, 'subscription { complaintUpdated { id } }');
    const errors = (await refused.error) as { extensions?: { code?: string } }[];
    expect(errors.map((e) => e.extensions?.code)).toEqual(['RATE_LIMITED']);

    // The socket stays open: the subscriptions already running still deliver.
    await raise(h, [rating(7, customer(1))]);
    for (const s of subs) await s.waitFor(1);
    expect(closed).toBe(false);
    now += 1_000;
    const later = collect(client, 'query { __typename }');
    await later.completed;
    expect(later.results[0]!.data).toEqual({ __typename: 'Query' });
    for (const s of subs) s.dispose();
    await client.dispose();
  });
});

describe('caps', () => {
  let h: Harness;
  const alice = customer(1);
  beforeAll(async () => {
    h = await startApi({
      env: { MAX_HISTOGRAM_BUCKETS: '24', MAX_REPLAYS_PER_CONNECTION: '1', METRICS_TOKEN: 'metrics-token-0123456789' },
      pipeline: {
        status: async (): Promise<ProcessorStatus[]> => [
          {
            name: 'customers-rekey',
            sources: ['asgard.demo.CUSTOMERS'],
            sinks: ['CUSTOMERS_SRC_REKEY'],
            state: ProcessorState.Error,
            messagesPerSecond: 0,
            totalMessages: 0,
            failedMessages: 0,
            unmatchedMessages: 0,
            lastMessageTime: null,
            consumerLag: null,
            consumerGroup: 'gw-customers-rekey',
            instances: 1,
            lastError: 'Connection error: connect ECONNREFUSED 10.1.2.3:9092 (broker kafka-1.internal.example.com:9093, node http://es-node.corp:9200/_bulk, [fd00::1]:9092)',
          },
        ],
      },
    });
    // 30 hours of ratings, one an hour.
    await seed(
      h.search,
      [alice],
      Array.from({ length: 30 }, (_, i) => rating(100 + i, alice, { ratingTime: Date.UTC(2024, 0, 1) + i * 3_600_000 })),
    );
  });
  afterAll(() => h.close());

  it('refuses a ratingHistogram range of more buckets than MAX_HISTOGRAM_BUCKETS with BAD_USER_INPUT and the numbers', async () => {
    const q = `query($from: DateTime, $to: DateTime, $interval: HistogramInterval) { ratingHistogram(interval: $interval, filter: { from: $from, to: $to }) { start count } }`;
    const week = await gql(h, q, { from: '2024-01-01T00:00:00Z', to: '2024-01-08T00:00:00Z', interval: 'HOUR' });
    expect(codes(week)).toEqual(['BAD_USER_INPUT']);
    expect(week.body.errors![0]!.message).toMatch(/168 HOUR buckets.*at most 24/);
    const minutes = await gql(h, q, { from: '2024-01-01T00:00:00Z', to: '2024-01-01T01:00:00Z', interval: 'MINUTE' });
    expect(minutes.body.errors![0]!.message).toMatch(/60 MINUTE buckets.*at most 24/);
    const day = await gql(h, q, { from: '2024-01-01T00:00:00Z', to: '2024-01-02T00:00:00Z', interval: 'HOUR' });
    expect(day.body.errors).toBeUndefined();
    expect(day.body.data!.ratingHistogram).toHaveLength(24);
    // No `from`: the answer is checked (30 hourly buckets of data).
    const unbounded = await gql(h, `{ ratingHistogram(interval: HOUR) { start } }`);
    expect(unbounded.body.errors![0]!.message).toMatch(/30 HOUR buckets.*at most 24/);
    expect((await gql(h, `{ ratingHistogram(interval: DAY) { start } }`)).body.data!.ratingHistogram).toHaveLength(2);
  });

  it('allows MAX_REPLAYS_PER_CONNECTION complaintRaised(after:) subscriptions per connection, and another once one completed', async () => {
    const RAISED = 'subscription($after: String) { complaintRaised(after: $after) { cursor complaint { id } } }';
    const live = wsClient(h);
    const first = collect<{ complaintRaised: { cursor: string } }>(live, RAISED);
    await until(() => h.server.liveFeed.subscriberCount('complaints') === 1, 'the subscriber to attach');
    await raise(h, [rating(1, alice), rating(2, alice)]);
    const [one] = await first.waitFor(1);
    const cursor = one!.data!.complaintRaised.cursor;

    const client = wsClient(h);
    const replay = collect(client, RAISED, { after: cursor });
    await replay.waitFor(1); // complaint 2, replayed
    const second = collect(client, RAISED, { after: cursor });
    const errors = (await second.error) as { message: string; extensions?: { code?: string } }[];
    expect(errors.map((e) => e.extensions?.code)).toEqual(['RATE_LIMITED']);
    expect(errors[0]!.message).toMatch(/at most 1 complaintRaised\(after:\)/);
    // Without a cursor is not a replay.
    const plain = collect(client, RAISED);
    // Once the replay completed, another may start.
    replay.dispose();
    const third = collect(client, RAISED, { after: cursor });
    await third.waitFor(1);
    plain.dispose();
    third.dispose();
    await client.dispose();
    await live.dispose();
  });

  it('serves /metrics only with the METRICS_TOKEN bearer', async () => {
    const url = h.url + '/metrics';
    const none = await fetch(url);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/Bearer/);
    expect((await fetch(url, { headers: { authorization: 'Bearer metrics-token-0123456780' } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: `Bearer ${VIEWER_KEY}` } })).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: 'Bearer metrics-token-0123456789' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/graphql_requests_total/);
  });

  it('shows viewers pipeline.lastError without addresses, agents whole', async () => {
    const q = '{ pipeline { processors { lastError } } }';
    const viewer = (await gql(h, q)).body.data!.pipeline.processors[0].lastError as string;
    expect(viewer).toBe('Connection error: connect ECONNREFUSED <address> (broker <address>, node <address>, <address>)');
    const agent = (await gql(h, q, undefined, AGENT_KEY)).body.data!.pipeline.processors[0].lastError as string;
    expect(agent).toMatch(/10\.1\.2\.3:9092.*kafka-1\.internal\.example\.com:9093.*http:\/\/es-node\.corp:9200/);
  });
});
