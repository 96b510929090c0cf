/**
 * The one acknowledgement service (and, since the complaint lifecycle, the
 * resolution and snooze service: docs/lifecycle.md), used by the GraphQL
 * mutations and the Slack buttons alike. The first acknowledgement wins: the complaint document is
 * updated with optimistic concurrency (Elasticsearch `if_seq_no` /
 * `if_primary_term`), and a loser learns who won and when. Each winning
 * acknowledgement is published to `complaint-acknowledgements` so every
 * gateway instance, subscriber and the Slack message learn of it.
 *
 * Publication is an outbox: the acknowledging update also stores
 * "not published yet", and only a successful publish clears it. Whoever finds
 * the flag still set publishes: a later acknowledge call of the same complaint
 * (which answers `already_acknowledged`), or the sweeper, which picks up what a
 * failed publish or a crash between update and publish left behind. So an
 * acknowledgement is published at least once; the live feed removes repeats.
 */
import { Histogram, type Registry } from 'prom-client';
import {
  type AckVia,
  ComplaintStatus,
  MAX_NOTE_LENGTH,
  NO_REMINDERS,
  TransitionKind,
  acknowledgementToRecord,
  transitionToRecord,
  type Acknowledgement,
  type Complaint,
  type Resolution,
} from '../domain/index.js';
import { BadInputError, ConflictError, NotFoundError, isRetriable } from '../errors.js';
import type { Logger } from '../logger.js';
import type { EventLog, OutRecord } from '../ports/event-log.js';
import type { ComplaintStore, DocVersion } from '../ports/search.js';
import { retry } from '../retry.js';

/** The longest snooze accepted. @default 86_400_000 // 24 hours */
/** How long this process trusts its own recent publish of a transition over a stale outbox flag. */
const RECENTLY_PUBLISHED_MS = 60_000;
/** Transitions remembered as recently published, at most. */
const RECENTLY_PUBLISHED_MAX = 10_000;

export const MAX_SNOOZE_MS = 86_400_000;

export interface AcknowledgeInput {
  readonly complaintId: string;
  /** API key name or Slack user id. */
  readonly by: string;
  readonly byName?: string | null;
  readonly via: AckVia;
  readonly note?: string | null;
}

export type AcknowledgeOutcome =
  | { readonly kind: 'acknowledged'; readonly complaint: Complaint }
  /** Somebody else was first; `complaint.acknowledgement` says who and when. */
  | { readonly kind: 'already_acknowledged'; readonly complaint: Complaint };

/** Who resolves: the same fields as an acknowledgement. */
export type ResolveInput = AcknowledgeInput;

export type ResolveOutcome =
  | { readonly kind: 'resolved'; readonly complaint: Complaint }
  /** Somebody else was first; `complaint.resolution` says who and when. */
  | { readonly kind: 'already_resolved'; readonly complaint: Complaint };

export interface SnoozeInput {
  readonly complaintId: string;
  /** Reminders pause until then: after now, at most {@link MAX_SNOOZE_MS} ahead. */
  readonly until: Date;
  readonly by: string;
}

export interface AcknowledgementService {
  acknowledge(input: AcknowledgeInput): Promise<AcknowledgeOutcome>;
  /**
   * Resolves a complaint, first wins. An OPEN complaint is acknowledged by the
   * same update (same person and time). Errors as {@link AcknowledgementService.acknowledge}.
   */
  resolve(input: ResolveInput): Promise<ResolveOutcome>;
  /**
   * Pauses the reminders of an OPEN complaint until `until` (they resume
   * then; a reminder already due later than `until` keeps its time).
   * @throws BadInputError for a time not in (now, now + 24 h], or a complaint no longer OPEN
   * @throws ConflictError (retriable) under heavy contention on the complaint
   */
  snooze(input: SnoozeInput): Promise<Complaint>;
  /**
   * Starts the sweeper: every `sweepIntervalMs`, acknowledgements stored but
   * not published (a failed publish, a process that died between the update
   * and the publish) are published and marked. Idempotent.
   */
  start(): void;
  /** Stops the sweeper and abandons publishes still retrying (the stored flag keeps them for the next sweep). Idempotent. */
  stop(): Promise<void>;
  /** One sweep now; resolves with how many acknowledgements it published (tests, operators). */
  sweep(): Promise<number>;
}

export interface AcknowledgementServiceOptions {
  store: ComplaintStore;
  log: EventLog;
  /** `complaint-acknowledgements` (config.topics.acknowledgements). */
  topic: string;
  /** `complaint-transitions` (config.topics.transitions): every transition is also published there when set. */
  transitionsTopic?: string;
  /** Registers the histograms of time to acknowledge and to resolve here. */
  registry?: Registry;
  logger: Logger;
  now?: () => Date;
  /** Concurrency conflicts tolerated before giving up. @default 20 */
  maxConflicts?: number;
  /**
   * Complaints raised but maybe not indexed yet (the live feed's recent
   * ones). An unknown id found here is created in the store first (create
   * if absent, as the sink does), so a complaint can be acknowledged the
   * moment a subscriber sees it.
   */
  recentComplaint?: (id: string) => Complaint | null;
  /** Attempts to publish one acknowledgement before leaving it to the sweeper. @default 8 */
  publishAttempts?: number;
  /** @default 10_000 // 10 seconds */
  sweepIntervalMs?: number;
  /** The sweeper leaves younger acknowledgements to the call publishing them. @default 5_000 // 5 seconds */
  sweepMinAgeMs?: number;
  /** Acknowledgements published per sweep at most. @default 100 */
  sweepBatchSize?: number;
}

export function createAcknowledgementService(o: AcknowledgementServiceOptions): AcknowledgementService {
  const {
    store,
    log,
    topic,
    transitionsTopic,
    logger,
    now = () => new Date(),
    maxConflicts = 20,
    recentComplaint,
    publishAttempts = 8,
    sweepIntervalMs = 10_000,
    sweepMinAgeMs = 5_000,
    sweepBatchSize = 100,
  } = o;
  const metrics = o.registry ? transitionMetrics(o.registry) : null;
  /** Publishes in flight per transition and complaint: concurrent callers and the sweeper share one. */
  const publishing = new Map<string, Promise<boolean>>();
  let aborter = new AbortController();
  let timer: NodeJS.Timeout | null = null;
  let sweeping: Promise<number> | null = null;

  function records(kind: TransitionKind, t: Acknowledgement): OutRecord[] {
    const out: OutRecord[] = [];
    if (kind === TransitionKind.Acknowledged) out.push({ topic, key: t.complaintId, value: JSON.stringify(acknowledgementToRecord(t)) });
    if (transitionsTopic) out.push({ topic: transitionsTopic, key: t.complaintId, value: JSON.stringify(transitionToRecord({ ...t, kind })) });
    return out;
  }

  async function publish(kind: TransitionKind, t: Acknowledgement): Promise<void> {
    const batch = records(kind, t);
    if (batch.length === 0) return;
    // The document already says so; keep trying to tell everyone.
    await retry(() => log.produce(batch), {
      maxAttempts: publishAttempts,
      initialDelayMs: 100,
      shouldRetry: () => true,
      signal: aborter.signal,
      onRetry: (err, attempt) => logger.warn({ err, attempt, kind }, 'publishing a complaint transition failed; retrying'),
    });
  }

  /** Transitions this process published lately (`kind:complaintId` → epoch ms), bounded. */
  const recentlyPublished = new Map<string, number>();
  function rememberPublished(key: string): void {
    recentlyPublished.delete(key);
    recentlyPublished.set(key, now().getTime());
    if (recentlyPublished.size > RECENTLY_PUBLISHED_MAX) recentlyPublished.delete(recentlyPublished.keys().next().value as string);
  }

  /**
   * Publishes a stored transition and clears its outbox flag; true when
   * published. A failure is logged, not thrown: the flag stays false and the
   * sweeper tries again. One publish per transition and complaint at a time.
   */
  function publishStored(kind: TransitionKind, t: Acknowledgement): Promise<boolean> {
    const key = `${kind}:${t.complaintId}`;
    const running = publishing.get(key);
    if (running) return running;
    // A caller that read the complaint before our mark landed would publish it again:
    // not from this process, while the publish is recent (other instances may still
    // repeat it; subscribers deduplicate).
    const publishedAt = recentlyPublished.get(key);
    if (publishedAt !== undefined && now().getTime() - publishedAt < RECENTLY_PUBLISHED_MS) return Promise.resolve(true);
    const p = (async () => {
      try {
        await publish(kind, t);
        rememberPublished(key);
      } catch (err) {
        logger.warn({ err, complaintId: t.complaintId, kind }, 'transition stored but not published yet; the sweeper will publish it');
        return false;
      }
      try {
        await (kind === TransitionKind.Acknowledged ? store.markAcknowledgementPublished(t.complaintId) : store.markResolutionPublished(t.complaintId));
      } catch (err) {
        // Published; at worst the sweeper publishes it once more (subscribers deduplicate).
        logger.warn({ err, complaintId: t.complaintId, kind }, 'transition published but not marked so');
      }
      return true;
    })().finally(() => publishing.delete(key));
    publishing.set(key, p);
    return p;
  }

  async function sweepOnce(): Promise<number> {
    const before = new Date(now().getTime() - sweepMinAgeMs).toISOString();
    const acks = await store.unpublishedAcknowledgements({ acknowledgedBefore: before, limit: sweepBatchSize });
    const resolutions = await store.unpublishedResolutions({ resolvedBefore: before, limit: sweepBatchSize });
    const pending: ReadonlyArray<readonly [TransitionKind, Acknowledgement]> = [
      ...acks.map((a) => [TransitionKind.Acknowledged, a] as const),
      ...resolutions.map((r) => [TransitionKind.Resolved, r] as const),
    ];
    let published = 0;
    for (const [kind, t] of pending) {
      if (aborter.signal.aborted) break;
      if (await publishStored(kind, t)) published++;
    }
    if (pending.length > 0) logger.info({ pending: pending.length, published }, 'swept unpublished transitions');
    return published;
  }

  function sweep(): Promise<number> {
    sweeping ??= sweepOnce().finally(() => {
      sweeping = null;
    });
    return sweeping;
  }

  function checkId(raw: string): string {
    const id = raw.trim();
    if (!/^\d{1,19}$/.test(id)) throw new BadInputError(`complaint id must be a rating id (digits), got ${JSON.stringify(raw)}`);
    return id;
  }

  function checkNote(raw: string | null | undefined): string | null {
    const note = raw?.trim() || null;
    if (note !== null && note.length > MAX_NOTE_LENGTH) throw new BadInputError(`note is ${note.length} characters long; at most ${MAX_NOTE_LENGTH} are accepted`);
    return note;
  }

  /** The stored complaint, created first from the live feed's recent ones if the sink has not indexed it yet. */
  async function load(id: string): Promise<NonNullable<Awaited<ReturnType<ComplaintStore['get']>>>> {
    let current = await store.get(id);
    if (!current) {
      const raised = recentComplaint?.(id);
      if (raised) {
        await store.createIfAbsent(raised);
        current = await store.get(id);
      }
    }
    if (!current) throw new NotFoundError('complaint', id);
    return current;
  }

  /**
   * Runs one conditional update until it applies or `settled` says the
   * complaint no longer needs it. A failed update of unknown outcome is
   * looked at again (the next read tells whether it applied).
   */
  async function contend<T>(
    id: string,
    settled: (current: NonNullable<Awaited<ReturnType<ComplaintStore['get']>>>, attempt: number) => Promise<T | undefined>,
    update: (current: NonNullable<Awaited<ReturnType<ComplaintStore['get']>>>, version: DocVersion) => Promise<'ok' | 'conflict' | 'not_found'>,
    won: (current: NonNullable<Awaited<ReturnType<ComplaintStore['get']>>>) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 0; attempt <= maxConflicts; attempt++) {
      const current = await load(id);
      const done = await settled(current, attempt);
      if (done !== undefined) return done;
      let outcome;
      try {
        outcome = await update(current, current.version);
      } catch (err) {
        if (attempt < maxConflicts && isRetriable(err)) {
          logger.warn({ err, complaintId: id }, 'complaint update failed; checking whether it was applied');
          continue;
        }
        throw err;
      }
      if (outcome === 'not_found') throw new NotFoundError('complaint', id);
      if (outcome === 'ok') return won(current);
      // conflict: someone changed the document; look again.
    }
    throw new ConflictError(`complaint ${id} is being changed by many others at once (${maxConflicts} conflicts in a row); try again`, { retriable: true, details: { complaintId: id } });
  }

  const sameAs = (a: Acknowledgement | null | undefined, b: Acknowledgement): boolean => !!a && a.by === b.by && a.at === b.at && a.via === b.via;

  function observe(which: 'ack' | 'resolve', complaint: Complaint, at: string): void {
    const seconds = (Date.parse(at) - complaint.rating.ratingTime) / 1000;
    if (metrics && Number.isFinite(seconds)) metrics[which].observe(Math.max(0, seconds));
  }

  return {
    async acknowledge(input) {
      const id = checkId(input.complaintId);
      const note = checkNote(input.note);
      // One acknowledgement per call, the same across attempts: if an update timed
      // out but was applied, the next look finds our own acknowledgement and
      // treats it as the win it was (and still publishes it).
      const ack: Acknowledgement = { complaintId: id, by: input.by, byName: input.byName ?? null, at: now().toISOString(), via: input.via, note };
      return contend<AcknowledgeOutcome>(
        id,
        async (current, attempt) => {
          if (current.complaint.status === ComplaintStatus.Open) return undefined;
          const first = current.complaint.acknowledgement;
          // Stored but never published (the publish failed, or its process died): publish it now.
          if (first && current.acknowledgementPublished === false) await publishStored(TransitionKind.Acknowledged, first);
          if (attempt > 0 && sameAs(first, ack)) return { kind: 'acknowledged', complaint: current.complaint };
          return { kind: 'already_acknowledged', complaint: current.complaint };
        },
        (current, version) => store.acknowledge(id, ack, version, { raisedAt: current.complaint.rating.ratingTime }),
        async (current) => {
          // Stored with the outbox flag: the acknowledgement is won whether or
          // not this publish succeeds; a failed one is left to the sweeper.
          await publishStored(TransitionKind.Acknowledged, ack);
          observe('ack', current.complaint, ack.at);
          logger.info({ complaintId: id, by: ack.by, via: ack.via }, 'complaint acknowledged');
          const reminders = current.complaint.reminders ? { reminders: { ...current.complaint.reminders, nextAt: null } } : {};
          return { kind: 'acknowledged', complaint: { ...current.complaint, status: ComplaintStatus.Acknowledged, acknowledgement: ack, ...reminders } };
        },
      );
    },

    async resolve(input) {
      const id = checkId(input.complaintId);
      const note = checkNote(input.note);
      const resolution: Resolution = { complaintId: id, by: input.by, byName: input.byName ?? null, at: now().toISOString(), via: input.via, note };
      let impliedAck: Acknowledgement | undefined;
      return contend<ResolveOutcome>(
        id,
        async (current, attempt) => {
          if (current.complaint.status !== ComplaintStatus.Resolved) return undefined;
          const first = current.complaint.resolution;
          if (first && current.resolutionPublished === false) await publishStored(TransitionKind.Resolved, first);
          const ack = current.complaint.acknowledgement;
          if (ack && current.acknowledgementPublished === false) await publishStored(TransitionKind.Acknowledged, ack);
          if (attempt > 0 && sameAs(first, resolution)) return { kind: 'resolved', complaint: current.complaint };
          return { kind: 'already_resolved', complaint: current.complaint };
        },
        (current, version) => {
          // Resolved while OPEN: acknowledged by the same update (reminders stop, readers of acknowledgements learn of it).
          impliedAck = current.complaint.status === ComplaintStatus.Open ? { ...resolution } : undefined;
          return store.resolve(id, resolution, version, { raisedAt: current.complaint.rating.ratingTime, ...(impliedAck ? { acknowledge: impliedAck } : {}) });
        },
        async (current) => {
          if (impliedAck) {
            await publishStored(TransitionKind.Acknowledged, impliedAck);
            observe('ack', current.complaint, impliedAck.at);
          }
          await publishStored(TransitionKind.Resolved, resolution);
          observe('resolve', current.complaint, resolution.at);
          logger.info({ complaintId: id, by: resolution.by, via: resolution.via, fromOpen: impliedAck !== undefined }, 'complaint resolved');
          const c = current.complaint;
          return {
            kind: 'resolved',
            complaint: {
              ...c,
              status: ComplaintStatus.Resolved,
              acknowledgement: c.acknowledgement ?? impliedAck ?? null,
              resolution,
              ...(c.reminders ? { reminders: { ...c.reminders, nextAt: null } } : {}),
            },
          };
        },
      );
    },

    async snooze(input) {
      const id = checkId(input.complaintId);
      const until = input.until.getTime();
      const t = now().getTime();
      if (Number.isNaN(until)) throw new BadInputError('until must be a time');
      if (until <= t) throw new BadInputError(`until must be in the future, got ${input.until.toISOString()}`);
      if (until - t > MAX_SNOOZE_MS) throw new BadInputError(`until may be at most 24 hours ahead, got ${input.until.toISOString()}`);
      const untilIso = new Date(until).toISOString();
      const result: { snoozed: Complaint | null } = { snoozed: null };
      return contend<Complaint>(
        id,
        async (current) => {
          if (current.complaint.status !== ComplaintStatus.Open) {
            throw new BadInputError(`complaint ${id} is ${current.complaint.status}: its reminders have stopped, there is nothing to snooze`);
          }
          return undefined;
        },
        (current, version) => {
          const r = current.complaint.reminders ?? NO_REMINDERS;
          // A reminder already scheduled later than `until` keeps its time; none scheduled (not posted yet, or all sent): the poster reads snoozedUntil.
          const nextAt = r.nextAt === null ? null : Date.parse(r.nextAt) > until ? r.nextAt : untilIso;
          result.snoozed = { ...current.complaint, reminders: { ...r, snoozedUntil: untilIso, nextAt } };
          return store.updateReminders(id, { snoozedUntil: untilIso, nextAt }, version);
        },
        async () => {
          logger.info({ complaintId: id, by: input.by, until: untilIso }, 'complaint reminders snoozed');
          return result.snoozed ?? (await load(id)).complaint;
        },
      );
    },

    start() {
      if (timer) return;
      if (aborter.signal.aborted) aborter = new AbortController();
      timer = setInterval(() => {
        sweep().catch((err: unknown) => logger.warn({ err }, 'sweeping unpublished transitions failed; trying again later'));
      }, sweepIntervalMs);
      timer.unref();
    },

    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      aborter.abort(new Error('acknowledgement service stopped'));
      await Promise.allSettled([sweeping, ...publishing.values()]);
    },

    sweep,
  };
}

/** Seconds from raised (rating time) to acknowledged / resolved; reused when created twice on one registry. */
function transitionMetrics(registry: Registry): { readonly ack: Histogram; readonly resolve: Histogram } {
  const buckets = [30, 60, 300, 900, 1_800, 3_600, 7_200, 14_400, 43_200, 86_400, 259_200];
  const make = (name: string, help: string): Histogram => (registry.getSingleMetric(name) as Histogram | undefined) ?? new Histogram({ name, help, buckets, registers: [registry] });
  return {
    ack: make('complaint_time_to_acknowledge_seconds', 'Time from a complaint being raised (rating time) to its acknowledgement, observed by the instance that won it'),
    resolve: make('complaint_time_to_resolve_seconds', 'Time from a complaint being raised (rating time) to its resolution, observed by the instance that won it'),
  };
}
