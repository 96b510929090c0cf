/**
 * In-memory event log for the embedded default: topics of partitions of
 * records in arrays, consumer groups with committed offsets. Delivery is
 * asynchronous (never inside `produce`), in offset order per partition, like
 * Kafka's; nothing is persisted.
 */
import { UnavailableError } from '../../errors.js';
import { backoffDelay, sleep } from '../../retry.js';
import type { Logger } from '../../logger.js';
import { silentLogger } from '../../logger.js';
import type {
  ConsumeOptions,
  EventLog,
  LogRecord,
  OutRecord,
  PartitionOffsets,
  Stoppable,
  TailOptions,
  TopicSpec,
} from '../../ports/event-log.js';

interface Topic {
  readonly name: string;
  readonly partitions: LogRecord[][];
  readonly compacted: boolean;
}

export interface MemoryEventLogOptions {
  /** Partitions of topics created without a count (or auto-created on produce). @default 3 */
  partitions?: number;
  /** Largest batch handed to a handler. @default 500 */
  maxBatchSize?: number;
  logger?: Logger;
}

type Waiter = () => void;

export function createMemoryEventLog(options: MemoryEventLogOptions = {}): MemoryEventLog {
  return new MemoryEventLog(options);
}

export class MemoryEventLog implements EventLog {
  readonly kind = 'memory' as const;
  private readonly topics = new Map<string, Topic>();
  /** group → "topic/partition" → next offset */
  private readonly committed = new Map<string, Map<string, number>>();
  private readonly waiters = new Set<Waiter>();
  private readonly loops = new Set<Stoppable>();
  private readonly defaultPartitions: number;
  private readonly maxBatchSize: number;
  private readonly logger: Logger;
  private rr = 0;
  private closed = false;

  constructor({ partitions = 3, maxBatchSize = 500, logger = silentLogger }: MemoryEventLogOptions = {}) {
    this.defaultPartitions = partitions;
    this.maxBatchSize = maxBatchSize;
    this.logger = logger;
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    for (const s of specs) this.topic(s.name, s.partitions, s.compacted);
  }

  private topic(name: string, partitions = this.defaultPartitions, compacted = false): Topic {
    let t = this.topics.get(name);
    if (!t) {
      t = { name, partitions: Array.from({ length: partitions }, () => []), compacted };
      this.topics.set(name, t);
    }
    return t;
  }

  async produce(records: readonly OutRecord[]): Promise<void> {
    if (this.closed) throw new UnavailableError('event log is closed', { retriable: false });
    const now = Date.now();
    for (const r of records) {
      const t = this.topic(r.topic);
      const key = toBuffer(r.key);
      const p = r.partition ?? (key ? hash(key) % t.partitions.length : this.rr++ % t.partitions.length);
      const part = t.partitions[p];
      if (!part) throw new UnavailableError(`topic ${r.topic} has no partition ${p}`, { retriable: false });
      part.push({
        topic: r.topic,
        partition: p,
        offset: String(part.length),
        key,
        value: toBuffer(r.value),
        timestamp: r.timestamp ?? now,
        headers: { ...(r.headers ?? {}) },
      });
    }
    this.wake();
  }

  async offsets(topic: string): Promise<readonly PartitionOffsets[]> {
    return this.topic(topic).partitions.map((p, partition) => ({ partition, low: '0', high: String(p.length) }));
  }

  async tail({ topic, from, onBatch }: TailOptions): Promise<Stoppable> {
    const t = this.topic(topic);
    const next = t.partitions.map((p, i) =>
      from === 'earliest' ? 0 : from === 'latest' ? p.length : Number(from.get(i) ?? 0),
    );
    return this.loop(async () => {
      let delivered = false;
      for (const [i, part] of t.partitions.entries()) {
        const start = next[i] ?? 0;
        if (start >= part.length) continue;
        const batch = part.slice(start, start + this.maxBatchSize);
        next[i] = start + batch.length;
        delivered = true;
        try {
          await onBatch(batch);
        } catch (err) {
          this.logger.error({ err, topic, partition: i, offset: batch[0]?.offset }, 'tail handler failed; batch skipped');
        }
      }
      return delivered;
    });
  }

  async consume({ groupId, topics, fromBeginning = true, onBatch }: ConsumeOptions): Promise<Stoppable> {
    let offsets = this.committed.get(groupId);
    if (!offsets) this.committed.set(groupId, (offsets = new Map()));
    const group = offsets;
    const attempts = new Map<string, number>();
    return this.loop(async () => {
      let delivered = false;
      for (const name of topics) {
        const t = this.topic(name);
        for (const [i, part] of t.partitions.entries()) {
          const k = `${name}/${i}`;
          if (!group.has(k)) group.set(k, fromBeginning ? 0 : part.length);
          const start = group.get(k) ?? 0;
          if (start >= part.length) continue;
          const batch = part.slice(start, start + this.maxBatchSize);
          delivered = true;
          try {
            await onBatch(batch);
            group.set(k, start + batch.length);
            attempts.delete(k);
          } catch (err) {
            const n = (attempts.get(k) ?? 0) + 1;
            attempts.set(k, n);
            this.logger.warn({ err, topic: name, partition: i, offset: batch[0]?.offset, attempt: n }, 'handler failed; batch will be redelivered');
            await sleep(backoffDelay(n, { initialDelayMs: 50, maxDelayMs: 5_000 }));
          }
        }
      }
      return delivered;
    });
  }

  async lag(groupId: string, topic: string): Promise<number> {
    const t = this.topic(topic);
    const group = this.committed.get(groupId);
    return t.partitions.reduce((sum, part, i) => sum + part.length - (group?.get(`${topic}/${i}`) ?? 0), 0);
  }

  async ping(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.loops].map((l) => l.stop()));
  }

  /** All records of a topic in partition then offset order (tests, demo). */
  records(topic: string): readonly LogRecord[] {
    return this.topics.get(topic)?.partitions.flat() ?? [];
  }

  /** Runs `step` until stopped; sleeps until the next produce when a step delivered nothing. */
  private async loop(step: () => Promise<boolean>): Promise<Stoppable> {
    let stopped = false;
    let wakeUp: Waiter | undefined;
    const done = (async () => {
      await Promise.resolve();
      while (!stopped) {
        const delivered = await step();
        if (!delivered && !stopped) {
          await new Promise<void>((resolve) => {
            wakeUp = resolve;
            this.waiters.add(resolve);
          });
          if (wakeUp) this.waiters.delete(wakeUp);
        }
      }
    })();
    const handle: Stoppable = {
      stop: async () => {
        if (!stopped) {
          stopped = true;
          wakeUp?.();
          this.loops.delete(handle);
        }
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

function toBuffer(v: string | Buffer | null): Buffer | null {
  return v === null ? null : typeof v === 'string' ? Buffer.from(v) : v;
}

/** FNV-1a; stable partitioning by key within the process. */
function hash(b: Buffer): number {
  let h = 0x811c9dc5;
  for (const byte of b) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h;
}
