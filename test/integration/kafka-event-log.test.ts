import { createKafkaEventLog, type KafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import { silentLogger } from '../../src/logger.js';
import { eventLogContract } from '../contract/event-log.contract.js';
import { kafkaBrokers, uniqueName } from '../support/infra.js';

const options = () => ({
  brokers: kafkaBrokers(),
  clientId: uniqueName('evlog'),
  logger: silentLogger,
  // Fast tests: short sessions, quick redelivery.
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  maxWaitTimeMs: 200,
  retryInitialDelayMs: 100,
});

eventLogContract('kafka', async () => {
  const log: KafkaEventLog = createKafkaEventLog(options());
  return {
    log,
    fresh: async () => createKafkaEventLog(options()),
    name: (prefix) => uniqueName(prefix),
    close: () => log.close(),
  };
});
