/**
 * Waiting helpers for the contract suites: the shared ones of
 * test/support/wait.ts, under the names these suites use.
 */
export { collect, deferred, waitFor as eventually, text, type Collector } from '../support/wait.js';
