import { UnavailableError } from '../../../src/errors.js';
/**
 * Each rule has a test that fails without it: authentication (HTTP and
 * WebSocket), roles, armor limits on both transports, token limit, body size,
 * subscriptions per connection, introspection and error masking in production.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { AGENT_KEY, VIEWER_KEY, codes, collect, customer, deferred, gql, rating, seed, startApi, wsClient, type Harness } from './harness.js';

/** `{ rating(id) { customer { ratings { nodes { customer { ... } } } } } }`: `n` levels below `rating`. */
const depth = (n: number): string => {
  const cycle = ['customer', 'ratings', 'nodes'];
  const fields = Array.from({ length: n }, (_, i) => cycle[i % 3]!);
  let inner = fields[fields.length - 1] === 'ratings' ? 'totalCount' : 'id';
  for (const f of fields.reverse()) inner = `${f} { ${inner} }`;
  return `{ rating(id: "1") { ${inner} } }`;
};
const aliases = (n: number): string => `{ ${Array.from({ length: n }, (_, i) => `a${i}: rating(id: "1") { id }`).join(' ')} }`;

/** Opens a raw graphql-transport-ws socket and reports how it closed. */
function rawSocket(url: string, init: Record<string, unknown>): Promise<{ code: number; reason: string }> {
  const closed = deferred<{ code: number; reason: string }>();
  const ws = new WebSocket(url, 'graphql-transport-ws');
  ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: init })));
  ws.on('close', (code, reason) => closed.resolve({ code, reason: reason.toString() }));
  ws.on('error', () => undefined);
  return closed.promise;
}

describe('API security', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startApi({ env: { MAX_SUBSCRIPTIONS_PER_CONNECTION: '2', MAX_BODY_BYTES: '20000' } });
    const c = customer(1);
    await seed(h.search, [c], [rating(1, c)], [rating(1, c)]);
  });
  afterAll(() => h.close());

  describe('authentication and roles', () => {
    it('refuses HTTP requests without a key or with an unknown key (401 UNAUTHENTICATED)', async () => {
      for (const key of [null, 'not-a-key-at-all']) {
        const r = await gql(h, '{ __typename }', undefined, key);
        expect(r.status).toBe(401);
        expect(codes(r)).toEqual(['UNAUTHENTICATED']);
        expect(r.headers.get('www-authenticate')).toContain('Bearer');
      }
      expect((await gql(h, '{ __typename }', undefined, VIEWER_KEY)).status).toBe(200);
    });

    it('lets a viewer query but not acknowledge (FORBIDDEN); an agent may', async () => {
      const m = 'mutation { acknowledgeComplaint(id: "1") { outcome } }';
      const viewer = await gql(h, m, undefined, VIEWER_KEY);
      expect(codes(viewer)).toEqual(['FORBIDDEN']);
      expect(viewer.body.data).toBeNull();
      expect((await h.search.getComplaint('1'))?.status).toBe('OPEN');
      const agent = await gql(h, m, undefined, AGENT_KEY);
      expect(agent.body.data).toEqual({ acknowledgeComplaint: { outcome: 'ACKNOWLEDGED' } });
    });

    it('is open to anyone as an agent when no keys are configured (outside production)', async () => {
      const open = await startApi({ env: { API_KEYS: '' } });
      try {
        const c = customer(5);
        await seed(open.search, [c], [], [rating(5, c)]);
        const r = await gql(open, 'mutation { acknowledgeComplaint(id: "5") { outcome acknowledgement { by } } }', undefined, null);
        expect(r.body.data).toEqual({ acknowledgeComplaint: { outcome: 'ACKNOWLEDGED', acknowledgement: { by: 'anonymous' } } });
      } finally {
        await open.close();
      }
    });

    it('closes a WebSocket without a valid key with 4403', async () => {
      expect(await rawSocket(h.wsUrl, {})).toMatchObject({ code: 4403 });
      expect(await rawSocket(h.wsUrl, { authorization: 'Bearer wrong-key-123' })).toMatchObject({ code: 4403 });
      const closed = deferred<number>();
      const client = wsClient(h, null, (code) => closed.resolve(code));
      const sub = collect(client, 'subscription { complaintRaised { cursor } }');
      expect(await closed.promise).toBe(4403);
      await expect(sub.error).resolves.toBeDefined();
      await client.dispose();
    });

    it('accepts the WebSocket key with or without "Bearer "', async () => {
      for (const key of [VIEWER_KEY, `Bearer ${VIEWER_KEY}`]) {
        const client = wsClient(h, key);
        const q = collect(client, '{ __typename }');
        await q.completed;
        expect(q.results).toEqual([{ data: { __typename: 'Query' } }]);
        await client.dispose();
      }
    });
  });

  describe('query limits', () => {
    it('rejects more than 15 aliases, over HTTP and WebSocket', async () => {
      expect((await gql(h, aliases(15))).body.errors).toBeUndefined();
      const r = await gql(h, aliases(16));
      expect(r.status).toBe(400);
      expect(codes(r)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(r.body.errors![0]!.message).toMatch(/aliases/i);
      const client = wsClient(h);
      const ws = collect(client, aliases(16));
      expect(String(JSON.stringify(await ws.error))).toMatch(/aliases/i);
      await client.dispose();
    });

    it('rejects a 10,000-alias query without executing it', async () => {
      const big = await startApi({ env: { MAX_BODY_BYTES: '5000000' } });
      try {
        const r = await gql(big, `{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`);
        expect(r.status).toBe(400);
        expect(r.body.data).toBeUndefined();
        expect(r.body.errors![0]!.message).toMatch(/token/i);
      } finally {
        await big.close();
      }
    });

    it('rejects documents over 2,000 tokens', async () => {
      const r = await gql(h, `{ ${'a '.repeat(2_100)}}`);
      expect(r.status).toBe(400);
      expect(codes(r)).toEqual(['GRAPHQL_PARSE_FAILED']);
      expect(r.body.errors![0]!.message).toMatch(/token/i);
    });

    it('rejects a depth-50 query over HTTP and WebSocket, and accepts depth 7', async () => {
      expect((await gql(h, depth(7))).body.errors).toBeUndefined();
      const r = await gql(h, depth(50));
      expect(r.status).toBe(400);
      expect(new Set(codes(r))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
      expect(r.body.errors!.map((e) => e.message).join(' ')).toMatch(/depth/i);
      const client = wsClient(h);
      const ws = collect(client, depth(50));
      expect(JSON.stringify(await ws.error)).toMatch(/depth/i);
      await client.dispose();
    });

    it('rejects a too costly query', async () => {
      const costly = `{ ${Array.from({ length: 12 }, (_, i) => `a${i}: ratings(first: 100) { nodes { customer { ratings { nodes { customer { ratings { nodes { id stars message } } } } } } } }`).join(' ')} }`;
      const r = await gql(h, costly);
      expect(r.status).toBe(400);
      expect(r.body.errors!.map((e) => e.message).join(' ')).toMatch(/cost/i);
    });

    it('answers 413 to a body over the limit, by Content-Length and while streaming', async () => {
      const huge = JSON.stringify({ query: `{ __typename } # ${'x'.repeat(30_000)}` });
      const byLength = await fetch(h.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${VIEWER_KEY}` }, body: huge });
      expect(byLength.status).toBe(413);
      expect(((await byLength.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('PAYLOAD_TOO_LARGE');

      const streamed = deferred<number>();
      const req = request(h.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${VIEWER_KEY}`, 'transfer-encoding': 'chunked' } }, (res) => {
        streamed.resolve(res.statusCode ?? 0);
        res.resume();
      });
      req.on('error', () => undefined); // the server closes once it has answered
      for (let i = 0; i < 30; i++) req.write('x'.repeat(1_000));
      req.end();
      expect(await streamed.promise).toBe(413);
    });

    it('limits operations per WebSocket connection', async () => {
      const client = wsClient(h);
      const a = collect(client, 'subscription { complaintRaised { cursor } }');
      const b = collect(client, 'subscription { ratingAdded { id } }');
      const c = collect(client, 'subscription { complaintUpdated { id } }');
      expect(JSON.stringify(await c.error)).toContain('RATE_LIMITED');
      a.dispose();
      b.dispose();
      await client.dispose();
    });

    it('refuses batched HTTP requests', async () => {
      const res = await fetch(h.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${VIEWER_KEY}` },
        body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
      });
      expect(res.status).toBe(400);
    });

    it('blocks CSRF-able requests (simple content type, no preflight header)', async () => {
      const res = await fetch(h.graphqlUrl, { method: 'POST', headers: { 'content-type': 'text/plain', authorization: `Bearer ${VIEWER_KEY}` }, body: '{"query":"{ __typename }"}' });
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(/Cross-Site Request Forgery/i);
    });
  });

  describe('in production', () => {
    let prod: Harness;
    beforeAll(async () => {
      prod = await startApi({ env: { NODE_ENV: 'production' } });
    });
    afterAll(() => prod.close());

    it('turns introspection off, over HTTP and WebSocket', async () => {
      const r = await gql(prod, '{ __schema { types { name } } }');
      expect(r.status).toBe(400);
      expect(r.body.errors![0]!.message).toMatch(/introspection/i);
      const client = wsClient(prod);
      const ws = collect(client, '{ __schema { types { name } } }');
      expect(JSON.stringify(await ws.error)).toMatch(/introspection/i);
      await client.dispose();
      expect((await gql(h, '{ __schema { queryType { name } } }')).body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    });

    it('masks unexpected errors and field suggestions, without stack traces', async () => {
      const broken = await startApi({
        env: { NODE_ENV: 'production' },
        wrapSearch: (s) => Object.assign(Object.create(s), { getRating: () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.7:9200 secret-index')) }),
      });
      try {
        const r = await gql(broken, '{ rating(id: "1") { id } }');
        expect(r.body.errors).toEqual([{ message: 'Internal server error', locations: expect.any(Array), path: ['rating'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
        expect(JSON.stringify(r.body)).not.toMatch(/ECONNREFUSED|stack|\.ts/);
        const typo = await gql(broken, '{ ratingz { totalCount } }');
        expect(typo.body.errors![0]!.message).not.toContain('Did you mean');
      } finally {
        await broken.close();
      }
    });

    it('hides where an unavailable backend lives, keeping the code and that a retry may help', async () => {
      const down = await startApi({
        env: { NODE_ENV: 'production' },
        wrapSearch: (s) =>
          Object.assign(Object.create(s), {
            getRating: () =>
              Promise.reject(new UnavailableError('Elasticsearch is unreachable (get ratings-enriched/1): connect ECONNREFUSED 10.0.0.7:9200', { details: { operation: 'get ratings-enriched/1' } })),
          }),
      });
      try {
        const r = await gql(down, '{ rating(id: "1") { id } }');
        expect(r.body.errors?.[0]?.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retriable: true });
        expect(JSON.stringify(r.body)).not.toMatch(/ECONNREFUSED|10\.0\.0\.7|ratings-enriched/);
      } finally {
        await down.close();
      }
    });
  });
});
