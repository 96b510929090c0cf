/**
 * In-memory event log for the embedded default: topics of partitions of
 * records in arrays, consumer groups with committed offsets. Delivery is
 * asynchronous (never inside `produce`), in offset order per partition, like
 * Kafka's; nothing is persisted.
 *
 * Retention: a partition keeps at most `maxRecordsPerPartition` records. Past
 * that, the oldest are dropped, a tenth of the bound at a time (as Kafka
 * deletes whole segments), and `offsets().low` moves up; offsets keep
 * increasing. Tails and groups positioned below `low` go on at `low`, as a
 * Kafka consumer with auto.offset.reset=earliest would. A compacted topic is
 * compacted instead (the latest record per key kept, which leaves gaps in its
 * offsets), so it is bounded by its keys and a table read from it stays whole.
 *
 * Besides the port it offers what the in-memory stream runtime needs to be
 * exactly-once: {@link MemoryEventLog.read}, {@link MemoryEventLog.committedOffset}
 * and {@link MemoryEventLog.commitTransaction}, which appends records and
 * moves a group's offsets in one step (JavaScript runs it without interleaving).
 */
import { UnavailableError, assertOption } from '../../errors.js';
import { backoffDelay } from '../../retry.js';
import type { Logger } from '../../logger.js';
import { silentLogger } from '../../logger.js';
import { isBatchTaken, type ConsumeOptions, type EventLog, type LogRecord, type OutRecord, type PartitionOffsets, type Stoppable, type TailOptions, type TopicSpec } from '../../ports/event-log.js';

interface Partition {
  /** Retained records in offset order (with gaps in a compacted topic). */
  records: LogRecord[];
  /** First offset still readable: moved up when retention drops records. */
  low: number;
  /** Next offset to be written. */
  high: number;
  /** Compacted topics: the size at which the next compaction runs. */
  compactAt: number;
}

interface Topic {
  readonly name: string;
  readonly partitions: Partition[];
  readonly compacted: boolean;
}

export interface MemoryEventLogOptions {
  /** Partitions of topics created without a count (or auto-created on produce). @default 3 */
  partitions?: number;
  /** Largest batch handed to a handler. @default 500 */
  maxBatchSize?: number;
  /** Records a partition keeps; the oldest are dropped past it (compacted topics are compacted instead). @default 100_000 */
  maxRecordsPerPartition?: number;
  /** First redelivery delay after a consume handler threw. @default 50 // ms */
  retryInitialDelayMs?: number;
  logger?: Logger;
}

/** A committed position: the next offset a group reads on a partition. */
export interface GroupOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

type Waiter = () => void;

export function createMemoryEventLog(options: MemoryEventLogOptions = {}): MemoryEventLog {
  return new MemoryEventLog(options);
}

export class MemoryEventLog implements EventLog {
  readonly kind = 'memory' as const;
  private readonly topics = new Map<string, Topic>();
  /** group → "topic/partition" → next offset */
  private readonly groupOffsets = new Map<string, Map<string, number>>();
  private readonly waiters = new Set<Waiter>();
  private readonly loops = new Set<Stoppable>();
  private readonly defaultPartitions: number;
  private readonly maxBatchSize: number;
  private readonly maxRecords: number;
  private readonly retryInitialDelayMs: number;
  private readonly logger: Logger;
  private rr = 0;
  private closed = false;
  /** Bumped by every append; lets a reader that checked at version v sleep without missing a later append. */
  private appended = 0;

  constructor({ partitions = 3, maxBatchSize = 500, maxRecordsPerPartition = 100_000, retryInitialDelayMs = 50, logger = silentLogger }: MemoryEventLogOptions = {}) {
    assertOption(Number.isSafeInteger(maxRecordsPerPartition) && maxRecordsPerPartition >= 1, `maxRecordsPerPartition must be a positive integer, got ${maxRecordsPerPartition}`);
    this.defaultPartitions = partitions;
    this.maxBatchSize = maxBatchSize;
    this.maxRecords = maxRecordsPerPartition;
    this.retryInitialDelayMs = retryInitialDelayMs;
    this.logger = logger;
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    for (const s of specs) this.topic(s.name, s.partitions, s.compacted);
  }

  private topic(name: string, partitions = this.defaultPartitions, compacted = false): Topic {
    let t = this.topics.get(name);
    if (!t) {
      t = { name, partitions: Array.from({ length: partitions }, () => ({ records: [], low: 0, high: 0, compactAt: this.maxRecords })), compacted };
      this.topics.set(name, t);
    }
    return t;
  }

  async produce(records: readonly OutRecord[]): Promise<void> {
    this.append(records);
  }

  /** Appends synchronously; throws when closed or a partition does not exist. */
  private append(records: readonly OutRecord[]): void {
    if (this.closed) throw new UnavailableError('event log is closed', { retriable: false });
    const now = Date.now();
    // Validate first, so a bad record appends nothing (all or nothing, like a transaction).
    const placed = records.map((r) => {
      const t = this.topic(r.topic);
      const key = toBuffer(r.key);
      const p = r.partition ?? (key ? hash(key) % t.partitions.length : this.rr++ % t.partitions.length);
      const part = t.partitions[p];
      if (!part) throw new UnavailableError(`topic ${r.topic} has no partition ${p}`, { retriable: false });
      return { r, key, p, part, t };
    });
    const touched = new Map<Partition, Topic>();
    for (const { r, key, p, part, t } of placed) {
      part.records.push({
        topic: r.topic,
        partition: p,
        offset: String(part.high++),
        key,
        value: toBuffer(r.value),
        timestamp: r.timestamp ?? now,
        headers: { ...(r.headers ?? {}) },
      });
      touched.set(part, t);
    }
    for (const [part, t] of touched) this.retain(t, part);
    if (placed.length > 0) {
      this.appended++;
      this.wake();
    }
  }

  /** Keeps a partition within the bound: compacts a compacted topic, drops the oldest records of any other. */
  private retain(t: Topic, part: Partition): void {
    if (t.compacted) {
      if (part.records.length <= part.compactAt) return;
      part.records = compact(part.records);
      // Compact again once it grew by a tenth: a topic with more keys than the bound is not compacted at every append.
      part.compactAt = Math.max(this.maxRecords, Math.ceil(part.records.length * 1.1));
      return;
    }
    if (part.records.length <= this.maxRecords) return;
    const keep = Math.max(1, this.maxRecords - Math.floor(this.maxRecords / 10));
    part.records.splice(0, part.records.length - keep);
    part.low = Number(part.records[0]?.offset ?? part.high);
  }

  /** Appends are atomic here (no transaction is ever open), so both isolations see the same end. */
  async offsets(topic: string): Promise<readonly PartitionOffsets[]> {
    return this.topic(topic).partitions.map((p, partition) => ({ partition, low: String(p.low), high: String(p.high) }));
  }

  async tail({ topic, from, onBatch, onPosition }: TailOptions): Promise<Stoppable> {
    const t = this.topic(topic);
    const next = t.partitions.map((p, i) => (from === 'earliest' ? p.low : from === 'latest' ? p.high : Math.min(p.high, Number(from.get(i) ?? p.low))));
    return this.loop(async () => {
      let delivered = false;
      for (const [i, part] of t.partitions.entries()) {
        // Below the first readable offset (retention dropped what was next): go on at low.
        const start = Math.max(next[i] ?? part.low, part.low);
        if (start >= part.high) continue;
        const batch = readFrom(part, start, this.maxBatchSize);
        const last = batch[batch.length - 1];
        next[i] = last ? Number(last.offset) + 1 : part.high;
        if (!last) continue;
        delivered = true;
        try {
          await onBatch(batch);
        } catch (err) {
          this.logger.error({ err, topic, partition: i, offset: batch[0]?.offset }, 'tail handler failed; batch skipped');
        }
        onPosition?.(i, String(next[i]));
      }
      return delivered;
    });
  }

  async consume({ groupId, topics, fromBeginning = true, onBatch }: ConsumeOptions): Promise<Stoppable> {
    const group = this.group(groupId);
    const attempts = new Map<string, number>();
    /** "topic/partition" → epoch ms before which the partition is paused after a failure */
    const pausedUntil = new Map<string, number>();
    /** "topic/partition" → its batch taken in and not done yet: the partition waits for it (other partitions go on). */
    const busy = new Map<string, Promise<void>>();
    const failed = (k: string, name: string, partition: number, offset: string | undefined, err: unknown): void => {
      const n = (attempts.get(k) ?? 0) + 1;
      attempts.set(k, n);
      const delay = backoffDelay(n, { initialDelayMs: this.retryInitialDelayMs, maxDelayMs: 5_000 });
      pausedUntil.set(k, Date.now() + delay);
      this.logger.warn({ err, topic: name, partition, offset, attempt: n, delayMs: delay }, 'handler failed; batch will be redelivered');
    };
    const committed = (k: string, next: number): void => {
      group.set(k, next);
      attempts.delete(k);
      pausedUntil.delete(k);
    };
    const loop = await this.loop(async () => {
      let delivered = false;
      let nextRetry = Number.POSITIVE_INFINITY;
      for (const name of topics) {
        const t = this.topic(name);
        for (const [i, part] of t.partitions.entries()) {
          const k = `${name}/${i}`;
          if (!group.has(k)) group.set(k, fromBeginning ? part.low : part.high);
          // A committed offset below low (retention dropped those records) goes on at low.
          const start = Math.max(group.get(k) ?? part.low, part.low);
          if (start >= part.high || busy.has(k)) continue;
          const until = pausedUntil.get(k) ?? 0;
          if (until > Date.now()) {
            nextRetry = Math.min(nextRetry, until);
            continue;
          }
          const batch = readFrom(part, start, this.maxBatchSize);
          const last = batch[batch.length - 1];
          if (!last) continue;
          delivered = true;
          try {
            const taken = await onBatch(batch);
            if (isBatchTaken(taken)) {
              // Finished in the background: the other partitions go on meanwhile (a pipeline of one batch per partition).
              const settled = taken.done.then(
                () => committed(k, Number(last.offset) + 1),
                (err: unknown) => failed(k, name, i, batch[0]?.offset, err),
              );
              busy.set(
                k,
                settled.finally(() => {
                  busy.delete(k);
                  // A change like an append: a loop that looked before this and sleeps now must wake.
                  this.appended++;
                  this.wake();
                }),
              );
            } else committed(k, Number(last.offset) + 1);
          } catch (err) {
            failed(k, name, i, batch[0]?.offset, err);
          }
        }
      }
      return delivered ? true : nextRetry;
    });
    return {
      stop: async () => {
        await loop.stop();
        // Batches being finished are committed (or not) before the consumer is gone.
        while (busy.size > 0) await Promise.all(busy.values());
      },
    };
  }

  async lag(groupId: string, topic: string): Promise<number> {
    const t = this.topic(topic);
    const group = this.groupOffsets.get(groupId);
    return t.partitions.reduce((sum, part, i) => sum + part.high - Math.max(group?.get(`${topic}/${i}`) ?? part.low, part.low), 0);
  }

  async committed(groupId: string, topic: string): Promise<ReadonlyMap<number, string>> {
    const out = new Map<number, string>();
    const group = this.groupOffsets.get(groupId);
    const t = this.topics.get(topic);
    if (!group || !t) return out;
    for (let p = 0; p < t.partitions.length; p++) {
      const o = group.get(`${topic}/${p}`);
      if (o !== undefined) out.set(p, String(o));
    }
    return out;
  }

  async ping(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.loops].map((l) => l.stop()));
  }

  // ---- for the in-memory stream runtime, tests and the demo ----

  /** All records of a topic in partition then offset order (tests, demo). */
  records(topic: string): readonly LogRecord[] {
    return this.topics.get(topic)?.partitions.flatMap((p) => p.records) ?? [];
  }

  /** Partitions of a topic (created with the default count if missing). */
  partitionCount(topic: string): number {
    return this.topic(topic).partitions.length;
  }

  /** Up to `max` records of a partition from offset `from` (from `low` when `from` is below it). */
  read(topic: string, partition: number, from: number, max = this.maxBatchSize): readonly LogRecord[] {
    const part = this.topic(topic).partitions[partition];
    return part ? readFrom(part, Math.max(from, part.low), max) : [];
  }

  /** The next offset a group reads on a partition, or undefined when it committed none. */
  committedOffset(groupId: string, topic: string, partition: number): number | undefined {
    return this.groupOffsets.get(groupId)?.get(`${topic}/${partition}`);
  }

  /**
   * Appends `records` and commits `offsets` for `groupId` in one step: either
   * both happen or neither (the in-memory equivalent of a Kafka transaction
   * with `sendOffsets`).
   */
  commitTransaction(records: readonly OutRecord[], groupId: string, offsets: readonly GroupOffset[]): void {
    this.append(records);
    const group = this.group(groupId);
    for (const o of offsets) group.set(`${o.topic}/${o.partition}`, o.offset);
  }

  /** A counter of appends (and of batches a consumer finished in the background), for {@link waitForRecords}. */
  version(): number {
    return this.appended;
  }

  /**
   * Resolves at the next produce, after `timeoutMs`, or when `signal` aborts;
   * at once when anything was appended since `sinceVersion` (a
   * {@link version} taken before the caller last looked), so a wake-up is
   * never lost between looking and sleeping.
   */
  waitForRecords(timeoutMs = Number.POSITIVE_INFINITY, signal?: AbortSignal, sinceVersion?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (sinceVersion !== undefined && sinceVersion !== this.appended) return resolve();
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        this.waiters.delete(done);
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      if (this.closed || signal?.aborted) return resolve();
      this.waiters.add(done);
      if (Number.isFinite(timeoutMs)) timer = setTimeout(done, Math.max(0, timeoutMs));
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private group(groupId: string): Map<string, number> {
    let offsets = this.groupOffsets.get(groupId);
    if (!offsets) this.groupOffsets.set(groupId, (offsets = new Map()));
    return offsets;
  }

  /**
   * Runs `step` until stopped. A step returns true when it delivered
   * something (run again at once), false to sleep until the next produce, or
   * an epoch-ms time to sleep until then at the latest.
   */
  private async loop(step: () => Promise<boolean | number>): Promise<Stoppable> {
    const abort = new AbortController();
    const done = (async () => {
      await Promise.resolve();
      while (!abort.signal.aborted) {
        const seen = this.appended;
        const r = await step();
        if (r === true || abort.signal.aborted) continue;
        await this.waitForRecords(r === false ? Number.POSITIVE_INFINITY : r - Date.now(), abort.signal, seen);
      }
    })();
    const handle: Stoppable = {
      stop: async () => {
        abort.abort();
        this.loops.delete(handle);
        await done;
      },
    };
    this.loops.add(handle);
    return handle;
  }

  private wake(): void {
    const ws = [...this.waiters];
    this.waiters.clear();
    // Deliver after the producer's turn, never inside produce().
    setImmediate(() => ws.forEach((w) => w()));
  }
}

/** Up to `max` records from the first at or after offset `from`. */
function readFrom(part: Partition, from: number, max: number): LogRecord[] {
  const rs = part.records;
  let lo = 0;
  let hi = rs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (Number(rs[mid]!.offset) < from) lo = mid + 1;
    else hi = mid;
  }
  return rs.slice(lo, lo + max);
}

/** The latest record of each key, in offset order; records without a key are kept. */
function compact(records: readonly LogRecord[]): LogRecord[] {
  const seen = new Set<string>();
  const kept: LogRecord[] = [];
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i]!;
    if (r.key !== null) {
      const k = r.key.toString('latin1');
      if (seen.has(k)) continue;
      seen.add(k);
    }
    kept.push(r);
  }
  return kept.reverse();
}

function toBuffer(v: string | Buffer | null): Buffer | null {
  return v === null ? null : typeof v === 'string' ? Buffer.from(v) : v;
}

/** FNV-1a; stable partitioning by key within the process. */
function hash(b: Buffer): number {
  let h = 0x811c9dc5;
  for (const byte of b) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h;
}
