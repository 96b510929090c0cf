/** Block Kit builders: pure functions of domain objects, testable without Slack. */
export * from './complaint-message.js';
export * from './acknowledgement.js';
export * from './format.js';
