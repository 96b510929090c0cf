/**
 * ratings-with-customer-data → UNHAPPY_PLATINUM_CUSTOMERS: the article's
 * `WHERE STARS < 3 AND CLUB_STATUS = 'platinum'`, with the rule from
 * configuration. Keyed by rating id (a complaint's id), same columns as the
 * enriched rating, record timestamp = rating time.
 */
import { complaintId, enrichedToRecord, isComplaint, parseEnrichedRecord, type ComplaintRule } from '../../src/domain/index.js';
import type { LogRecord } from '../../src/ports/event-log.js';
import type { StepOutcome } from '../../src/ports/stream-runtime.js';
import { deadLettered } from '../dead-letter.js';
import { decodeValue } from '../decode.js';
import { InvalidRecordError } from '../../src/errors.js';

export const COMPLAINTS = 'complaints';

export interface ComplaintsConfig {
  /** UNHAPPY_PLATINUM_CUSTOMERS. */
  readonly output: string;
  readonly deadLetters: string;
  readonly rule: ComplaintRule;
  /** @default 'complaints' */
  readonly processor?: string;
}

export function complaintOf(record: LogRecord, cfg: ComplaintsConfig, now: number): StepOutcome {
  const dlq = { topic: cfg.deadLetters, processor: cfg.processor ?? COMPLAINTS, now };
  let parsed;
  try {
    const value = decodeValue(record.value);
    if (value === null) throw new InvalidRecordError('', 'an enriched rating must be a JSON object, got a tombstone');
    parsed = parseEnrichedRecord(value);
  } catch (e) {
    return deadLettered(record, e, dlq);
  }
  if (!parsed.ok) return deadLettered(record, parsed.error, dlq);
  const e = parsed.value;
  if (!isComplaint(e, cfg.rule)) return { kind: 'done', emit: [] };
  return { kind: 'done', emit: [{ topic: cfg.output, key: complaintId(e), value: JSON.stringify(enrichedToRecord(e)), timestamp: e.ratingTime }] };
}
