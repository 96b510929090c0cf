/**
 * Fan-out: subscribers of the same operation share one execution per event
 * (src/server/shared-execution.ts), and only those: other variables or
 * another role get their own. Resolver calls are counted with spies wrapped
 * around the server's own schema fields.
 */
import { buildSchema as buildSdlSchema, defaultFieldResolver, parse, type GraphQLFieldResolver, type GraphQLObjectType, type GraphQLSchema, type ExecutionResult } from 'graphql';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiContext } from '../../../src/api/api-context.js';
import { createSharedExecution, sameEvent, shareKey } from '../../../src/server/shared-execution.js';
import { AGENT_KEY, collect, customer, raise, rating, startApi, until, VIEWER_KEY, wsClient, type Collector, type Harness, type Loose } from './harness.js';

/** Wraps `type.field`'s resolver; returns how many times it ran. */
function spy(schema: GraphQLSchema, type: string, field: string, replace?: GraphQLFieldResolver<unknown, ApiContext>): { readonly calls: number } {
  const def = (schema.getType(type) as GraphQLObjectType).getFields()[field]!;
  const original = def.resolve ?? defaultFieldResolver;
  const counter = { calls: 0 };
  def.resolve = (source, args, ctx: ApiContext, info) => {
    counter.calls++;
    return (replace ?? original)(source, args, ctx, info);
  };
  return counter;
}

const SAME = `subscription Dashboard { complaintRaised { cursor raisedAt complaint { id status rating { stars message } customer { id clubStatus } } } }`;

describe('subscription fan-out', () => {
  let h: Harness;
  let searchCalls = 0;
  const alice = customer(1);
  const clients: Client[] = [];
  const connect = (key: string): Client => {
    const c = wsClient(h, key);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    h = await startApi({
      wrapSearch: (search) =>
        new Proxy(search, {
          get(target, name, receiver) {
            const value: unknown = Reflect.get(target, name, receiver);
            if (typeof value !== 'function') return value;
            return (...args: unknown[]) => {
              searchCalls++;
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            };
          },
        }),
    });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await h.close();
  });

  it('executes each event once for 100 subscribers of the same document, and detaches them all on unsubscribe', async () => {
    const raisedAt = spy(h.server.schema, 'ComplaintRaisedEvent', 'raisedAt');
    const subs = Array.from({ length: 100 }, () => collect<Loose>(connect(VIEWER_KEY), SAME));
    await until(() => h.server.liveFeed.subscriberCount('complaints') === 100, '100 subscribers to attach');
    searchCalls = 0;

    await raise(h, [rating(301, alice), rating(302, alice), rating(303, alice)]);
    const results = await Promise.all(subs.map((s) => s.waitFor(3)));

    expect(raisedAt.calls).toBe(3);
    expect(searchCalls).toBeLessThan(100); // per event, not per subscriber
    const ids = (r: (typeof results)[number]): unknown[] => r.map((x) => x.data?.complaintRaised.complaint.id);
    for (const r of results) {
      expect(ids(r).sort()).toEqual(['301', '302', '303']);
      expect(r).toEqual(results[0]);
    }

    for (const s of subs) s.dispose();
    await until(() => h.server.liveFeed.subscriberCount('complaints') === 0, 'every subscriber to detach');
  });

  it('does not mix subscribers with other variables or another role', async () => {
    // The rating's channel now tells which role executed it.
    const channel = spy(h.server.schema, 'Rating', 'channel', (_r, _a, ctx) => ctx.viewer.role);
    const query = 'subscription($withMessage: Boolean!) { complaintRaised { complaint { id rating { channel message @include(if: $withMessage) } } } }';
    const groups: { key: string; role: string; withMessage: boolean; subs: Collector<Loose>[] }[] = [];
    for (const [key, role] of [
      [VIEWER_KEY, 'viewer'],
      [AGENT_KEY, 'agent'],
    ] as const) {
      for (const withMessage of [true, false]) {
        groups.push({ key, role, withMessage, subs: Array.from({ length: 10 }, () => collect<Loose>(connect(key), query, { withMessage })) });
      }
    }
    await until(() => h.server.liveFeed.subscriberCount('complaints') === 40, '40 subscribers to attach');

    await raise(h, [rating(401, alice, { message: 'late again' }), rating(402, alice, { message: 'lost my bag' })]);
    for (const g of groups) {
      for (const s of g.subs) {
        const got = await s.waitFor(2);
        for (const r of got) {
          const rated = r.data?.complaintRaised.complaint.rating;
          expect(rated.channel).toBe(g.role);
          if (g.withMessage) expect(rated.message).toMatch(/late again|lost my bag/);
          else expect(rated).not.toHaveProperty('message');
        }
      }
    }
    // 2 events × (2 roles × 2 variable sets), not × 40 subscribers.
    expect(channel.calls).toBe(8);

    for (const g of groups) for (const s of g.subs) s.dispose();
    await until(() => h.server.liveFeed.subscriberCount('complaints') === 0, 'every subscriber to detach');
  });
});

describe('shared execution', () => {
  const schema = buildSdlSchema('type Query { ok: Boolean } type Subscription { tick: Tick } type Tick { n: Int cursor: String seen: Int }');
  let seen = 0;
  (schema.getType('Tick') as GraphQLObjectType).getFields().seen!.resolve = () => ++seen;
  schema.getSubscriptionType()!.getFields().tick!.resolve = (event: unknown) => event;
  const document = parse('subscription { tick { n cursor seen } }');

  /** A source whose events the test pushes; `return()` is recorded. */
  function source(): { push(e: unknown): void; returned: boolean; iterator: AsyncIterableIterator<unknown> } {
    const waiting: ((r: IteratorResult<unknown>) => void)[] = [];
    const queued: unknown[] = [];
    const s = {
      returned: false,
      push(e: unknown) {
        const w = waiting.shift();
        if (w) w({ value: e, done: false });
        else queued.push(e);
      },
      iterator: {
        next: () => (queued.length > 0 ? Promise.resolve({ value: queued.shift(), done: false }) : new Promise<IteratorResult<unknown>>((r) => waiting.push(r))),
        return: () => {
          s.returned = true;
          for (const w of waiting.splice(0)) w({ value: undefined, done: true });
          return Promise.resolve({ value: undefined, done: true as const });
        },
        [Symbol.asyncIterator]() {
          return this;
        },
      } as AsyncIterableIterator<unknown>,
    };
    return s;
  }

  async function subscribe(shared: ReturnType<typeof createSharedExecution>, key: string | null): Promise<{ src: ReturnType<typeof source>; results: AsyncIterableIterator<ExecutionResult> }> {
    const src = source();
    schema.getSubscriptionType()!.getFields().tick!.subscribe = () => src.iterator;
    const results = await shared.subscribe({ schema, document }, key);
    if (!(Symbol.asyncIterator in results)) throw new Error('expected a stream');
    return { src, results };
  }

  it('treats plain events with the same fields as one event, and a different cursor as another', async () => {
    const shared = createSharedExecution();
    const key = shareKey(document, null, {}, 'viewer');
    const subs = await Promise.all(Array.from({ length: 100 }, () => subscribe(shared, key)));
    const payload = { n: 1 };
    seen = 0;
    // Each subscriber gets its own event object around the same data, like the live feed's.
    subs.forEach((s, i) => s.src.push({ cursor: i < 50 ? 'a' : 'b', payload, n: 1 }));
    const first = await Promise.all(subs.map((s) => s.results.next()));
    expect(seen).toBe(2);
    expect(first[0]!.value).toBe(first[49]!.value); // the same result object
    expect(first[50]!.value).not.toBe(first[0]!.value);
    expect(first[50]!.value).toMatchObject({ data: { tick: { cursor: 'b' } } });
    expect(shared.stats()).toEqual({ executed: 2, shared: 98, keys: 1 });

    await Promise.all(subs.map((s) => s.results.return!()));
    expect(subs.every((s) => s.src.returned)).toBe(true);
    expect(shared.stats().keys).toBe(0);
  });

  it('executes per subscriber without a share key', async () => {
    const shared = createSharedExecution();
    const subs = await Promise.all(Array.from({ length: 3 }, () => subscribe(shared, null)));
    const event = { n: 2, cursor: 'c', payload: {} };
    seen = 0;
    for (const s of subs) s.src.push(event);
    await Promise.all(subs.map((s) => s.results.next()));
    expect(seen).toBe(3);
    await Promise.all(subs.map((s) => s.results.return!()));
  });

  it('starts the executions of waiting events while one waits on a lookup, and delivers them in order', async () => {
    const slow = buildSdlSchema('type Query { ok: Boolean } type Subscription { tick: Tick } type Tick { n: Int }');
    const gates: (() => void)[] = [];
    (slow.getType('Tick') as GraphQLObjectType).getFields().n!.resolve = (e: { n: number }) => new Promise((resolve) => gates.push(() => resolve(e.n)));
    const tick = slow.getSubscriptionType()!.getFields().tick!;
    const src = source();
    tick.subscribe = () => src.iterator;
    tick.resolve = (event: unknown) => event;
    const doc = parse('subscription { tick { n } }');
    const delivered: unknown[] = [];
    const shared = createSharedExecution();
    const stream = await shared.subscribe({ schema: slow, document: doc }, shareKey(doc, null, {}, 'viewer'), (r) => {
      delivered.push((r.data as { tick: { n: number } }).tick.n);
    });
    if (!(Symbol.asyncIterator in stream)) throw new Error('expected a stream');
    const running = stream.next();
    for (let n = 1; n <= 5; n++) src.push({ n, payload: {} });
    const turns = async (until: () => boolean): Promise<void> => {
      for (let i = 0; i < 50 && !until(); i++) await new Promise<void>((r) => setImmediate(r));
    };
    await turns(() => gates.length === 5);
    expect(gates).toHaveLength(5); // all five lookups under way before the first one finished
    expect(delivered).toEqual([]);
    for (const open of gates.splice(0).reverse()) open();
    await turns(() => delivered.length === 5);
    expect(delivered).toEqual([1, 2, 3, 4, 5]);
    await stream.return!();
    await expect(running).resolves.toMatchObject({ done: true });
  });

  it('tells events apart by identity for objects and by value for primitives', () => {
    const inner = { a: 1 };
    expect(sameEvent({ x: inner, c: 'k' }, { x: inner, c: 'k' })).toBe(true);
    expect(sameEvent({ x: inner, c: 'k' }, { x: { a: 1 }, c: 'k' })).toBe(false);
    expect(sameEvent({ x: inner, n: 1 }, { x: inner, n: '1' })).toBe(false);
    expect(sameEvent({ x: inner }, { x: inner, extra: undefined })).toBe(false);
    expect(sameEvent(new Date(0), new Date(0))).toBe(false);
    expect(shareKey(document, null, { a: 1 }, 'viewer')).not.toBe(shareKey(document, null, { a: 1 }, 'agent'));
    expect(shareKey(document, null, { a: 1 }, 'viewer')).not.toBe(shareKey(parse('subscription { tick { n cursor seen } }'), null, { a: 1 }, 'viewer'));
  });

  it('does not share events without an object in them: a repeat cannot be told from a new event', async () => {
    const shared = createSharedExecution();
    const key = shareKey(document, null, {}, 'viewer');
    const subs = await Promise.all(Array.from({ length: 3 }, () => subscribe(shared, key)));
    seen = 0;
    for (const s of subs) s.src.push({ n: 3, cursor: 'd' });
    await Promise.all(subs.map((s) => s.results.next()));
    expect(seen).toBe(3);
    await Promise.all(subs.map((s) => s.results.return!()));
  });

  it('detaches from the source when delivering fails, and forgets a share key without subscribers', async () => {
    const shared = createSharedExecution();
    const key = shareKey(document, null, {}, 'viewer');
    const src = source();
    schema.getSubscriptionType()!.getFields().tick!.subscribe = () => src.iterator;
    const stream = await shared.subscribe({ schema, document }, key, () => Promise.reject(new Error('socket gone')));
    if (!(Symbol.asyncIterator in stream)) throw new Error('expected a stream');
    expect(shared.stats().keys).toBe(1);
    const pending = stream.next();
    src.push({ n: 4, payload: {} });
    await expect(pending).rejects.toThrow('socket gone');
    expect(src.returned).toBe(true);
    expect(shared.stats().keys).toBe(0);
  });
});
