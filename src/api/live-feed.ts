/**
 * The live feed behind the subscriptions: a fan-out hub per topic
 * (`src/api/feed-hub.ts`: one tail per topic per gateway instance, read from
 * the end outside any consumer group, so every instance sees every event),
 * a bounded buffer per subscriber (`src/api/bounded-queue.ts`: a subscriber
 * that does not keep up overflows it and is ended as SLOW_CONSUMER without
 * slowing anybody else, because delivery to a buffer never waits), and
 * resumable `complaints(after)` (`src/api/complaint-subscription.ts`: replay
 * from the cursor up to the seam with the hub, then live, with no gap and no
 * duplicate).
 *
 * Each replay is a reader of its own (a Kafka consumer), so at most
 * `maxConcurrentReplays` run at once per instance (`src/api/replay-slots.ts`):
 * after a restart, the many clients resuming at once queue for a slot (before
 * joining the hub, so the seam is wherever the hub is when their turn comes),
 * and one that waited `replayQueueTimeoutMs` in vain is refused with a
 * retriable SERVICE_UNAVAILABLE.
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
} from '../domain/index.js';
import { AppError, ErrorCode, assertOption } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { EventLog } from '../ports/event-log.js';
import { BoundedQueue, SlowConsumerError } from './bounded-queue.js';
import { ComplaintSubscription, type ComplaintEvent } from './complaint-subscription.js';
import { createEventMemo, type EventMemo } from './event-memo.js';
import { decodeCursor } from './feed-cursor.js';
import { Hub, type Delivery, type Listener, type LiveStream } from './feed-hub.js';
import { ReplaySlots } from './replay-slots.js';
import { jsonDecoder, type RecordDecoder } from '../services/record-codec.js';

export { LIVE_STREAMS, type LiveStream } from './feed-hub.js';
export { SlowConsumerError } from './bounded-queue.js';
export type { ComplaintEvent } from './complaint-subscription.js';

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
  assertOption(Number.isInteger(bufferSize) && bufferSize >= 1, `bufferSize must be a positive integer, got ${bufferSize}`);
  assertOption(Number.isInteger(maxConcurrentReplays) && maxConcurrentReplays >= 1, `maxConcurrentReplays must be a positive integer, got ${maxConcurrentReplays}`);
  const replaySlots = new ReplaySlots(maxConcurrentReplays, replayQueueTimeoutMs);

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

  const shuttingDown = (): AppError => new AppError(ErrorCode.Unavailable, 'the live feed is shutting down; reconnect to another instance', { retriable: true });

  function checkRunning(): void {
    if (stopped) throw shuttingDown();
  }

  /** Starts the hubs a subscriber needs (each once), refusing it while the feed stops. */
  async function startHubs(...needed: readonly (Pick<Hub<never>, 'start'> | null)[]): Promise<void> {
    checkRunning();
    await Promise.all(needed.map((h) => h?.start()));
    checkRunning();
  }

  function queueFor<T>(stream: LiveStream, o: SubscribeOptions, detach: () => void): BoundedQueue<T> {
    return new BoundedQueue<T>(
      bufferSize,
      detach,
      (error) => {
        logger.warn({ stream, bufferSize }, 'subscriber too slow; disconnected');
        onSlowSubscriber?.(stream);
        o.onOverflow?.(error);
      },
      () => new SlowConsumerError(stream, bufferSize),
    );
  }

  async function simple<T, U>(hub: Hub<T>, o: SubscribeOptions, accept: (item: T) => boolean, map: (d: Delivery<T>) => U): Promise<AsyncIterableIterator<U>> {
    await startHubs(hub);
    const listener: Listener<T> = (d) => {
      if (accept(d.value)) queue.push(map(d));
    };
    const queue: BoundedQueue<U> = queueFor<U>(hub.stream, o, () => hub.remove(listener));
    hub.add(listener, () => queue.end());
    return queue;
  }

  async function complaints(o: SubscribeOptions & { readonly after?: string | null } = {}): Promise<AsyncIterableIterator<ComplaintEvent>> {
    const after = o.after === null || o.after === undefined ? null : decodeCursor(o.after);
    await startHubs(complaintsHub);
    let release = (): void => undefined;
    if (after !== null) {
      release = await replaySlots.acquire(() => {
        logger.warn({ maxConcurrentReplays, replayQueueTimeoutMs }, 'no replay slot came free in time; resuming subscriber refused');
        return new AppError(ErrorCode.Unavailable, `too many subscribers are resuming from a cursor on this instance (${maxConcurrentReplays} at once); subscribe again with the same cursor shortly`, {
          retriable: true,
        });
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
      return simple(
        acksHub,
        o,
        (a) => id === null || a.complaintId === id,
        (d) => d.value,
      );
    },
    async updates(o = {}) {
      const id = o.complaintId ?? null;
      await startHubs(acksHub, transitionsHub);
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
      replaySlots.rejectWaiting(shuttingDown);
      await Promise.all(Object.values(hubs).map((h) => h.stop()));
    },
  };
}
