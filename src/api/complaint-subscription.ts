/**
 * Resuming `complaints(after)` (`src/api/live-feed.ts`): the cursor is a
 * position vector (next offset per partition, `src/api/feed-cursor.ts`). The
 * subscriber first joins the live hub and notes where the hub is (the seam),
 * then a separate, short-lived tail replays the cursor's positions up to the
 * seam, and live events of a partition are held until its replay reached the
 * seam. Events are deduplicated by (partition, offset), so there is neither a
 * gap nor a duplicate at the seam. A replay is read only as fast as its
 * subscriber takes events (its tail waits while the buffer is full), so a
 * backlog larger than the buffer resumes too.
 */
import type { Complaint } from '../domain/index.js';
import { AppError, BadInputError, ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { EventLog, LogRecord, Stoppable } from '../ports/event-log.js';
import type { BoundedQueue } from './bounded-queue.js';
import type { Delivery, Hub, Listener } from './feed-hub.js';
import { nextOffset } from '../domain/offsets.js';
import { compareOffsets, encodeCursor, type Positions } from './feed-cursor.js';

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

/** One subscriber of `complaints`, with or without a cursor to resume from. */
export class ComplaintSubscription {
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
    this.queue.push(complaintEvent(d, encodeCursor(this.next), replayed));
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
    e = complaintEvent(d, cursor(), false);
    liveEvents.set(d, e);
  }
  return e;
}

function complaintEvent(d: Delivery<Complaint>, cursor: string, replayed: boolean): ComplaintEvent {
  return { cursor, complaint: d.value, partition: d.partition, offset: d.offset, timestamp: d.timestamp, replayed };
}
