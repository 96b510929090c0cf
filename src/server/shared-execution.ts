/**
 * Subscription execution shared between subscribers (graphql-ws `subscribe`).
 *
 * graphql-js `subscribe` executes the selection set once per event PER
 * SUBSCRIBER: 10,000 subscribers of one query cost 10,000 executions of the
 * same event (resolvers, DataLoaders, Elasticsearch lookups) and 10,000
 * result trees. Here the source stream is still made per subscriber (its
 * `subscribe` resolver runs with the subscriber's own context: its viewer,
 * cursor, bounded buffer and slow-consumer disconnect), but each event is
 * executed once per share key (document, operation, variables, role; see
 * {@link shareKey}) and every subscriber with that key gets the same result.
 *
 * What makes two events the same event ({@link sameEvent}): the same object,
 * or plain objects with the same own properties, objects among them compared
 * by identity. The live feed gives each subscriber its own small event object
 * (with its own cursor) around data shared by all; subscribers at the same
 * cursor share. Events without any object in them (a bare number, `{ n: 1 }`)
 * are not shared: nothing tells a repeat from a new event. Events and results
 * are never mutated once made, so sharing them is safe.
 *
 * Field resolvers below a subscription field may depend on the viewer's role
 * (the key has it), not on which viewer it is: the shared execution runs with
 * the context of whichever subscriber asked first.
 */
import { assertOption } from '../errors.js';
import { createSourceEventStream, execute, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { ApiRole } from '../config.js';

type PromiseOrValue<T> = Promise<T> | T;

export interface SharedExecutionOptions {
  /**
   * Events remembered per share key, with their results. A subscriber more
   * than this many events behind the others executes its event again.
   * @default 64
   */
  recentEvents?: number;
}

/** Sends one result to its subscriber; a promise means: wait for it before the next one (backpressure). */
export type Deliver = (result: ExecutionResult) => Promise<void> | void;

export interface SharedExecution {
  /**
   * graphql-ws `subscribe` for a subscription operation: the source stream of
   * this subscriber, each event mapped through one execution shared by every
   * subscriber with the same `key` (null: not shared, as graphql-js does).
   * With `deliver`, the stream hands each result to it rather than yielding
   * it, and its `next()` settles only when the stream ends or fails (graphql-
   * ws then completes or fails the operation as usual). `return()` detaches
   * from the source at once.
   */
  subscribe(args: ExecutionArgs, key: string | null, deliver?: Deliver): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult>;
  /** Executions run, executions reused, and share keys with subscribers now (metrics, tests). */
  stats(): { readonly executed: number; readonly shared: number; readonly keys: number };
}

const documentIds = new WeakMap<DocumentNode, number>();
let lastDocumentId = 0;

/**
 * What runs of one subscription may share: the same parsed document (the
 * server caches documents by their text), operation, variables and role.
 * Variables are compared by their JSON, so the same values sent in another
 * key order only miss a share, never mix two.
 */
export function shareKey(document: DocumentNode, operationName: string | null | undefined, variables: Readonly<Record<string, unknown>> | null | undefined, role: ApiRole): string {
  let id = documentIds.get(document);
  if (id === undefined) documentIds.set(document, (id = ++lastDocumentId));
  return `${id}\u0000${operationName ?? ''}\u0000${role}\u0000${JSON.stringify(variables ?? {})}`;
}

const isPlain = (o: object): boolean => {
  const proto: unknown = Object.getPrototypeOf(o);
  return proto === Object.prototype || proto === null;
};

/** May be shared at all: an object that is not plain (shared by identity), or a plain object holding an object. */
function shareable(event: unknown): event is object {
  if (typeof event !== 'object' || event === null) return false;
  if (!isPlain(event)) return true;
  const fields = event as Record<string, unknown>;
  for (const name in fields) {
    const value = fields[name];
    if ((typeof value === 'object' && value !== null) || typeof value === 'function') return true;
  }
  return false;
}

/** The same object, or plain objects whose own properties are the same (`Object.is`: objects by identity). */
export function sameEvent(a: object, b: object): boolean {
  if (a === b) return true;
  if (!isPlain(a) || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let count = 0;
  // for...in rather than Object.keys: no array per comparison (plain objects inherit nothing enumerable).
  for (const name in x) {
    const value = x[name];
    if (!Object.is(value, y[name]) || (value === undefined && !(name in y))) return false;
    count++;
  }
  for (const _ in y) count--;
  return count === 0;
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function';

/** Takes the place of an event whose execution failed: the same as no event. */
const FORGOTTEN: object = Object.freeze(new (class Forgotten {})());

/** The recent events of one share key and their executions, newest at `next - 1`; lives while the key has subscribers. */
class Runs {
  readonly events: object[] = [];
  readonly results: PromiseOrValue<ExecutionResult>[] = [];
  next = 0;
  subscribers = 0;

  constructor(
    readonly key: string,
    private readonly size: number,
  ) {}

  find(event: object): PromiseOrValue<ExecutionResult> | undefined {
    const { events, size } = this;
    for (let i = 1; i <= events.length; i++) {
      const at = (this.next - i + size) % size;
      if (sameEvent(events[at] as object, event)) return this.results[at];
    }
    return undefined;
  }

  add(event: object, result: PromiseOrValue<ExecutionResult>): void {
    const at = this.next;
    this.events[at] = event;
    this.results[at] = result;
    this.next = (at + 1) % this.size;
    // Later readers get the value itself, without another await.
    if (result instanceof Promise) {
      result.then(
        (value) => {
          if (this.results[at] === result) this.results[at] = value;
        },
        // execute() reports errors in its result; a rejection is a bug and is not handed to others.
        () => {
          if (this.results[at] === result) this.events[at] = FORGOTTEN;
        },
      );
    }
  }
}

/** What the streams of one {@link SharedExecution} share. */
class Shared {
  readonly byKey = new Map<string, Runs>();
  executed = 0;
  shared = 0;

  constructor(readonly recentEvents: number) {}

  /** The runs of `key`, with one more subscriber. */
  join(key: string): Runs {
    let runs = this.byKey.get(key);
    if (runs === undefined) this.byKey.set(key, (runs = new Runs(key, this.recentEvents)));
    runs.subscribers++;
    return runs;
  }

  leave(runs: Runs): void {
    if (--runs.subscribers === 0 && this.byKey.get(runs.key) === runs) this.byKey.delete(runs.key);
  }
}

export function createSharedExecution(options: SharedExecutionOptions = {}): SharedExecution {
  const { recentEvents = 64 } = options;
  assertOption(Number.isInteger(recentEvents) && recentEvents >= 1, `recentEvents must be a positive integer, got ${recentEvents}`);
  const shared = new Shared(recentEvents);
  return {
    async subscribe(args, key, deliver) {
      const source = await createSourceEventStream(args);
      if (!isAsyncIterable(source)) return source;
      return new SharedStream(source[Symbol.asyncIterator](), args, shared, key === null ? null : shared.join(key), deliver);
    },
    stats: () => ({ executed: shared.executed, shared: shared.shared, keys: shared.byKey.size }),
  };
}

const DONE: IteratorResult<never, undefined> = Object.freeze({ value: undefined, done: true });
const SETTLED = Symbol('settled');
const settledMark = (): typeof SETTLED => SETTLED;
const ignore = (): void => undefined;

/**
 * Events a subscriber reads ahead of the one it waits on, at most (on top of
 * its live-feed buffer).
 */
const READ_AHEAD = 32;

/**
 * A subscriber's results. Not an async generator: one suspended in
 * `await events.next()` would not run `return()` until the next event,
 * leaving the source attached meanwhile.
 *
 * Read-ahead: a subscriber that started an execution which does not finish at
 * once (a lookup) reads the events already waiting for it meanwhile, and
 * starts theirs too. A burst of events then runs its executions together
 * (their DataLoader lookups batch) and they finish in the same tick, so every
 * subscriber sends the whole burst at once (one write per socket, see
 * ws-transport.ts) rather than one event per lookup round trip.
 */
class SharedStream implements AsyncIterableIterator<ExecutionResult> {
  private closed = false;
  /** The source's `next()` asked and not consumed yet: at most one at a time. */
  private reading: Promise<IteratorResult<unknown>> | null = null;
  /** Results of events read ahead, in order. */
  private readonly ahead: PromiseOrValue<ExecutionResult>[] = [];
  /** The source ended while reading ahead. */
  private ended = false;

  /** The last event mapped was executed here (not found among the recent ones). */
  private led = false;

  constructor(
    private readonly events: AsyncIterator<unknown>,
    private readonly args: ExecutionArgs,
    private readonly shared: Shared,
    /** Null: not shared (no key), or left. */
    private runs: Runs | null,
    private readonly deliver: Deliver | undefined,
  ) {}

  async next(): Promise<IteratorResult<ExecutionResult>> {
    try {
      for (;;) {
        let mapped = this.ahead.shift();
        if (mapped === undefined) {
          if (this.ended || this.closed) return this.finish();
          const r = await this.read();
          if (r.done === true || this.closed) return this.finish();
          mapped = this.map(r.value);
          if (this.led && mapped instanceof Promise) await this.readAhead(mapped);
        }
        const result = mapped instanceof Promise ? await mapped : mapped;
        if (this.closed) return DONE;
        if (this.deliver === undefined) return { value: result, done: false };
        const sent = this.deliver(result);
        if (sent !== undefined) await sent;
      }
    } catch (e) {
      // graphql-ws does not call return() after a failed next(): detach here.
      await this.close().catch(() => undefined);
      throw e;
    }
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    await this.close();
    return DONE;
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.close().catch(() => undefined);
    throw error;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ExecutionResult> {
    return this;
  }

  private map(event: unknown): PromiseOrValue<ExecutionResult> {
    const { runs, shared } = this;
    if (runs !== null && typeof event === 'object' && event !== null) {
      // What the ring holds is shareable: only a miss needs the full check.
      const known = runs.find(event);
      if (known !== undefined) {
        shared.shared++;
        this.led = false;
        return known;
      }
    }
    shared.executed++;
    this.led = true;
    const result = execute({ ...this.args, rootValue: event });
    if (runs !== null && shareable(event)) runs.add(event, result);
    return result;
  }

  private read(): Promise<IteratorResult<unknown>> {
    let reading = this.reading;
    if (reading === null) {
      reading = this.events.next();
      // Awaited later, maybe: a rejection meanwhile is not unhandled.
      reading.catch(ignore);
    }
    this.reading = null;
    return reading;
  }

  /** Until `pending` settles: read the events that are waiting and start their executions. */
  private async readAhead(pending: Promise<ExecutionResult>): Promise<void> {
    const settled = pending.then(settledMark, settledMark);
    while (this.ahead.length < READ_AHEAD && !this.closed) {
      const reading = this.read();
      const r = await Promise.race([reading, settled]);
      if (r === SETTLED) {
        this.reading = reading; // read on when its turn comes
        return;
      }
      if (r.done === true) {
        this.ended = true;
        return;
      }
      this.ahead.push(this.map(r.value));
    }
  }

  private finish(): IteratorResult<ExecutionResult> {
    const runs = this.runs;
    this.runs = null;
    if (runs !== null) this.shared.leave(runs);
    return DONE;
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ahead.length = 0;
    this.finish();
    await this.events.return?.();
  }
}
