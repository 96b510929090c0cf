/** Default topic names (contract: docs/data-contracts.md, "Topics"). Each can be overridden by configuration. */
export const DEFAULT_TOPICS = Object.freeze({
  ratings: 'ratings',
  customersCdc: 'asgard.demo.CUSTOMERS',
  customersRekeyed: 'CUSTOMERS_SRC_REKEY',
  ratingsEnriched: 'ratings-with-customer-data',
  complaints: 'UNHAPPY_PLATINUM_CUSTOMERS',
  acknowledgements: 'complaint-acknowledgements',
  /** Every state change of a complaint (acknowledged, resolved); see docs/lifecycle.md. */
  transitions: 'complaint-transitions',
  deadLetters: 'dead-letters',
});

export type TopicNames = { readonly [K in keyof typeof DEFAULT_TOPICS]: string };

/** The product's own topics, besides the configured ones. */
export interface InternalTopicNames {
  /** Ratings whose customer the join has not seen yet. */
  readonly joinPending: string;
  /** Compacted status reports of the stream processors. */
  readonly pipelineStatus: string;
}

/**
 * The one builder of internal topic names: `_<prefix>-join-pending` and
 * `_<prefix>-pipeline-status`. The product names them after its group prefix,
 * so two deployments (or test runs) sharing one Kafka never read each other's
 * join state or status; the stream layer's and the runtime's defaults use the
 * prefix `feedback`.
 */
export function internalTopics(prefix: string): InternalTopicNames {
  return { joinPending: `_${prefix}-join-pending`, pipelineStatus: `_${prefix}-pipeline-status` };
}

/**
 * Derived topics whose record timestamp is the rating's `rating_time` (event
 * time, as KSQL sets it): `ratings-with-customer-data`, `UNHAPPY_PLATINUM_CUSTOMERS`
 * and the join's pending topic. Time-based retention measures a record's age by
 * its timestamp, so a backfill of old ratings into such a topic with the usual
 * `retention.ms` (7 days) would be deleted at the next retention check. When
 * the product creates these topics it turns time-based retention off
 * (`retention.ms=-1`); topics that already exist are left as they are
 * (docs/data-contracts.md, "Record timestamps and retention").
 */
export const EVENT_TIME_TOPIC_RETENTION_MS = -1;

/** Headers of a `dead-letters` record (contract); defined with the one dead-letter builder. */
export { DeadLetterHeader } from './domain/dead-letter.js';

/** Default Elasticsearch index names (configurable). */
export const DEFAULT_INDICES = Object.freeze({
  ratings: 'ratings-enriched',
  complaints: 'complaints',
  customers: 'customers',
});

export type IndexNames = { readonly [K in keyof typeof DEFAULT_INDICES]: string };
