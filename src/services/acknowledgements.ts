/**
 * The one acknowledgement service, used by the GraphQL mutation and the Slack
 * button alike. The first acknowledgement wins: the complaint document is
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
import {
  type AckVia,
  ComplaintStatus,
  MAX_NOTE_LENGTH,
  acknowledgementToRecord,
  type Acknowledgement,
  type Complaint,
} from '../domain/index.js';
import { BadInputError, NotFoundError, invariant, isRetriable } from '../errors.js';
import type { Logger } from '../logger.js';
import type { EventLog } from '../ports/event-log.js';
import type { ComplaintStore } from '../ports/search.js';
import { retry } from '../retry.js';

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

export interface AcknowledgementService {
  acknowledge(input: AcknowledgeInput): Promise<AcknowledgeOutcome>;
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
  topic: string;
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
    logger,
    now = () => new Date(),
    maxConflicts = 20,
    recentComplaint,
    publishAttempts = 8,
    sweepIntervalMs = 10_000,
    sweepMinAgeMs = 5_000,
    sweepBatchSize = 100,
  } = o;
  /** Publishes in flight per complaint: concurrent callers and the sweeper share one. */
  const publishing = new Map<string, Promise<boolean>>();
  let aborter = new AbortController();
  let timer: NodeJS.Timeout | null = null;
  let sweeping: Promise<number> | null = null;

  async function publish(ack: Acknowledgement): Promise<void> {
    // The document already says ACKNOWLEDGED; keep trying to tell everyone.
    await retry(
      () => log.produce([{ topic, key: ack.complaintId, value: JSON.stringify(acknowledgementToRecord(ack)) }]),
      {
        maxAttempts: publishAttempts,
        initialDelayMs: 100,
        shouldRetry: () => true,
        signal: aborter.signal,
        onRetry: (err, attempt) => logger.warn({ err, attempt, topic }, 'publishing acknowledgement failed; retrying'),
      },
    );
  }

  /**
   * Publishes a stored acknowledgement and clears its outbox flag; true when
   * published. A failure is logged, not thrown: the flag stays false and the
   * sweeper tries again. One publish per complaint at a time.
   */
  function publishStored(ack: Acknowledgement): Promise<boolean> {
    const running = publishing.get(ack.complaintId);
    if (running) return running;
    const p = (async () => {
      try {
        await publish(ack);
      } catch (err) {
        logger.warn({ err, complaintId: ack.complaintId, topic }, 'acknowledgement stored but not published yet; the sweeper will publish it');
        return false;
      }
      try {
        await store.markAcknowledgementPublished(ack.complaintId);
      } catch (err) {
        // Published; at worst the sweeper publishes it once more (subscribers deduplicate).
        logger.warn({ err, complaintId: ack.complaintId }, 'acknowledgement published but not marked so');
      }
      return true;
    })().finally(() => publishing.delete(ack.complaintId));
    publishing.set(ack.complaintId, p);
    return p;
  }

  async function sweepOnce(): Promise<number> {
    const before = new Date(now().getTime() - sweepMinAgeMs).toISOString();
    const pending = await store.unpublishedAcknowledgements({ acknowledgedBefore: before, limit: sweepBatchSize });
    let published = 0;
    for (const ack of pending) {
      if (aborter.signal.aborted) break;
      if (await publishStored(ack)) published++;
    }
    if (pending.length > 0) logger.info({ pending: pending.length, published }, 'swept unpublished acknowledgements');
    return published;
  }

  function sweep(): Promise<number> {
    sweeping ??= sweepOnce().finally(() => {
      sweeping = null;
    });
    return sweeping;
  }

  return {
    async acknowledge(input) {
      const id = input.complaintId.trim();
      if (!/^\d{1,19}$/.test(id)) throw new BadInputError(`complaint id must be a rating id (digits), got ${JSON.stringify(input.complaintId)}`);
      const note = input.note?.trim() || null;
      if (note !== null && note.length > MAX_NOTE_LENGTH) throw new BadInputError(`note is ${note.length} characters long; at most ${MAX_NOTE_LENGTH} are accepted`);
      // One acknowledgement per call, the same across attempts: if an update timed
      // out but was applied, the next look finds our own acknowledgement and
      // treats it as the win it was (and still publishes it).
      const ack: Acknowledgement = { complaintId: id, by: input.by, byName: input.byName ?? null, at: now().toISOString(), via: input.via, note };
      for (let attempt = 0; attempt <= maxConflicts; attempt++) {
        let current = await store.get(id);
        if (!current) {
          const raised = recentComplaint?.(id);
          if (raised) {
            await store.createIfAbsent(raised);
            current = await store.get(id);
          }
        }
        if (!current) throw new NotFoundError('complaint', id);
        if (current.complaint.status === ComplaintStatus.Acknowledged) {
          const won = current.complaint.acknowledgement;
          // Stored but never published (the publish failed, or its process died): publish it now.
          if (won && current.acknowledgementPublished === false) await publishStored(won);
          if (attempt > 0 && won && won.by === ack.by && won.at === ack.at && won.via === ack.via) {
            return { kind: 'acknowledged', complaint: current.complaint };
          }
          return { kind: 'already_acknowledged', complaint: current.complaint };
        }
        let outcome;
        try {
          outcome = await store.acknowledge(id, ack, current.version);
        } catch (err) {
          // Unknown whether it was applied: look again (bounded by maxConflicts).
          if (attempt < maxConflicts && isRetriable(err)) {
            logger.warn({ err, complaintId: id }, 'acknowledge update failed; checking whether it was applied');
            continue;
          }
          throw err;
        }
        if (outcome === 'not_found') throw new NotFoundError('complaint', id);
        if (outcome === 'ok') {
          // Stored with the outbox flag: the acknowledgement is won whether or
          // not this publish succeeds; a failed one is left to the sweeper.
          await publishStored(ack);
          logger.info({ complaintId: id, by: ack.by, via: ack.via }, 'complaint acknowledged');
          return { kind: 'acknowledged', complaint: { ...current.complaint, status: ComplaintStatus.Acknowledged, acknowledgement: ack } };
        }
        // conflict: someone changed the document (maybe acknowledged it); look again.
      }
      invariant(false, `complaint ${id}: more than ${maxConflicts} concurrent updates`);
    },

    start() {
      if (timer) return;
      if (aborter.signal.aborted) aborter = new AbortController();
      timer = setInterval(() => {
        sweep().catch((err: unknown) => logger.warn({ err }, 'sweeping unpublished acknowledgements failed; trying again later'));
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
