import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafkaEventLog, type KafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import { silentLogger } from '../../src/logger.js';
import { eventLogContract } from '../contract/event-log.contract.js';
import { deferred, eventually } from '../contract/helpers.js';
import type { Deferred } from '../support/wait.js';
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

describe('KafkaEventLog.consume with batches taken in', () => {
  // Tiny fetches: each fetch returns one record batch (one per produce call), so one partition gives several deliveries.
  const log: KafkaEventLog = createKafkaEventLog({ ...options(), maxBytesPerPartition: 64 });
  afterAll(() => log.close());

  it("fetches a partition's next batches while earlier ones are still being finished, and commits them in order", async () => {
    const topic = uniqueName('pipeline');
    const group = uniqueName('g');
    await log.ensureTopics([{ name: topic, partitions: 1 }]);
    for (const v of ['a', 'b', 'c']) await log.produce([{ topic, key: null, value: v }]);
    const taken: Array<{ values: string[]; done: Deferred<void> }> = [];
    const c = await log.consume({
      groupId: group,
      topics: [topic],
      onBatch: async (records) => {
        const done = deferred();
        taken.push({ values: records.map((r) => r.value?.toString() ?? ''), done });
        return { done: done.promise };
      },
    });
    try {
      // Every record was delivered while the first batch is not done: kafkajs went on fetching.
      await eventually(async () => taken.flatMap((t) => t.values).length === 3, 'all three delivered', 20_000);
      expect(taken.length).toBeGreaterThan(1);
      expect(taken.flatMap((t) => t.values)).toEqual(['a', 'b', 'c']);
      expect(await log.lag(group, topic)).toBe(3);
      // Finished last to first: nothing can be committed until the first is done, then all of it is.
      for (const t of [...taken].reverse()) t.done.resolve();
      await eventually(async () => (await log.committed(group, topic)).get(0) === '3', 'committed to the end', 20_000);
    } finally {
      for (const t of taken) t.done.resolve();
      await c.stop();
    }
  });
});
