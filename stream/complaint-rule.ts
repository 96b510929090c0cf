/**
 * UNHAPPY_PLATINUM_CUSTOMERS: the article's
 * `SELECT * FROM ratings_with_customer_data WHERE STARS < 3 AND CLUB_STATUS = 'platinum'`,
 * with the rule from configuration. Keyed by rating id (a complaint's id),
 * the same columns as the enriched rating, record timestamp = rating time.
 *
 * KSQL ran the filter as a query of its own that read the enriched topic
 * back: one more consumer, one more transaction per batch, one more hop of
 * latency. Kafka Streams would put `enriched.filter(...).to(...)` in the same
 * sub-topology as the join, and so does this product: the join emits the
 * complaint in the same transaction as the enriched rating it derives from
 * (enrich-ratings.ts), so both topics always agree, and the rule still
 * changes by configuration alone.
 */
import { complaintId, isComplaint, type ComplaintRule, type EnrichedRating } from '../src/domain/index.js';
import type { OutRecord } from '../src/ports/event-log.js';

export interface ComplaintsConfig {
  /** UNHAPPY_PLATINUM_CUSTOMERS. */
  readonly output: string;
  readonly rule: ComplaintRule;
}

/**
 * The complaint record of an enriched rating, or none when the rule says it
 * is not one. `value` is the enriched rating's JSON (the same columns).
 */
export function complaintRecords(e: EnrichedRating, value: string, cfg: ComplaintsConfig): readonly OutRecord[] {
  if (!isComplaint(e, cfg.rule)) return [];
  return [{ topic: cfg.output, key: complaintId(e), value, timestamp: e.ratingTime }];
}
