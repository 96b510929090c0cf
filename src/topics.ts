/** Default topic names (contract: DESIGN.md section 2). Each can be overridden by configuration. */
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

/** Headers of a `dead-letters` record (contract). */
export const DeadLetterHeader = Object.freeze({
  error: 'dlq.error',
  errorCode: 'dlq.error.code',
  errorField: 'dlq.error.field',
  topic: 'dlq.source.topic',
  partition: 'dlq.source.partition',
  offset: 'dlq.source.offset',
  processor: 'dlq.processor',
  time: 'dlq.time',
  /** Set (to the original size in bytes) when the value was cut to fit the topic's message size limit. */
  valueTruncated: 'dlq.value.truncated',
});

/** Default Elasticsearch index names (configurable). */
export const DEFAULT_INDICES = Object.freeze({
  ratings: 'ratings-enriched',
  complaints: 'complaints',
  customers: 'customers',
});

export type IndexNames = { readonly [K in keyof typeof DEFAULT_INDICES]: string };
