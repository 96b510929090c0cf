/** Shared set-up of the Kafka stream integration tests (not a test file). */
import { createKafkaEventLog, type KafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import { silentLogger } from '../../src/logger.js';
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
