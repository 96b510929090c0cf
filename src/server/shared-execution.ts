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
 * What makes two events "the same event": the same object, or plain objects
 * whose own properties are the same, objects compared by identity (the live
 * feed gives each subscriber its own small event object, with its own cursor,
 * around shared data; subscribers that are at the same cursor share). Events
 * and results are never mutated once made, so sharing them is safe.
 *
 * Field resolvers below a subscription field may depend on the viewer's role
 * (the key has it), not on which viewer it is: the shared execution runs with
 * the context of whichever subscriber asked first.
 */
import { createSourceEventStream, execute, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { ApiRole } from '../config.js';

type PromiseOrValue<T> = Promise<T> | T;

export interface SharedExecutionOptions {
  /**
   * Executions remembered (per share key and event), oldest forgotten first.
   * A subscriber that reads an event after it was forgotten executes it again.
   * @default 1_024
   */
  capacity?: number;
}

export interface SharedExecution {
  /**
   * graphql-ws `subscribe` for a subscription operation: the source stream of
   * this subscriber, each event mapped through one execution shared by every
   * subscriber with the same `key` (null: not shared, as graphql-js does).
   * Returning the iterator detaches from the source at once.
   */
  subscribe(args: ExecutionArgs, key: string | null): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult>;
  /** Executions run and executions reused since start (metrics, tests). */
  stats(): { readonly executed: number; readonly shared: number };
}

const ids = new WeakMap<object, number>();
let lastId = 0;

/** A number for an object, the same for its whole life; never reused. */
function idOf(o: object): number {
  let id = ids.get(o);
  if (id === undefined) {
    id = ++lastId;
    ids.set(o, id);
  }
  return id;
}

/**
 * What runs of one subscription may share: the same parsed document (the
 * server caches documents by their text), operation, variables and role.
 * Variables are compared by their JSON, so the same values sent in another
 * key order only miss a share, never mix two.
 */
export function shareKey(document: DocumentNode, operationName: string | null | undefined, variables: Readonly<Record<string, unknown>> | null | undefined, role: ApiRole): string {
  return `${idOf(document)}\u0000${operationName ?? ''}\u0000${role}\u0000${JSON.stringify(variables ?? {})}`;
}

/**
 * The event's identity: `#id` of the object itself, or, for a plain object,
 * its own properties (objects by `#id`, primitives by value). Null for a
 * primitive event or a plain object holding a function or symbol.
 */
export function eventKey(event: unknown): string | null {
  if (typeof event !== 'object' || event === null) return null;
  const proto: unknown = Object.getPrototypeOf(event);
  if (proto !== Object.prototype && proto !== null) return `#${idOf(event)}`;
  let key = '{';
  for (const [name, value] of Object.entries(event)) {
    let encoded: string;
    switch (typeof value) {
      case 'object':
        encoded = value === null ? 'null' : `#${idOf(value)}`;
        break;
      case 'string':
        encoded = JSON.stringify(value);
        break;
      case 'number':
        encoded = Object.is(value, -0) ? '-0' : String(value);
        break;
      case 'boolean':
        encoded = value ? 'true' : 'false';
        break;
      case 'undefined':
        encoded = 'undefined';
        break;
      case 'bigint':
        encoded = `${value}n`;
        break;
      default:
        return `#${idOf(event)}`;
    }
    key += `${JSON.stringify(name)}:${encoded},`;
  }
  return `${key}}`;
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function';

export function createSharedExecution(options: SharedExecutionOptions = {}): SharedExecution {
  const { capacity = 1_024 } = options;
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  /** Share key + event key → its execution; insertion order is age. */
  const runs = new Map<string, PromiseOrValue<ExecutionResult>>();
  let executed = 0;
  let shared = 0;

  function run(args: ExecutionArgs, key: string | null, event: unknown): PromiseOrValue<ExecutionResult> {
    const identity = key === null ? null : eventKey(event);
    if (identity === null) {
      executed++;
      return execute({ ...args, rootValue: event });
    }
    const runKey = `${key}\u0000${identity}`;
    const known = runs.get(runKey);
    if (known !== undefined) {
      shared++;
      return known;
    }
    executed++;
    const result = execute({ ...args, rootValue: event });
    if (runs.size >= capacity) runs.delete(runs.keys().next().value as string);
    runs.set(runKey, result);
    // execute() reports errors in the result; a rejection is a bug, not to be handed to others.
    if (result instanceof Promise) result.catch(() => runs.get(runKey) === result && runs.delete(runKey));
    return result;
  }

  return {
    async subscribe(args, key) {
      const source = await createSourceEventStream(args);
      if (!isAsyncIterable(source)) return source;
      const events = source[Symbol.asyncIterator]();
      const close = async (): Promise<void> => {
        await events.return?.();
      };
      const done = (): IteratorResult<ExecutionResult> => ({ value: undefined, done: true });
      // Not an async generator: one suspended in `await events.next()` would
      // not run `return()` until the next event, leaving the source attached.
      const mapped: AsyncIterableIterator<ExecutionResult> = {
        async next() {
          const r = await events.next();
          if (r.done) return done();
          try {
            return { value: await run(args, key, r.value), done: false };
          } catch (e) {
            await close().catch(() => undefined);
            throw e;
          }
        },
        async return() {
          await close();
          return done();
        },
        async throw(error: unknown) {
          await close().catch(() => undefined);
          throw error;
        },
        [Symbol.asyncIterator]() {
          return mapped;
        },
      };
      return mapped;
    },
    stats: () => ({ executed, shared }),
  };
}
