/**
 * The fan-out hub behind the subscriptions. One tail per topic per gateway
 * instance (never one per subscriber), started on the first subscriber or by
 * `start()`; it reads from the end of the topic, outside any consumer group,
 * so every instance sees every event. Each subscriber gets its own bounded
 * buffer: a subscriber that does not keep up overflows its buffer and is ended
 * (SLOW_CONSUMER) without slowing anybody else, because delivery to a buffer
 * never waits.
 *
 * Resuming `complaints(after)`: the cursor is a position vector (next offset
 * per partition). The subscriber first joins the live hub and notes where the
 * hub is (the seam), then a separate, short-lived tail replays the cursor's
 * positions up to the seam, and live events of a partition are held until its
 * replay reached the seam. Events are deduplicated by (partition, offset), so
 * there is neither a gap nor a duplicate at the seam. A replay is read only as
 * fast as its subscriber takes events (its tail waits while the buffer is
 * full), so a backlog larger than the buffer resumes too. Each replay is a reader
 * of its own (a Kafka consumer), so at most `maxConcurrentReplays` run at once
 * per instance: after a restart, the many clients resuming at once queue for a
 * slot (before joining the hub, so the seam is wherever the hub is when their
 * turn comes), and one that waited `replayQueueTimeoutMs` in vain is refused
 * with a retriable SERVICE_UNAVAILABLE.
 *
 * Depends on ports and domain parsers only.
 */
import {
  openComplaint,
  parseAcknowledgement,
  parseEnrichedRecord,
  parseTransition,
  TransitionKind,
  type Acknowledgement,
  type Transition,
  type Complaint,
  type EnrichedRating,
  type Result,
} from '../domain/index.js';
import { AppError, BadInputError, ErrorCode } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { EventLog, LogRecord, Stoppable } from '../ports/event-log.js';
import { createEventMemo, type EventMemo } from './event-memo.js';
import { compareOffsets, decodeCursor, encodeCursor, nextOffset, type Positions } from './feed-cursor.js';
import { jsonDecoder, type RecordDecoder } from '../services/record-codec.js';
import { retry } from '../retry.js';

export const LIVE_STREAMS = ['complaints', 'ratings', 'acknowledgements', 'transitions'] as const;
export type LiveStream = (typeof LIVE_STREAMS)[number];

export interface LiveFeedOptions {
  log: EventLog;
  /** `transitions` (complaint-transitions): resolutions reach {@link LiveFeed.updates} only when set. */
  topics: { readonly complaints: string; readonly ratingsEnriched: string; readonly acknowledgements: string; readonly transitions?: string };
  /** Events queued for one subscriber before it is ended as slow. @default 1_000 */
  bufferSize?: number;
  logger?: Logger;
  /** Called each time a subscriber is ended because its buffer overflowed (metrics). */
  onSlowSubscriber?: (stream: LiveStream) => void;
  /** Complaints remembered for {@link LiveFeed.recentComplaint}. @default 10_000 */
  recentComplaints?: number;
  /**
   * Acknowledgements remembered to drop repeats: the same (complaint, at)
   * published twice (a republish of an unpublished acknowledgement, a
   * produce retried after an ambiguous timeout) is delivered once.
   * @default 10_000
   */
  recentAcknowledgements?: number;
  /** Cursor replays (each its own reader of the log) running at once; more wait for a slot. @default 4 */
  maxConcurrentReplays?: number;
  /** Longest wait for a replay slot before SERVICE_UNAVAILABLE (retriable). @default 30_000 // 30 seconds */
  replayQueueTimeoutMs?: number;
  /**
   * Reads `ratings-with-customer-data` for `ratingAdded`: `auto` with a schema
   * registry reads it when written as Avro (ENRICHED_FORMAT=avro).
   * Complaints and acknowledgements are JSON. @default JSON
   */
  enrichedDecoder?: RecordDecoder;
}

export interface SubscribeOptions {
  /**
   * Called once if this subscriber's buffer overflows, after it was detached
   * and its buffer freed; the WebSocket server closes the connection here.
   * Either way the iterator's next `next()` rejects with SLOW_CONSUMER, and
   * it is done after that.
   */
  onOverflow?: (error: AppError) => void;
}

export interface ComplaintEvent {
  /** The position vector just after this event; pass it back as `after`. */
  readonly cursor: string;
  readonly complaint: Complaint;
  readonly partition: number;
  readonly offset: string;
  /** Record timestamp, epoch ms. */
  readonly timestamp: number;
  /** From the replay of a cursor rather than live. */
  readonly replayed: boolean;
}

export interface LiveFeed {
  /** Starts all tails now rather than on the first subscriber. Idempotent. */
  start(): Promise<void>;
  /**
   * Complaints as they are raised; with `after`, first those after that
   * cursor. Resolves once the subscriber is attached (events from then on
   * are buffered for it).
   * @throws BadInputError for a malformed cursor or one ahead of the log
   * @throws AppError CURSOR_EXPIRED when retention deleted events after the cursor
   */
  complaints(options?: SubscribeOptions & { readonly after?: string | null }): Promise<AsyncIterableIterator<ComplaintEvent>>;
  /** Enriched ratings as they are joined; only those `filter` accepts take buffer space. */
  ratings(options?: SubscribeOptions & { readonly filter?: (r: EnrichedRating) => boolean }): Promise<AsyncIterableIterator<EnrichedRating>>;
  /** Acknowledgements as published, from every instance and surface (GraphQL, Slack). */
  acknowledgements(options?: SubscribeOptions & { readonly complaintId?: string | null }): Promise<AsyncIterableIterator<Acknowledgement>>;
  /**
   * Every transition of a complaint: acknowledgements (from
   * `complaint-acknowledgements`, as {@link LiveFeed.acknowledgements}) and
   * resolutions (from the transitions topic). One object per event for all
   * subscribers (it keys {@link LiveFeed.shared}).
   */
  updates(options?: SubscribeOptions & { readonly complaintId?: string | null }): Promise<AsyncIterableIterator<Transition>>;
  /**
   * A complaint this instance saw on the complaints topic lately (as raised,
   * state OPEN), or null. Lets an acknowledgement arrive before the sink has
   * indexed the complaint. Only complaints seen since the feed started.
   */
  recentComplaint(id: string): Complaint | null;
  /** Attached subscribers (of one stream, or all). */
  subscriberCount(stream?: LiveStream): number;
  /** Cursor replays holding a slot or waiting for one (metrics: `graphql_replay_slots_in_use`). */
  replaysInUse(): number;
  /**
   * Lookups shared by all subscribers of one event: key them by the object
   * this feed delivered (a complaint event's `complaint`, an acknowledgement,
   * a rating), so N subscribers cost one lookup per event.
   */
  readonly shared: EventMemo;
  /** Stops the tails and ends every subscriber (their iterators are done). Idempotent. */
  stop(): Promise<void>;
}

export class SlowConsumerError extends AppError {
  constructor(stream: LiveStream, bufferSize: number) {
    super(ErrorCode.SlowConsumer, `SLOW_CONSUMER: more than ${bufferSize} ${stream} events were waiting for this subscriber; it was disconnected, reconnect to continue`, {
      details: { stream, bufferSize },
    });
  }
}

export function createLiveFeed(options: LiveFeedOptions): LiveFeed {
  const {
    log,
    topics,
    bufferSize = 1_000,
    logger = silentLogger,
    onSlowSubscriber,
    recentComplaints = 10_000,
    recentAcknowledgements = 10_000,
    maxConcurrentReplays = 4,
    replayQueueTimeoutMs = 30_000,
    enrichedDecoder = jsonDecoder,
  } = options;
  if (!Number.isInteger(bufferSize) || bufferSize < 1) throw new BadInputError(`bufferSize must be a positive integer, got ${bufferSize}`);
  if (!Number.isInteger(maxConcurrentReplays) || maxConcurrentReplays < 1) throw new BadInputError(`maxConcurrentReplays must be a positive integer, got ${maxConcurrentReplays}`);
  const replaySlots = new Slots(maxConcurrentReplays);

  // Complaints seen lately, so one can be acknowledged before the sink has indexed it.
  const recent = new Map<string, Complaint>();
  const complaintsHub = new Hub<Complaint>('complaints', topics.complaints, log, logger, (v) => {
    const r = parseEnrichedRecord(v);
    if (!r.ok) return r;
    const complaint = openComplaint(r.value);
    recent.delete(complaint.id);
    // A copy: the delivered object keys the subscribers' shared lookups, which must go with the event.
    recent.set(complaint.id, { ...complaint });
    if (recent.size > recentComplaints) recent.delete(recent.keys().next().value as string);
    return { ok: true, value: complaint };
  });
  const ratingsHub = new Hub<EnrichedRating>('ratings', topics.ratingsEnriched, log, logger, parseEnrichedRecord, undefined, enrichedDecoder);
  const acksHub = new Hub<Acknowledgement>('acknowledgements', topics.acknowledgements, log, logger, parseAcknowledgement, {
    key: (a) => `${a.complaintId}\u0000${a.at}`,
    size: recentAcknowledgements,
  });
  // Resolutions only: acknowledgements come from their own topic, which every publisher writes.
  const transitionsHub = topics.transitions
    ? new Hub<Transition>('transitions', topics.transitions, log, logger, parseTransition, { key: (t) => `${t.complaintId}\u0000${t.kind}\u0000${t.at}`, size: recentAcknowledgements })
    : null;
  /** One transition object per delivered acknowledgement, shared by every subscriber of {@link LiveFeed.updates}. */
  const ackTransitions = new WeakMap<Acknowledgement, Transition>();
  const asTransition = (a: Acknowledgement): Transition => {
    let t = ackTransitions.get(a);
    if (!t) ackTransitions.set(a, (t = { ...a, kind: TransitionKind.Acknowledged }));
    return t;
  };
  const none: Pick<Hub<never>, 'size' | 'start' | 'stop'> = { size: 0, start: async () => undefined, stop: async () => undefined };
  const hubs: Readonly<Record<LiveStream, Pick<Hub<never>, 'size' | 'start' | 'stop'>>> = {
    complaints: complaintsHub,
    ratings: ratingsHub,
    acknowledgements: acksHub,
    transitions: transitionsHub ?? none,
  };
  let stopped = false;

  function checkRunning(): void {
    if (stopped) throw new AppError(ErrorCode.Unavailable, 'the live feed is shutting down; reconnect to another instance', { retriable: true });
  }

  function queueFor<T>(stream: LiveStream, o: SubscribeOptions, detach: () => void): BoundedQueue<T> {
    return new BoundedQueue<T>(bufferSize, detach, (error) => {
      logger.warn({ stream, bufferSize }, 'subscriber too slow; disconnected');
      onSlowSubscriber?.(stream);
      o.onOverflow?.(error);
    }, () => new SlowConsumerError(stream, bufferSize));
  }

  async function simple<T, U>(hub: Hub<T>, o: SubscribeOptions, accept: (item: T) => boolean, map: (d: Delivery<T>) => U): Promise<AsyncIterableIterator<U>> {
    checkRunning();
    await hub.start();
    checkRunning();
    const listener: Listener<T> = (d) => {
      if (accept(d.value)) queue.push(map(d));
    };
    const queue: BoundedQueue<U> = queueFor<U>(hub.stream, o, () => hub.remove(listener));
    hub.add(listener, () => queue.end());
    return queue;
  }

  async function complaints(o: SubscribeOptions & { readonly after?: string | null } = {}): Promise<AsyncIterableIterator<ComplaintEvent>> {
    const after = o.after === null || o.after === undefined ? null : decodeCursor(o.after);
    checkRunning();
    await complaintsHub.start();
    checkRunning();
    let release = (): void => undefined;
    if (after !== null) {
      release = await replaySlots.acquire(replayQueueTimeoutMs, () => {
        logger.warn({ maxConcurrentReplays, replayQueueTimeoutMs }, 'no replay slot came free in time; resuming subscriber refused');
        return new AppError(
          ErrorCode.Unavailable,
          `too many subscribers are resuming from a cursor on this instance (${maxConcurrentReplays} at once); subscribe again with the same cursor shortly`,
          { retriable: true },
        );
      });
      if (stopped) {
        release();
        checkRunning();
      }
    }
    const sub = new ComplaintSubscription(complaintsHub, bufferSize, logger, (detach) => queueFor<ComplaintEvent>('complaints', o, detach), release);
    try {
      await sub.attach(after, log);
    } catch (e) {
      await sub.queue.return();
      release();
      throw e;
    }
    return sub.queue;
  }

  return {
    async start() {
      checkRunning();
      await Promise.all(Object.values(hubs).map((h) => h.start()));
    },
    recentComplaint: (id) => recent.get(id) ?? null,
    shared: createEventMemo(),
    complaints,
    ratings: (o = {}) => simple(ratingsHub, o, o.filter ?? (() => true), (d) => d.value),
    acknowledgements: (o = {}) => {
      const id = o.complaintId ?? null;
      return simple(acksHub, o, (a) => id === null || a.complaintId === id, (d) => d.value);
    },
    async updates(o = {}) {
      const id = o.complaintId ?? null;
      checkRunning();
      await Promise.all([acksHub.start(), transitionsHub?.start()]);
      checkRunning();
      const onAck: Listener<Acknowledgement> = (d) => {
        if (id === null || d.value.complaintId === id) queue.push(asTransition(d.value));
      };
      const onTransition: Listener<Transition> = (d) => {
        if (d.value.kind === TransitionKind.Resolved && (id === null || d.value.complaintId === id)) queue.push(d.value);
      };
      const queue: BoundedQueue<Transition> = queueFor<Transition>('transitions', o, () => {
        acksHub.remove(onAck);
        transitionsHub?.remove(onTransition);
      });
      acksHub.add(onAck, () => queue.end());
      transitionsHub?.add(onTransition, () => queue.end());
      return queue;
    },
    replaysInUse: () => replaySlots.inUse,
    subscriberCount(stream) {
      return stream ? hubs[stream].size : Object.values(hubs).reduce((n, h) => n + h.size, 0);
    },
    async stop() {
      stopped = true;
      replaySlots.rejectWaiting(() => new AppError(ErrorCode.Unavailable, 'the live feed is shutting down; reconnect to another instance', { retriable: true }));
      await Promise.all(Object.values(hubs).map((h) => h.stop()));
    },
  };
}

// ---- hub ---------------------------------------------------------------------

interface Delivery<T> {
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

type Listener<T> = (d: Delivery<T>) => void;

/** One tail of one topic, shared by every subscriber of that topic on this instance. */
class Hub<T> {
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

// ---- resumable complaints ----------------------------------------------------

class ComplaintSubscription {
  readonly queue: BoundedQueue<ComplaintEvent>;
  /** What this subscriber has been given: next offset per partition. */
  private readonly next = new Map<number, string>();
  /** Hub position when this subscriber attached: live delivery covers everything from here. */
  private seam: Positions = new Map();
  /** Partitions still replaying, with the live events held back meanwhile. */
  private readonly held = new Map<number, Delivery<Complaint>[]>();
  private heldCount = 0;
  private replay: Stoppable | null = null;
  /** The replay tail is being opened: whoever opens it stops it (and releases the slot) if it is no longer needed. */
  private opening = false;
  private closed = false;
  /**
   * Replay done and nothing given that the hub has not passed: from now on the
   * hub's positions are this subscriber's cursor, every live event is new to
   * it, and it shares one event object (cursor included) with every other
   * aligned subscriber, so one execution and one serialization serve them all.
   */
  private aligned = false;
  private readonly listener: Listener<Complaint> = (d) => this.onLive(d);

  constructor(
    private readonly hub: Hub<Complaint>,
    private readonly bufferSize: number,
    private readonly logger: Logger,
    makeQueue: (detach: () => void) => BoundedQueue<ComplaintEvent>,
    /** Gives back the replay slot; idempotent. Called once no replay reader is left. */
    private readonly release: () => void = () => undefined,
  ) {
    this.queue = makeQueue(() => this.detach());
  }

  async attach(after: Positions | null, log: EventLog): Promise<void> {
    // Join live first, then look at where the hub is: nothing can fall between.
    this.hub.add(this.listener, () => this.queue.end());
    this.seam = new Map(this.hub.positions);
    if (after === null) {
      for (const [p, o] of this.seam) this.next.set(p, o);
      this.aligned = true;
      return;
    }
    // Hold every partition's live events until its replay is known to be done.
    for (const p of this.seam.keys()) this.held.set(p, []);
    const offsets = await log.offsets(this.hub.topic);
    for (const { partition, low, high } of offsets) {
      const at = after.get(partition);
      if (at === undefined) {
        // A partition the cursor does not know (added since): all of it is new.
        this.next.set(partition, low);
        continue;
      }
      if (compareOffsets(at, low) < 0) {
        throw new AppError(
          ErrorCode.CursorExpired,
          `cursor expired: events after it on partition ${partition} were deleted by retention (offset ${at} < first readable ${low}); subscribe without a cursor and catch up with Query.complaints`,
          { details: { partition, offset: at, low } },
        );
      }
      if (compareOffsets(at, high) > 0) throw new BadInputError(`cursor is ahead of the log on partition ${partition} (${at} > ${high}); it was not issued by this deployment`);
      this.next.set(partition, at);
    }
    const from = new Map<number, string>();
    for (const [p, seam] of this.seam) {
      const start = this.next.get(p) ?? seam;
      if (compareOffsets(start, seam) < 0) from.set(p, start);
      else {
        from.set(p, seam);
        this.finish(p); // nothing to replay here: release what arrived meanwhile
      }
    }
    if (this.held.size === 0 || this.closed) return this.release();
    this.opening = true;
    try {
      this.replay = await log.tail({
        topic: this.hub.topic,
        from,
        onBatch: async (records) => {
          for (const record of records) {
            // Backpressure: a replay is read as fast as its subscriber takes
            // it (the tail waits), so a backlog larger than the buffer does
            // not overflow it; live events held meanwhile still count.
            while (this.queue.size + this.heldCount >= this.bufferSize && this.queue.isOpen) await this.queue.taken();
            if (!this.queue.isOpen) return;
            this.onReplay(record);
          }
        },
        onPosition: (partition, next) => {
          const seam = this.seam.get(partition);
          if (seam !== undefined && compareOffsets(next, seam) >= 0) this.finish(partition);
        },
      });
    } finally {
      this.opening = false;
    }
    // The replay may have finished (or the subscriber gone) while the tail was starting.
    if (this.held.size === 0 || this.closed) this.stopReplay();
  }

  private onLive(d: Delivery<Complaint>): void {
    if (this.aligned && d.liveCursor) {
      this.queue.push(sharedLiveEvent(d, d.liveCursor));
      return;
    }
    const held = this.held.get(d.partition);
    if (held === undefined) return this.emit(d, false);
    if (this.queue.size + this.heldCount >= this.bufferSize) return this.queue.overflow();
    held.push(d);
    this.heldCount++;
  }

  private onReplay(record: LogRecord): void {
    const p = record.partition;
    if (!this.held.has(p)) return;
    const seam = this.seam.get(p);
    if (seam === undefined || compareOffsets(record.offset, seam) >= 0) return this.finish(p);
    const d = this.hub.parse(record);
    if (d !== null) this.emit(d, true);
    if (compareOffsets(nextOffset(record.offset), seam) >= 0) this.finish(p);
  }

  /** Partition `p` replayed up to the seam: release what live delivery held back. */
  private finish(p: number): void {
    const held = this.held.get(p);
    if (held === undefined) return;
    this.held.delete(p);
    this.heldCount -= held.length;
    for (const d of held) this.emit(d, false);
    if (this.held.size === 0) {
      this.aligned = this.notAhead();
      this.stopReplay();
    }
  }

  /** Whether, on every partition, what this subscriber was given is not past the hub (a cursor from another instance can be). */
  private notAhead(): boolean {
    for (const [p, next] of this.next) {
      const hub = this.hub.positions.get(p);
      if (hub === undefined || compareOffsets(next, hub) > 0) return false;
    }
    return true;
  }

  private emit(d: Delivery<Complaint>, replayed: boolean): void {
    const next = this.next.get(d.partition);
    if (next !== undefined && compareOffsets(d.offset, next) < 0) return; // seen already
    this.next.set(d.partition, nextOffset(d.offset));
    this.queue.push({ cursor: encodeCursor(this.next), complaint: d.value, partition: d.partition, offset: d.offset, timestamp: d.timestamp, replayed });
  }

  private stopReplay(): void {
    if (this.opening) return; // attach() stops it once open
    const replay = this.replay;
    this.replay = null;
    if (replay === null) return this.release();
    replay
      .stop()
      .catch((err: unknown) => this.logger.warn({ err, topic: this.hub.topic }, 'stopping a replay tail failed'))
      .finally(this.release);
  }

  private detach(): void {
    this.closed = true;
    this.hub.remove(this.listener);
    this.held.clear();
    this.heldCount = 0;
    this.stopReplay();
  }
}

/** One event object per live delivery, shared by the aligned subscribers it reaches. */
const liveEvents = new WeakMap<Delivery<Complaint>, ComplaintEvent>();
function sharedLiveEvent(d: Delivery<Complaint>, cursor: () => string): ComplaintEvent {
  let e = liveEvents.get(d);
  if (e === undefined) {
    e = { cursor: cursor(), complaint: d.value, partition: d.partition, offset: d.offset, timestamp: d.timestamp, replayed: false };
    liveEvents.set(d, e);
  }
  return e;
}

// ---- replay slots ------------------------------------------------------------

/** A counting semaphore with a FIFO queue and a deadline per waiter. */
class Slots {
  private used = 0;
  private readonly waiting: { grant: () => void; fail: (e: AppError) => void }[] = [];

  constructor(private readonly max: number) {}

  /** Slots held plus waiters. */
  get inUse(): number {
    return this.used + this.waiting.length;
  }

  /** Resolves with an idempotent release once a slot is free; rejects with `timeoutError()` after `timeoutMs`. */
  acquire(timeoutMs: number, timeoutError: () => AppError): Promise<() => void> {
    if (this.used < this.max) {
      this.used++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          clearTimeout(timer);
          resolve(this.releaser());
        },
        fail: (e: AppError) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(timeoutError());
      }, timeoutMs);
      this.waiting.push(waiter);
    });
  }

  rejectWaiting(error: () => AppError): void {
    for (const w of this.waiting.splice(0)) w.fail(error());
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The slot goes straight to the next waiter, if any.
      const next = this.waiting.shift();
      if (next) next.grant();
      else this.used--;
    };
  }
}

// ---- per-subscriber buffer ---------------------------------------------------

/**
 * A bounded queue read as an async iterator. `push` never waits: when the
 * reader is `capacity` items behind, the queue fails instead (the reader gets
 * the error on its next `next()`), and its items are dropped at once.
 */
class BoundedQueue<T> implements AsyncIterableIterator<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  private waiting: ((r: IteratorResult<T>) => void) | null = null;
  /** Producers waiting for the reader to take an item (see `taken`). */
  private takers: (() => void)[] = [];
  private state: 'open' | 'failed' | 'done' = 'open';
  private error: AppError | null = null;

  constructor(
    private readonly capacity: number,
    /** Detaches from the source; called once when the queue fails or ends. */
    private readonly detach: () => void,
    private readonly onOverflow: (error: AppError) => void,
    private readonly overflowError: () => AppError,
  ) {}

  get size(): number {
    return this.items.length - this.head;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Resolves when the reader takes an item, or the queue is no longer open. */
  taken(): Promise<void> {
    if (this.state !== 'open') return Promise.resolve();
    return new Promise((resolve) => this.takers.push(resolve));
  }

  private wakeTakers(): void {
    if (this.takers.length === 0) return;
    const takers = this.takers;
    this.takers = [];
    for (const t of takers) t();
  }

  push(item: T): void {
    if (this.state !== 'open') return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w({ value: item, done: false });
      return;
    }
    if (this.size >= this.capacity) return this.overflow();
    this.items.push(item);
  }

  overflow(): void {
    if (this.state !== 'open') return;
    this.state = 'failed';
    this.error = this.overflowError();
    this.clear();
    this.detach();
    this.onOverflow(this.error);
  }

  /** The source ended (shutdown): the reader gets what is queued, then done. */
  end(): void {
    if (this.state !== 'open') return;
    this.state = 'done';
    this.wakeTakers();
    this.detach();
    if (this.waiting && this.size === 0) {
      const w = this.waiting;
      this.waiting = null;
      w({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.size > 0) {
      const value = this.items[this.head] as T;
      this.items[this.head++] = undefined;
      if (this.head > 1_024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      this.wakeTakers();
      return Promise.resolve({ value, done: false });
    }
    if (this.state === 'failed' && this.error) {
      const error = this.error;
      this.error = null;
      this.state = 'done';
      return Promise.reject(error);
    }
    if (this.state !== 'open') return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  /** The reader is gone (unsubscribe, disconnect): detach and free everything. */
  return(): Promise<IteratorResult<T>> {
    const wasOpen = this.state === 'open';
    this.state = 'done';
    this.error = null;
    this.clear();
    if (wasOpen) this.detach();
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w({ value: undefined, done: true });
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(): Promise<IteratorResult<T>> {
    return this.return();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private clear(): void {
    this.items = [];
    this.head = 0;
    this.wakeTakers();
  }
}
