/**
 * Consumers that kafkajs gives up on come back: a crash without restart (here
 * a TypeError thrown inside eachBatch, which kafkajs treats as non-retriable:
 * CRASH with `restart: false`, consumer disconnected for good) is followed by
 * a replacement that goes on where the crashed one was, and health reports it
 * meanwhile (`ping()` false, a processor in ERROR).
 */
import type { Consumer, ConsumerConfig, ConsumerRunConfig, Kafka } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafkaClient } from '../../src/adapters/kafka/client.js';
import { createKafkaEventLog, type KafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import { createKafkaStreamRuntime, type KafkaStreamRuntime } from '../../stream/runtime/kafka-runtime.js';
import { silentLogger } from '../../src/logger.js';
import type { LogRecord } from '../../src/ports/event-log.js';
import type { ProcessorState } from '../../src/ports/stream-runtime.js';
import { collect, eventually, text } from '../contract/helpers.js';
import { kafkaBrokers, uniqueName } from '../support/infra.js';

/** A kafkajs client whose consumers of matching groups can be made to crash at their next batch, the way kafkajs will not restart. */
function crashableClient(): { client: Kafka; crashNext(groupMatch: (groupId: string) => boolean): void; crashes: () => number } {
  const client = createKafkaClient({ brokers: kafkaBrokers(), clientId: uniqueName('crashy'), logger: silentLogger });
  const real = client.consumer.bind(client);
  let armed: ((groupId: string) => boolean) | null = null;
  let crashes = 0;
  client.consumer = (config: ConsumerConfig): Consumer => {
    const consumer = real(config);
    const run = consumer.run.bind(consumer);
    consumer.run = (o?: ConsumerRunConfig) => {
      const eachBatch = o?.eachBatch;
      return run({
        ...o,
        ...(eachBatch
          ? {
              eachBatch: async (payload) => {
                if (armed?.(config.groupId)) {
                  armed = null;
                  crashes++;
                  throw new TypeError('injected: a bug in eachBatch');
                }
                return eachBatch(payload);
              },
            }
          : {}),
      });
    };
    return consumer;
  };
  return { client, crashNext: (m) => (armed = m), crashes: () => crashes };
}

const values = (records: readonly LogRecord[]): string[] => records.map((r) => text(r.value) ?? '');
const range = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `v${from + i}`);

describe('crashed Kafka consumers', () => {
  const crashy = crashableClient();
  const options = { brokers: kafkaBrokers(), logger: silentLogger, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 100, retryInitialDelayMs: 400, retryMaxDelayMs: 2_000 };
  /** The log under test: its consumers come from the crashable client. */
  const log: KafkaEventLog = createKafkaEventLog({ ...options, clientId: uniqueName('crash'), client: crashy.client });
  /** A plain log for producing and reading what the one under test wrote. */
  const plain: KafkaEventLog = createKafkaEventLog({ ...options, clientId: uniqueName('plain') });
  const runtimes: KafkaStreamRuntime[] = [];
  afterAll(async () => {
    await Promise.all(runtimes.map((r) => r.close()));
    await log.close();
    await plain.close();
  });

  async function topic(partitions = 2): Promise<string> {
    const t = uniqueName('crash');
    await plain.ensureTopics([{ name: t, partitions }]);
    return t;
  }
  const produce = (t: string, vs: readonly string[]) => plain.produce(vs.map((v, i) => ({ topic: t, key: `k${i}`, value: v })));

  it('a tail whose consumer kafkajs gave up on is recreated, goes on from its positions, and ping() is false meanwhile', async () => {
    const t = await topic();
    await produce(t, range(0, 10));
    const c = await collect(log, t);
    await c.atLeast(10);
    expect(await log.ping()).toBe(true);

    const before = crashy.crashes();
    crashy.crashNext((g) => g.includes('-tail-'));
    await produce(t, range(10, 20));
    await eventually(async () => !(await log.ping()), 'ping() false while the tail is down', 20_000, 5);
    expect(log.consumersHealthy()).toBe(false);
    expect(crashy.crashes()).toBe(before + 1);

    await c.atLeast(20, 30_000);
    await eventually(() => log.consumersHealthy(), 'the tail back', 30_000);
    expect(await log.ping()).toBe(true);
    await produce(t, range(20, 25));
    await c.atLeast(25);
    await c.stop();
    // Nothing skipped, nothing twice: the crashed batch never reached the handler, the replacement started at the tracked positions.
    expect(values(c.records).sort()).toEqual(range(0, 25).sort());
  }, 60_000);

  it('a group consumer kafkajs gave up on is recreated and resumes from the committed offsets', async () => {
    const t = await topic();
    const groupId = uniqueName('crash-group');
    const seen: string[] = [];
    await produce(t, range(0, 10));
    const handle = await log.consume({ groupId, topics: [t], onBatch: async (records) => void seen.push(...values(records)) });
    try {
      await eventually(async () => seen.length >= 10 && (await plain.lag(groupId, t)) === 0, '10 committed');

      crashy.crashNext((g) => g === groupId);
      await produce(t, range(10, 20));
      await eventually(() => !log.consumersHealthy(), 'the consumer down', 20_000, 5);
      expect(await log.ping()).toBe(false);

      await eventually(async () => seen.length >= 20 && (await plain.lag(groupId, t)) === 0, 'all 20 committed after the replacement', 40_000);
      await eventually(() => log.consumersHealthy(), 'the consumer back', 30_000);
      expect(await log.ping()).toBe(true);
      expect([...seen].sort()).toEqual(range(0, 20).sort());
    } finally {
      await handle.stop();
    }
  }, 60_000);

  it('a stream processor whose consumer crashed reports ERROR, is rebuilt, and RUNNING again copies everything exactly once', async () => {
    const input = await topic();
    const out = await topic();
    const rt = createKafkaStreamRuntime({ log, groupPrefix: uniqueName('crash-app'), statusIntervalMs: 0, retryInitialDelayMs: 1_500, retryMaxDelayMs: 3_000, logger: silentLogger });
    runtimes.push(rt);
    await produce(input, range(0, 10));
    await rt.run({ name: 'copy', sources: [input], sinks: [out], process: (r) => ({ kind: 'done', emit: [{ topic: out, key: r.key, value: r.value }] }) });
    const c = await collect(plain, out);
    await c.atLeast(10);
    const state = async (): Promise<ProcessorState | undefined> => (await rt.status())[0]?.state;
    await eventually(async () => (await state()) === 'RUNNING', 'RUNNING');

    crashy.crashNext((g) => g === rt.groupId('copy'));
    await produce(input, range(10, 20));
    await eventually(async () => (await state()) === 'ERROR', 'ERROR while the consumer is down', 20_000, 5);
    expect(log.consumersHealthy()).toBe(false);

    await c.atLeast(20, 40_000);
    await eventually(async () => (await state()) === 'RUNNING' && (await rt.status())[0]?.consumerLag === 0, 'RUNNING again, all committed', 30_000);
    expect((await rt.status())[0]?.lastError).toMatch(/injected/);
    expect(log.consumersHealthy()).toBe(true);
    await c.stop();
    expect(values(c.records).sort()).toEqual(range(0, 20).sort());
  }, 90_000);
});
