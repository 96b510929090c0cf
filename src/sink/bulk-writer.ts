/**
 * The sink's bulk writer: batches write operations from many deliveries into
 * bulk requests (by count, estimated bytes and time), sends up to
 * `maxInFlight` of them at once through the {@link SearchWriter} port (a
 * request that shares a document with an earlier one waits for it, so two
 * writes of one document never race), and retries the items the index
 * did not take for a retriable reason (unreachable, timeouts, 429, 5xx,
 * 401/403: the adapter's classification) with jittered backoff until a retry
 * budget runs out. It knows nothing of records or topics: each submission
 * gets one outcome per operation, `null` (accepted) or the reason the index
 * rejected it for its content.
 */
import { Semaphore } from 'async-mutex';
import { ErrorCode, UnavailableError, assertOption, isRetriable, toAppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { SearchWriter, WriteOp, WriteResult } from '../ports/search.js';
import { backoffDelay, sleep } from '../retry.js';

/** null: accepted; a string: rejected for its content (the reason). */
export type Outcome = string | null;

export interface BulkWriterOptions {
  writer: SearchWriter;
  /** Most operations in one bulk request. */
  batchSize: number;
  /** Longest an operation waits for its bulk request to fill up, ms. */
  flushMs: number;
  /** Largest bulk request, estimated from the submitted sizes. */
  maxBatchBytes: number;
  /** Bulk requests in flight at once (1: one at a time, in order). @default 1 */
  maxInFlight?: number;
  /** How long one submission retries failed items before its promise rejects, ms. */
  maxRetryMs: number;
  retryInitialDelayMs: number;
  retryMaxDelayMs: number;
  logger: Logger;
  /** A round left items the index did not take (`reason`: the last one); `retrying`: false when the writer gives up instead. */
  onFailure?: (reason: string, retrying: boolean) => void;
  /** A write ended with no retriable failure left, after `attempt` attempts. */
  onSuccess?: (attempt: number) => void;
}

export interface BulkWriterStats {
  /** Retry rounds of failed items (one per backoff). */
  readonly retries: number;
  /** Bulk requests that completed. */
  readonly batches: number;
  /** When the last bulk request completed, epoch ms. */
  readonly lastBatchAt: number | null;
}

export interface BulkWriter {
  /**
   * Queues `items`; resolves with one outcome per item once every one was
   * written or rejected for its content. Rejects (UnavailableError) when the
   * retry budget, counted from when the oldest buffered item arrived, runs
   * out or the writer stops.
   */
  submit(items: ReadonlyArray<{ readonly op: WriteOp; readonly bytes: number }>): Promise<Outcome[]>;
  /** Sends what is buffered now. */
  flush(): void;
  /** Retries give up (every write still makes one attempt), what is buffered is sent at once. */
  stop(): void;
  /** Undoes stop(). */
  resume(): void;
  /** Resolves when every bulk request sent so far completed. */
  idle(): Promise<void>;
  stats(): BulkWriterStats;
}

export function createBulkWriter(options: BulkWriterOptions): BulkWriter {
  const { writer, batchSize, flushMs, maxBatchBytes, maxInFlight = 1, maxRetryMs, retryInitialDelayMs, retryMaxDelayMs, logger, onFailure, onSuccess } = options;
  assertOption(Number.isInteger(maxInFlight) && maxInFlight >= 1, `maxInFlight must be a positive integer, got ${maxInFlight}`);
  assertOption(Number.isInteger(batchSize) && batchSize >= 1, `sink batchSize must be a positive integer, got ${batchSize}`);
  assertOption(flushMs >= 0, `sink flushMs must be >= 0, got ${flushMs}`);

  const counters = { retries: 0, batches: 0 };
  let lastBatchAt: number | null = null;
  let stopping = false;
  let abort = new AbortController();

  interface Job {
    readonly outcomes: Outcome[];
    remaining: number;
    settled: boolean;
    readonly resolve: (outcomes: Outcome[]) => void;
    readonly reject: (e: unknown) => void;
  }
  interface Entry {
    readonly op: WriteOp;
    readonly bytes: number;
    readonly job: Job;
    readonly index: number;
  }
  let buffer: Entry[] = [];
  let bufferBytes = 0;
  /** When the oldest buffered entry arrived: its delivery's retry budget runs from there. */
  let bufferSince = 0;
  let timer: NodeJS.Timeout | null = null;
  /**
   * Bulk requests sent and not yet completed. A request waits for every
   * earlier one that writes one of its documents (so two writes of one
   * document never race, and the later one lands last), then for a free slot
   * of `maxInFlight`. `lastWriter` knows, per document, the latest request
   * writing it: one lookup per document, however many requests wait.
   */
  const inFlight = new Set<{ done: Promise<void> }>();
  const lastWriter = new Map<string, { done: Promise<void> }>();
  const slots = new Semaphore(maxInFlight);

  function submit(items: ReadonlyArray<{ op: WriteOp; bytes: number }>): Promise<Outcome[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<Outcome[]>((resolve, reject) => {
      const job: Job = { outcomes: new Array<Outcome>(items.length).fill(null), remaining: items.length, settled: false, resolve, reject };
      items.forEach(({ op, bytes }, index) => {
        if (buffer.length === 0) bufferSince = Date.now();
        buffer.push({ op, bytes, job, index });
        bufferBytes += bytes;
        if (buffer.length >= batchSize || bufferBytes >= maxBatchBytes) flush();
      });
      if (buffer.length > 0) {
        if (stopping) flush();
        else timer ??= setTimeout(flush, flushMs);
      }
    });
  }

  function flush(): void {
    if (timer) clearTimeout(timer);
    timer = null;
    if (buffer.length === 0) return;
    const chunk = buffer;
    // A chunk queued behind a failing one does not get a budget of its own:
    // every delivery settles within about maxRetryMs.
    const deadline = bufferSince + maxRetryMs;
    buffer = [];
    bufferBytes = 0;
    const request = { done: Promise.resolve() };
    const docs = new Set<string>();
    const earlier = new Set<Promise<void>>();
    for (const e of chunk) {
      const doc = docKey(e.op);
      if (docs.has(doc)) continue;
      docs.add(doc);
      const previous = lastWriter.get(doc);
      if (previous !== undefined) earlier.add(previous.done);
      lastWriter.set(doc, request);
    }
    // writeChunk settles every job itself and never rejects.
    request.done = Promise.all(earlier)
      .then(() => slots.runExclusive(() => writeChunk(chunk, deadline)))
      .finally(() => {
        inFlight.delete(request);
        for (const doc of docs) if (lastWriter.get(doc) === request) lastWriter.delete(doc);
      });
    inFlight.add(request);
  }

  async function writeChunk(chunk: readonly Entry[], deadline: number): Promise<void> {
    try {
      const outcomes = await writeWithRetry(
        chunk.map((e) => e.op),
        deadline,
      );
      counters.batches++;
      lastBatchAt = Date.now();
      chunk.forEach((e, i) => {
        const job = e.job;
        job.outcomes[e.index] = outcomes[i] ?? null;
        if (--job.remaining === 0 && !job.settled) {
          job.settled = true;
          job.resolve(job.outcomes);
        }
      });
    } catch (err) {
      for (const { job } of chunk) {
        if (!job.settled) {
          job.settled = true;
          job.reject(err);
        }
      }
    }
  }

  /**
   * Writes `ops` (deduplicated), retrying retriable failures item by item
   * until they succeed, the retry budget is spent (`deadline`, epoch ms) or
   * the writer stops. Always makes one attempt.
   */
  async function writeWithRetry(ops: readonly WriteOp[], deadline: number): Promise<Outcome[]> {
    const { unique, slot } = dedupe(ops);
    const outcomes = new Array<Outcome>(unique.length).fill(null);
    let pending = unique.map((_, i) => i);
    for (let attempt = 1; ; attempt++) {
      const results = await writeSplitting(pending.map((i) => unique[i]!));
      const again: number[] = [];
      let reason = '';
      results.forEach((r, k) => {
        const i = pending[k]!;
        if (r.ok) return;
        if (r.retriable) {
          again.push(i);
          reason = r.reason;
        } else outcomes[i] = r.reason;
      });
      if (again.length === 0) {
        onSuccess?.(attempt);
        return slot.map((u) => outcomes[u] ?? null);
      }
      const delay = backoffDelay(attempt, { initialDelayMs: retryInitialDelayMs, maxDelayMs: retryMaxDelayMs });
      if (stopping || Date.now() + delay > deadline) {
        onFailure?.(reason, false);
        throw new UnavailableError(`the search index did not accept ${again.length} of ${ops.length} documents${stopping ? ' before the sink stopped' : ` within ${maxRetryMs} ms`}: ${reason}`);
      }
      onFailure?.(reason, true);
      counters.retries++;
      logger.warn({ attempt, failed: again.length, of: unique.length, delayMs: delay, reason }, 'search index write failed; retrying the failed items');
      await sleep(delay, abort.signal).catch(() => undefined);
      pending = again;
    }
  }

  /**
   * One bulk request. A request refused as a whole for its content (400,
   * 413: too large) is split in halves until the culprit is alone; any other
   * failure of the whole request (unreachable, timeout, 5xx, a bug) makes
   * every item retriable: better to stall and say so than to drop records.
   */
  async function writeSplitting(ops: readonly WriteOp[]): Promise<readonly WriteResult[]> {
    try {
      return await writer.write(ops);
    } catch (e) {
      const err = toAppError(e);
      const contentFault = !isRetriable(err) && (err.code === ErrorCode.BadInput || err.code === ErrorCode.InvalidRecord);
      if (contentFault && ops.length > 1) {
        const half = Math.ceil(ops.length / 2);
        return [...(await writeSplitting(ops.slice(0, half))), ...(await writeSplitting(ops.slice(half)))];
      }
      if (contentFault) return [{ ok: false, retriable: false, reason: err.message }];
      // 401/403 (credentials revoked, privileges missing) are the cluster's state too: retried.
      if (!isRetriable(err) && err.code !== ErrorCode.Unavailable) logger.error({ err }, 'search index write failed unexpectedly; retrying');
      return ops.map(() => ({ ok: false, retriable: true, reason: err.message }));
    }
  }

  return {
    submit,
    flush,
    stop() {
      stopping = true;
      abort.abort(new UnavailableError('the sink is stopping', { retriable: false }));
      flush();
    },
    resume() {
      stopping = false;
      abort = new AbortController();
    },
    idle: async () => {
      while (inFlight.size > 0) await Promise.all([...inFlight].map((f) => f.done));
    },
    stats: () => ({ ...counters, lastBatchAt }),
  };
}

/**
 * Keeps one operation per document: the last for upserts and deletes (the
 * latest state wins, as it would have in order), the first for complaints
 * (create-once). `slot[i]` is the unique operation standing for `ops[i]`.
 */
function dedupe(ops: readonly WriteOp[]): { unique: WriteOp[]; slot: number[] } {
  const byDoc = new Map<string, number>();
  const unique: WriteOp[] = [];
  const slot: number[] = [];
  for (const op of ops) {
    const key = docKey(op);
    const seen = byDoc.get(key);
    if (seen === undefined) {
      byDoc.set(key, unique.length);
      slot.push(unique.length);
      unique.push(op);
    } else {
      slot.push(seen);
      if (op.kind !== 'createComplaint') unique[seen] = op;
    }
  }
  return { unique, slot };
}

function docKey(op: WriteOp): string {
  switch (op.kind) {
    case 'upsertRating':
      return `r/${op.rating.ratingId}`;
    case 'createComplaint':
      return `c/${op.complaint.id}`;
    case 'upsertCustomer':
      return `u/${op.customer.id}`;
    case 'deleteCustomer':
      return `u/${op.id}`;
  }
}
