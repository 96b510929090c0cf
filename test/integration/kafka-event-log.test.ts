import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafkaEventLog, type KafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import { silentLogger } from '../../src/logger.js';
import { eventLogContract } from '../contract/event-log.contract.js';
import { eventually } from '../contract/helpers.js';
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

describe('KafkaEventLog.offsets isolation', () => {
  const log: KafkaEventLog = createKafkaEventLog(options());
  const client = new Kafka({ brokers: kafkaBrokers(), clientId: uniqueName('txn'), logLevel: logLevel.NOTHING });
  afterAll(() => log.close());

  it('committed ends at the last stable offset, uncommitted at the high watermark, while a transaction is open', async () => {
    const topic = uniqueName('iso');
    await log.ensureTopics([{ name: topic, partitions: 1 }]);
    await log.produce([{ topic, key: 'a', value: '1' }]);
    const producer = client.producer({ transactionalId: uniqueName('txn'), idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const tx = await producer.transaction();
      await tx.send({
        topic,
        messages: [
          { key: 'b', value: '2' },
          { key: 'c', value: '3' },
        ],
      });
      const high = async (isolation: 'committed' | 'uncommitted') => (await log.offsets(topic, isolation))[0]!.high;
      expect(await high('committed')).toBe('1');
      expect(await high('uncommitted')).toBe('3');
      await tx.commit();
      // The commit marker takes an offset of its own; both ends move past it.
      await eventually(async () => (await high('committed')) === '4' && (await high('uncommitted')) === '4', 'both ends past the marker', 10_000);
    } finally {
      await producer.disconnect();
    }
  });
});
