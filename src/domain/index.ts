/** The domain: types and pure functions. Imports nothing but `../errors.js`. */
export * from './result.js';
export * from './fields.js';
export * from './rating.js';
export * from './customer.js';
export * from './enriched-rating.js';
export * from './rating-filter.js';
export * from './complaint.js';
export * from './dead-letter.js';
export * from './wire-format.js';
export * from './avro-values.js';
