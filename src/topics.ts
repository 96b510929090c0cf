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

/** Headers of a `dead-letters` record (contract); defined with the one dead-letter builder. */
export { DeadLetterHeader } from './domain/dead-letter.js';

/** Default Elasticsearch index names (configurable). */
export const DEFAULT_INDICES = Object.freeze({
  ratings: 'ratings-enriched',
  complaints: 'complaints',
  customers: 'customers',
});

export type IndexNames = { readonly [K in keyof typeof DEFAULT_INDICES]: string };
