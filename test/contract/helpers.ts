/**
 * Small waiting helpers for the contract suites: wait on what arrives, never
 * on a fixed sleep.
 */
import type { EventLog, LogRecord, Stoppable, TailOptions } from '../../src/ports/event-log.js';

/** Resolves when `check` returns a truthy value (polled every `everyMs`), rejects after `timeoutMs` with `what`. */
export async function eventually<T>(check: () => T | Promise<T>, what: string, timeoutMs = 20_000, everyMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Records a tail delivers, with a way to wait for a count. */
export interface Collector extends Stoppable {
  readonly records: LogRecord[];
  /** Resolves once at least `n` records arrived. */
  atLeast(n: number, timeoutMs?: number): Promise<LogRecord[]>;
}

export async function collect(log: EventLog, topic: string, from: TailOptions['from'] = 'earliest', extra: Partial<TailOptions> = {}): Promise<Collector> {
  const records: LogRecord[] = [];
  const waiters = new Set<() => void>();
  const handle = await log.tail({
    topic,
    from,
    ...extra,
    onBatch: (batch) => {
      records.push(...batch);
      for (const w of [...waiters]) w();
    },
  });
  return {
    records,
    stop: () => handle.stop(),
    atLeast: (n, timeoutMs = 20_000) =>
      new Promise<LogRecord[]>((resolve, reject) => {
        const check = (): void => {
          if (records.length >= n) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(records);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms: ${records.length} of ${n} records on ${topic}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}

export const text = (b: Buffer | null): string | null => (b === null ? null : b.toString('utf8'));

/** A promise with its resolve function, for tests that wait on events. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
