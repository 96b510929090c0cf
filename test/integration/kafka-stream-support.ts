/** Shared set-up of the Kafka stream integration tests (not a test file). */
import { createKafkaEventLog, type KafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import { silentLogger } from '../../src/logger.js';
import { expect } from 'vitest';
import type { LogRecord } from '../../src/ports/event-log.js';
import type { TopicNames } from '../../src/topics.js';
import { text } from '../contract/helpers.js';
import { kafkaBrokers, uniqueName } from '../support/infra.js';

/** An event log tuned for fast tests: short sessions, short fetch waits, quick retries. */
export function kafkaTestLog(sessionTimeoutMs = 10_000, maxBytesPerPartition?: number): KafkaEventLog {
  return createKafkaEventLog({
    ...(maxBytesPerPartition ? { maxBytesPerPartition } : {}),
    brokers: kafkaBrokers(),
    clientId: uniqueName('stream'),
    logger: silentLogger,
    sessionTimeoutMs,
    heartbeatIntervalMs: 1_000,
    maxWaitTimeMs: 100,
    retryInitialDelayMs: 50,
  });
}

/** The product's topics, each prefixed with `id` so that tests never share one. */
export function prefixedTopics(id: string): TopicNames {
  return {
    ratings: `${id}-ratings`,
    customersCdc: `${id}-asgard.demo.CUSTOMERS`,
    customersRekeyed: `${id}-CUSTOMERS_SRC_REKEY`,
    ratingsEnriched: `${id}-ratings-with-customer-data`,
    complaints: `${id}-UNHAPPY_PLATINUM_CUSTOMERS`,
    acknowledgements: `${id}-complaint-acknowledgements`,
    deadLetters: `${id}-dead-letters`,
  };
}

/** Each of `ratings` rating ids exactly once among the enriched records, and each of `complaints` complaint keys exactly once. */
export function expectExactlyOnce(enriched: readonly LogRecord[], ratings: number, complaints: readonly LogRecord[], expectedComplaints: number): void {
  const ids = enriched.map((r) => (JSON.parse(text(r.value)!) as { RATING_ID: number }).RATING_ID);
  expect(ids).toHaveLength(ratings);
  expect(new Set(ids).size).toBe(ratings);
  const complaintIds = complaints.map((r) => text(r.key));
  expect(complaintIds).toHaveLength(expectedComplaints);
  expect(new Set(complaintIds).size).toBe(expectedComplaints);
}
