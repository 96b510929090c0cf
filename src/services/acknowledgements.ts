/**
 * The one acknowledgement service, used by the GraphQL mutation and the Slack
 * button alike. The first acknowledgement wins: the complaint document is
 * updated with optimistic concurrency (Elasticsearch `if_seq_no` /
 * `if_primary_term`), and a loser learns who won and when. Each winning
 * acknowledgement is published to `complaint-acknowledgements` so every
 * gateway instance, subscriber and the Slack message learn of it.
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
}

export function createAcknowledgementService(o: AcknowledgementServiceOptions): AcknowledgementService {
  const { store, log, topic, logger, now = () => new Date(), maxConflicts = 20, recentComplaint } = o;

  async function publish(ack: Acknowledgement): Promise<void> {
    // The document already says ACKNOWLEDGED; keep trying to tell everyone.
    await retry(
      () => log.produce([{ topic, key: ack.complaintId, value: JSON.stringify(acknowledgementToRecord(ack)) }]),
      { maxAttempts: 8, initialDelayMs: 100, shouldRetry: () => true, onRetry: (err, attempt) => logger.warn({ err, attempt, topic }, 'publishing acknowledgement failed; retrying') },
    );
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
          if (attempt > 0 && won && won.by === ack.by && won.at === ack.at && won.via === ack.via) {
            await publish(ack);
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
          await publish(ack);
          logger.info({ complaintId: id, by: ack.by, via: ack.via }, 'complaint acknowledged');
          return { kind: 'acknowledged', complaint: { ...current.complaint, status: ComplaintStatus.Acknowledged, acknowledgement: ack } };
        }
        // conflict: someone changed the document (maybe acknowledged it); look again.
      }
      invariant(false, `complaint ${id}: more than ${maxConflicts} concurrent updates`);
    },
  };
}
