/**
 * The fan-out hub of the live feed (`src/api/live-feed.ts`). One tail per
 * topic per gateway instance (never one per subscriber), started on the first
 * subscriber or by `start()`; it reads from the end of the topic, outside any
 * consumer group, so every instance sees every event, and hands each record
 * to every listener synchronously (a listener's buffer never makes it wait).
 * It knows where it is (`positions`), which is the seam a resuming complaint
 * subscription replays up to (`src/api/complaint-subscription.ts`).
 */
import type { Result } from '../domain/index.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { EventLog, LogRecord, Stoppable } from '../ports/event-log.js';
import { nextOffset } from '../domain/offsets.js';
import { compareOffsets, encodeCursor } from './feed-cursor.js';
import { jsonDecoder, type RecordDecoder } from '../services/record-codec.js';
import { retry } from '../retry.js';

export const LIVE_STREAMS = ['complaints', 'ratings', 'acknowledgements', 'transitions'] as const;
export type LiveStream = (typeof LIVE_STREAMS)[number];

export interface Delivery<T> {
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: number;
  readonly value: T;
  /**
   * Live deliveries only: the hub's positions just after this event, encoded
   * as a cursor once for all listeners (computed on first call, during the
   * synchronous delivery of this event).
   */
  readonly liveCursor?: () => string;
}

export type Listener<T> = (d: Delivery<T>) => void;

/** One tail of one topic, shared by every subscriber of that topic on this instance. */
export class Hub<T> {
  /** Next offset the tail reads per partition: everything below was delivered to the listeners attached at the time. */
  readonly positions = new Map<number, string>();
  private readonly listeners = new Map<Listener<T>, () => void>();
  private tail: Stoppable | null = null;
  private starting: Promise<void> | null = null;
  /** Keys of the events delivered lately, oldest first (insertion order), when deduplicating. */
  private readonly seen = new Set<string>();

  constructor(
    readonly stream: LiveStream,
    readonly topic: string,
    private readonly log: EventLog,
    private readonly logger: Logger,
    private readonly parseValue: (value: unknown) => Result<T>,
    /** Events with the key of one delivered among the last `size` are dropped. */
    private readonly dedup?: { readonly key: (value: T) => string; readonly size: number },
    private readonly decoder: RecordDecoder = jsonDecoder,
  ) {}

  /**
   * Decodes a batch's Avro records before it is delivered (synchronously).
   * A registry that cannot be asked holds the batch for a while (the tail
   * stays on it, so nothing is skipped while the registry comes back);
   * after that the records that could not be read are skipped with a warning,
   * as fan-out must not stall.
   */
  private async prepare(records: readonly LogRecord[]): Promise<void> {
    await retry(() => this.decoder.prepare(records), {
      maxAttempts: 10,
      initialDelayMs: 200,
      maxDelayMs: 5_000,
      onRetry: (err, attempt, delayMs) => this.logger.warn({ err, topic: this.topic, attempt, delayMs }, 'live feed could not decode a batch; retrying'),
    }).catch((err: unknown) => this.logger.error({ err, topic: this.topic, records: records.length }, 'live feed could not decode a batch; its undecoded records are skipped'));
  }

  get size(): number {
    return this.listeners.size;
  }

  /** Idempotent; a failed start is retried by the next caller. */
  start(): Promise<void> {
    this.starting ??= this.open().catch((e: unknown) => {
      this.starting = null;
      throw e;
    });
    return this.starting;
  }

  private async open(): Promise<void> {
    // Explicit offsets rather than 'latest': the hub must know exactly where
    // live delivery starts, so a resuming subscriber can replay up to there.
    const offsets = await this.log.offsets(this.topic);
    for (const o of offsets) this.positions.set(o.partition, o.high);
    this.tail = await this.log.tail({
      topic: this.topic,
      from: new Map(this.positions),
      // JSON needs no preparing: delivered in the same turn, as before Avro.
      onBatch: (records) => (this.decoder.format === 'json' ? this.deliver(records) : this.prepare(records).then(() => this.deliver(records))),
      onPosition: (partition, next) => this.advance(partition, next),
    });
    this.logger.debug({ topic: this.topic, stream: this.stream }, 'live tail started');
  }

  parse(record: LogRecord): Delivery<T> | null {
    if (record.value === null) return null;
    let result: Result<T, AppError>;
    try {
      result = this.parseValue(this.decoder.value(record));
    } catch (e) {
      // An InvalidRecordError, or an Avro record prepare() could not decode (registry unavailable too long).
      if (!(e instanceof AppError)) throw e;
      result = { ok: false, error: e };
    }
    if (!result.ok) {
      this.logger.warn({ topic: record.topic, partition: record.partition, offset: record.offset, err: result.error }, 'skipping a record that does not match its contract');
      return null;
    }
    return { partition: record.partition, offset: record.offset, timestamp: record.timestamp, value: result.value };
  }

  private deliver(records: readonly LogRecord[]): void {
    // Synchronous from here on: positions and deliveries change together, so
    // a subscriber attaching between two batches sees a consistent seam.
    for (const record of records) {
      this.advance(record.partition, nextOffset(record.offset));
      const parsed = this.parse(record);
      if (parsed === null || this.repeated(parsed.value)) continue;
      let cursor: string | undefined;
      // The positions right after this record, taken now: encoded later (when
      // a subscriber's result is executed) the live map would already include
      // the rest of the batch, and a subscriber dropped before receiving it
      // would resume past records it never got.
      const after = new Map(this.positions);
      const d: Delivery<T> = { ...parsed, liveCursor: () => (cursor ??= encodeCursor(after)) };
      for (const listener of this.listeners.keys()) {
        try {
          listener(d);
        } catch (err) {
          // One subscriber's bug must not cost the others this event.
          this.logger.error({ err, topic: record.topic, partition: record.partition, offset: record.offset }, 'live subscriber failed on an event');
        }
      }
    }
  }

  /** Whether an event with this value's key was delivered lately; remembers it otherwise. */
  private repeated(value: T): boolean {
    if (!this.dedup) return false;
    const key = this.dedup.key(value);
    if (this.seen.has(key)) {
      this.logger.debug({ topic: this.topic, key }, 'dropping a repeated event');
      return true;
    }
    this.seen.add(key);
    if (this.seen.size > this.dedup.size) this.seen.delete(this.seen.values().next().value as string);
    return false;
  }

  private advance(partition: number, next: string): void {
    const current = this.positions.get(partition);
    if (current === undefined || compareOffsets(next, current) > 0) this.positions.set(partition, next);
  }

  /** `end` is called when the hub stops. */
  add(listener: Listener<T>, end: () => void): void {
    this.listeners.set(listener, end);
  }

  remove(listener: Listener<T>): void {
    this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    const ends = [...this.listeners.values()];
    this.listeners.clear();
    for (const end of ends) end();
    const starting = this.starting;
    this.starting = null;
    if (starting) await starting.catch(() => undefined);
    const tail = this.tail;
    this.tail = null;
    await tail?.stop();
  }
}
