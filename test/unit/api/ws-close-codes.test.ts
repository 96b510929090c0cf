/**
 * Every close code of graphql-transport-ws through the product's own
 * transport (src/server/ws-transport.ts), with a raw `ws` client speaking the
 * protocol frame by frame (issue 17, WebSocket faults): no init within the
 * timeout 4408, subscribe before the ack 4401, a duplicate operation id 4409,
 * a second init 4429, a frame that is not a message 4400, an unknown key 4403;
 * plus a mutation with a viewer key (FORBIDDEN, the socket stays open) and a
 * too-deep subscription (refused by validation, the socket stays open).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { AGENT_KEY, VIEWER_KEY, customer, deferred, rating, seed, startApi, type Harness } from './harness.js';

interface Frame {
  type: string;
  id?: string;
  payload?: unknown;
}

/** A raw protocol client: frames received in order, and how the socket closed. */
async function raw(url: string): Promise<{ ws: WebSocket; send: (m: unknown) => void; next: (type: string) => Promise<Frame>; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(url, 'graphql-transport-ws');
  const closed = deferred<{ code: number; reason: string }>();
  const frames: Frame[] = [];
  const waiting: { type: string; d: ReturnType<typeof deferred<Frame>> }[] = [];
  ws.on('message', (data) => {
    const f = JSON.parse(String(data)) as Frame;
    const w = waiting.find((x) => x.type === f.type);
    if (w) {
      waiting.splice(waiting.indexOf(w), 1);
      w.d.resolve(f);
    } else frames.push(f);
  });
  ws.on('close', (code, reason) => {
    closed.resolve({ code, reason: String(reason) });
    for (const w of waiting.splice(0)) w.d.reject(new Error(`closed ${code} while waiting for ${w.type}`));
  });
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    send: (m) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)),
    next(type) {
      const i = frames.findIndex((f) => f.type === type);
      if (i >= 0) return Promise.resolve(frames.splice(i, 1)[0]!);
      const d = deferred<Frame>();
      waiting.push({ type, d });
      return d.promise;
    },
    closed: closed.promise,
  };
}

const SUB = 'subscription { complaintRaised { cursor } }';

/** complaintRaised { complaint { customer { ratings { nodes { customer { ... } } } } } }: `n` levels below `complaint`. */
function deepSubscription(n: number): string {
  const cycle = ['customer', 'ratings', 'nodes'];
  const fields = Array.from({ length: n }, (_, i) => cycle[i % 3]!);
  let inner = fields[fields.length - 1] === 'ratings' ? 'totalCount' : 'id';
  for (const f of fields.reverse()) inner = `${f} { ${inner} }`;
  return `subscription { complaintRaised { complaint { ${inner} } } }`;
}

describe('WebSocket close codes through the product transport', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startApi();
    const c = customer(1);
    await seed(h.search, [c], [rating(1, c)], [rating(1, c)]);
  });
  afterAll(() => h.close());

  const acked = async (key = VIEWER_KEY) => {
    const c = await raw(h.wsUrl);
    c.send({ type: 'connection_init', payload: { authorization: key } });
    await c.next('connection_ack');
    return c;
  };

  it('4408 when no connection_init arrives within the init timeout', async () => {
    const c = await raw(h.wsUrl);
    expect((await c.closed).code).toBe(4408);
  });

  it('4401 for a subscribe before the connection was acknowledged', async () => {
    const c = await raw(h.wsUrl);
    c.send({ type: 'subscribe', id: '1', payload: { query: SUB } });
    expect((await c.closed).code).toBe(4401);
  });

  it('4409 for a second subscribe with an id still running', async () => {
    const c = await acked();
    c.send({ type: 'subscribe', id: 'same', payload: { query: SUB } });
    c.send({ type: 'subscribe', id: 'same', payload: { query: SUB } });
    expect((await c.closed).code).toBe(4409);
  });

  it('4429 for a second connection_init', async () => {
    const c = await acked();
    c.send({ type: 'connection_init', payload: { authorization: VIEWER_KEY } });
    expect((await c.closed).code).toBe(4429);
  });

  it('4400 for garbage (not JSON, then JSON that is no message)', async () => {
    for (const garbage of ['}{ not json', JSON.stringify({ type: 'nonsense' })]) {
      const c = await acked();
      c.send(garbage);
      expect((await c.closed).code).toBe(4400);
    }
  });

  it('4403 for an unknown key, and a viewer and an agent are acknowledged', async () => {
    const c = await raw(h.wsUrl);
    c.send({ type: 'connection_init', payload: { authorization: 'no-such-key-0001' } });
    expect((await c.closed).code).toBe(4403);
    for (const key of [VIEWER_KEY, AGENT_KEY]) (await acked(key)).ws.close(1000);
  });

  it('a mutation with a viewer key is FORBIDDEN and changes nothing; the socket stays open and an agent may', async () => {
    const m = 'mutation { acknowledgeComplaint(id: "1") { outcome } }';
    const viewer = await acked(VIEWER_KEY);
    viewer.send({ type: 'subscribe', id: 'm1', payload: { query: m } });
    const refused = await viewer.next('next');
    expect(refused.id).toBe('m1');
    expect((refused.payload as { errors: { extensions: { code: string } }[] }).errors.map((e) => e.extensions.code)).toEqual(['FORBIDDEN']);
    await viewer.next('complete');
    expect((await h.search.getComplaint('1'))?.status).toBe('OPEN');
    // Still open: a query on the same socket answers.
    viewer.send({ type: 'subscribe', id: 'q1', payload: { query: '{ __typename }' } });
    expect((await viewer.next('next')).payload).toEqual({ data: { __typename: 'Query' } });
    viewer.ws.close(1000);

    const agent = await acked(AGENT_KEY);
    agent.send({ type: 'subscribe', id: 'm2', payload: { query: m } });
    expect((await agent.next('next')).payload).toEqual({ data: { acknowledgeComplaint: { outcome: 'ACKNOWLEDGED' } } });
    agent.ws.close(1000);
  });

  it('a too-deep subscription is refused with a validation error; a shallow one on the same socket runs', async () => {
    const c = await acked();
    c.send({ type: 'subscribe', id: 'deep', payload: { query: deepSubscription(30) } });
    const err = await c.next('error');
    expect(err.id).toBe('deep');
    expect(JSON.stringify(err.payload)).toMatch(/depth/i);
    expect(JSON.stringify(err.payload)).toContain('GRAPHQL_VALIDATION_FAILED');
    c.send({ type: 'subscribe', id: 'ok', payload: { query: SUB } });
    c.send({ type: 'complete', id: 'ok' });
    c.send({ type: 'ping' });
    await c.next('pong');
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    c.ws.close(1000);
  });
});
