/**
 * ratings ⋈ customers → ratings-with-customer-data (the article's
 * `ratings LEFT JOIN CUSTOMERS ... WHERE C.FIRST_NAME IS NOT NULL`, but with
 * a table read to its end before the first join and a grace period for
 * customers that arrive after their first rating).
 *
 * Two inputs, one consumer group:
 * - a rating whose customer is known is emitted at once: key = user id,
 *   value = the enriched columns, record timestamp = rating_time; when it is
 *   a complaint by the configured rule, the complaint too, in the same
 *   transaction (../complaint-rule.ts);
 * - an anonymous rating (user_id -1) is unmatched at once;
 * - a rating whose customer is unknown is written to the pending topic (keyed
 *   by user id, with its first-seen time in a header) in the same transaction
 *   as its input offset, so it neither blocks its partition nor breaks
 *   exactly-once;
 * - a pending rating is emitted as soon as its customer is known, counted
 *   unmatched and dropped once `graceMs` passed since first seen, and waits
 *   otherwise. Pending records are appended in first-seen order, so waiting
 *   on the head of a partition never holds back one that is due earlier
 *   (except for the few milliseconds by which concurrent input partitions
 *   may interleave).
 *
 * Bad input goes to dead-letters. Ratings may be JSON or Avro
 * (RATINGS_FORMAT; a pending rating keeps its original bytes), read through
 * the decoder the runtime prepared for the batch; the enriched rating is
 * written as JSON or Avro (ENRICHED_FORMAT), complaints always as JSON.
 */
import { ANONYMOUS_USER_ID, enrich, enrichedToRecord, parseRating, type Rating } from '../../src/domain/index.js';
import { InvalidRecordError } from '../../src/errors.js';
import type { LogRecord, OutRecord } from '../../src/ports/event-log.js';
import type { StepOutcome } from '../../src/ports/stream-runtime.js';
import { jsonDecoder, type RecordDecoder } from '../../src/services/record-codec.js';
import type { CustomerLookup } from '../customers-table.js';
import { deadLettered } from '../dead-letter.js';
import { idKey } from '../decode.js';
import { complaintRecords, type ComplaintsConfig } from '../complaint-rule.js';

export const ENRICH_RATINGS = 'enrich-ratings';

/** Header of a pending rating: when the join first saw it, epoch ms. */
export const FIRST_SEEN_HEADER = 'feedback.join.first-seen';
/** Header of a pending rating: where it came from (`topic/partition@offset`), for people debugging. */
export const SOURCE_HEADER = 'feedback.join.source';

export interface JoinConfig {
  /** ratings-with-customer-data. */
  readonly output: string;
  /** The internal topic of ratings waiting for their customer. */
  readonly pending: string;
  readonly deadLetters: string;
  /** How long a rating waits for its customer; 0 or less: unmatched at once. */
  readonly graceMs: number;
  /** Where complaints go and which ratings are complaints; none: the join emits no complaints. */
  readonly complaints?: ComplaintsConfig;
  /** @default 'enrich-ratings' */
  readonly processor?: string;
  /** Reads ratings, of either input (prepared for the batch). @default JSON */
  readonly decoder?: RecordDecoder;
  /** The enriched rating's value from its columns (ready for the batch). @default JSON text */
  readonly encodeEnriched?: (columns: ReturnType<typeof enrichedToRecord>) => string | Buffer;
}

/** One step of the join, for a record of either input. */
export function enrichRatingStep(record: LogRecord, customers: CustomerLookup, cfg: JoinConfig, now: number): StepOutcome {
  return record.topic === cfg.pending ? joinPending(record, customers, cfg, now) : joinRating(record, customers, cfg, now);
}

/** A record of `ratings`. */
export function joinRating(record: LogRecord, customers: CustomerLookup, cfg: JoinConfig, now: number): StepOutcome {
  const parsed = readRating(record, cfg.decoder ?? jsonDecoder);
  if (!parsed.ok) return deadLettered(record, parsed.error, { topic: cfg.deadLetters, processor: cfg.processor ?? ENRICH_RATINGS, now });
  const rating = parsed.value;
  if (rating.userId === ANONYMOUS_USER_ID) return unmatched();
  const customer = customers.get(rating.userId);
  if (customer) return enriched(rating, customer, cfg);
  if (cfg.graceMs <= 0) return unmatched();
  return {
    kind: 'done',
    emit: [
      {
        topic: cfg.pending,
        key: idKey(rating.userId),
        value: record.value,
        timestamp: record.timestamp,
        headers: { [FIRST_SEEN_HEADER]: String(now), [SOURCE_HEADER]: `${record.topic}/${record.partition}@${record.offset}` },
      },
    ],
  };
}

/** A record of the pending topic. */
export function joinPending(record: LogRecord, customers: CustomerLookup, cfg: JoinConfig, now: number): StepOutcome {
  const parsed = readRating(record, cfg.decoder ?? jsonDecoder);
  if (!parsed.ok) return deadLettered(record, parsed.error, { topic: cfg.deadLetters, processor: cfg.processor ?? ENRICH_RATINGS, now });
  const rating = parsed.value;
  const customer = customers.get(rating.userId);
  if (customer) return enriched(rating, customer, cfg);
  const deadline = firstSeen(record) + cfg.graceMs;
  return now >= deadline ? unmatched() : { kind: 'wait', until: deadline };
}

/** When the join first saw a pending rating; the record timestamp if the header is missing or garbled. */
export function firstSeen(record: Pick<LogRecord, 'headers' | 'timestamp'>): number {
  const h = record.headers[FIRST_SEEN_HEADER];
  const t = h === undefined ? Number.NaN : Number(h);
  return Number.isSafeInteger(t) && t >= 0 ? t : record.timestamp;
}

function readRating(record: LogRecord, decoder: RecordDecoder): { ok: true; value: Rating } | { ok: false; error: unknown } {
  try {
    const value = decoder.value(record);
    if (value === null) throw new InvalidRecordError('', 'a rating must be a JSON object, got a tombstone');
    return parseRating(value, record.timestamp);
  } catch (error) {
    return { ok: false, error };
  }
}

function enriched(rating: Rating, customer: Parameters<typeof enrich>[1], cfg: JoinConfig): StepOutcome {
  const e = enrich(rating, customer);
  const columns = enrichedToRecord(e);
  const json = JSON.stringify(columns);
  const value = cfg.encodeEnriched ? cfg.encodeEnriched(columns) : json;
  const record: OutRecord = { topic: cfg.output, key: idKey(rating.userId), value, timestamp: rating.ratingTime };
  return { kind: 'done', emit: cfg.complaints ? [record, ...complaintRecords(e, json, cfg.complaints)] : [record] };
}

const unmatched = (): StepOutcome => ({ kind: 'done', emit: [], unmatched: 1 });
