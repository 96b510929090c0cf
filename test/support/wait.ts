/**
 * Waiting helpers for every test: wait on what arrives (a value, a record, a
 * sentinel, the end offsets of a topic), never on a fixed sleep. The only
 * copy: test/contract/helpers.ts, test/unit/api/harness.ts and
 * test/unit/slack/harness.ts re-export these under the names their tests use.
 *
 * To prove that something did NOT happen (no duplicate, no second delivery),
 * do not sleep and look: either read the topic to its end offsets after the
 * writers are done ({@link readToEnd}), or produce a sentinel after the thing
 * under test and wait for it (what comes before it on the same partition has
 * arrived by then).
 */
import type { EventLog, LogRecord, Stoppable, TailOptions } from '../../src/ports/event-log.js';

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** A promise with its resolve and reject functions, for tests that wait on events. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** `p`, or a rejection naming `what` once `ms` passed first. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Resolves with the first truthy value `check` returns, polled every `everyMs`
 * (for state with no event to wait on). A throw counts as "not yet" and is
 * reported if the deadline passes.
 * @throws Error naming `what` after `timeoutMs`
 */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 20_000, everyMs = 20): Promise<NonNullable<T>> {
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
    await pause(everyMs);
  }
}

/**
 * Runs `check` (a block of `expect`s) until it neither throws nor returns
 * `false`; after `timeoutMs` rethrows its last failure, so the report shows
 * the assertion that did not hold.
 */
export async function waitForAssertion(check: () => unknown | Promise<unknown>, timeoutMs = 20_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: unknown;
    try {
      if ((await check()) !== false) return;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw last instanceof Error ? last : new Error(`condition not met within ${timeoutMs} ms: ${check.toString()}`);
    await pause(everyMs);
  }
}

/** Records a tail delivers, with a way to wait for a count. */
export interface Collector extends Stoppable {
  readonly records: LogRecord[];
  /** Resolves once at least `n` records arrived (kafkajs' `waitForMessages`). */
  atLeast(n: number, timeoutMs?: number): Promise<LogRecord[]>;
}

/** Tails `topic` (read_committed) into a growing array. */
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

/** Same as {@link Collector.atLeast} for a one-off read: tails `topic` from the start until `n` records came. */
export async function waitForMessages(log: EventLog, topic: string, n: number, timeoutMs = 20_000): Promise<LogRecord[]> {
  const c = await collect(log, topic);
  try {
    return [...(await c.atLeast(n, timeoutMs))];
  } finally {
    await c.stop();
  }
}

/**
 * Every record of `topic` up to its end offsets as they are now, read as
 * downstream consumers read (read_committed, from the beginning). With
 * `uncommitted` (the default) the end is the high watermark, so reading up to
 * it also waits for every transaction that wrote below it to end: a duplicate
 * written by a transaction still open would be seen once it commits. Call it
 * after the writers are done (their produce resolved, their input offsets
 * committed); what it returns is then all there will be.
 */
export async function readToEnd(
  log: EventLog,
  topic: string,
  { isolation = 'uncommitted', timeoutMs = 60_000 }: { isolation?: 'committed' | 'uncommitted'; timeoutMs?: number } = {},
): Promise<LogRecord[]> {
  const offsets = await log.offsets(topic, isolation);
  const ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  // Partitions with nothing readable below the end (empty, or emptied by retention) need no read.
  const reached = new Map(offsets.filter((o) => BigInt(o.low) >= BigInt(o.high)).map((o) => [o.partition, BigInt(o.high)]));
  const records: LogRecord[] = [];
  const done = deferred();
  const check = (): void => {
    for (const [p, end] of ends) if ((reached.get(p) ?? 0n) < end) return;
    done.resolve();
  };
  const handle = await log.tail({
    topic,
    from: 'earliest',
    onBatch: (batch) => {
      for (const r of batch) if (BigInt(r.offset) < (ends.get(r.partition) ?? 0n)) records.push(r);
    },
    onPosition: (partition, next) => {
      reached.set(partition, BigInt(next));
      check();
    },
  });
  check();
  const timer = setTimeout(
    () => done.reject(new Error(`timed out after ${timeoutMs} ms reading ${topic} to its end offsets (${[...ends].map(([p, e]) => `${p}: ${reached.get(p) ?? 0n}/${e}`).join(', ')})`)),
    timeoutMs,
  );
  try {
    await done.promise;
  } finally {
    clearTimeout(timer);
    await handle.stop();
  }
  return records.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}

export const text = (b: Buffer | null): string | null => (b === null ? null : b.toString('utf8'));
