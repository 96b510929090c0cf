/** The stream layer's public surface: the pipeline, and the processors as plain functions. */
export { createStreamLayer, CUSTOMERS_TABLE, DEFAULT_PENDING_TOPIC, type StreamLayer, type StreamLayerOptions } from './pipeline.js';
export { createCustomersTable, applyCustomerRecord, readCustomerRecord, type CustomersTable, type CustomerLookup } from './customers-table.js';
export { deadLetter, deadLettered, MAX_DEAD_LETTER_VALUE_BYTES } from './dead-letter.js';
export { rekeyCustomer, REKEY_CUSTOMERS, type RekeyConfig } from './processors/rekey-customers.js';
export { enrichRatingStep, joinRating, joinPending, firstSeen, ENRICH_RATINGS, FIRST_SEEN_HEADER, type JoinConfig } from './processors/enrich-ratings.js';
export { complaintRecords, type ComplaintsConfig } from './complaint-rule.js';
