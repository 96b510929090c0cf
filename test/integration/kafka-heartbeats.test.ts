/**
 * Handlers that run longer than the session timeout keep their member: the
 * event log heartbeats while a consume or tail handler runs, so the group does
 * not drop it, the commit succeeds and the batch is not delivered again (a
 * rebalance loop otherwise: every redelivery is as slow as the first).
 */
import type { Consumer, ConsumerConfig } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafkaClient } from '../../src/adapters/kafka/client.js';
import { createKafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import { silentLogger } from '../../src/logger.js';
import { deferred, text, waitFor as eventually } from '../support/wait.js';
import { kafkaBrokers, uniqueName } from '../support/infra.js';

/** A kafkajs client that counts group joins per group id. */
function joinCountingClient() {
  const client = createKafkaClient({ brokers: kafkaBrokers(), clientId: uniqueName('hb'), logger: silentLogger });
  const real = client.consumer.bind(client);
  const joins = new Map<string, number>();
  client.consumer = (config: ConsumerConfig): Consumer => {
    const c = real(config);
    c.on(c.events.GROUP_JOIN, () => joins.set(config.groupId, (joins.get(config.groupId) ?? 0) + 1));
    return c;
  };
  return { client, joins: (match: (groupId: string) => boolean) => [...joins].filter(([g]) => match(g)).reduce((n, [, k]) => n + k, 0) };
}

const SESSION_MS = 6_000; // the broker's group.min.session.timeout.ms
const SLOW_MS = 9_000;
/** The slowness under test: a handler that takes longer than the session timeout. */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('heartbeats during long handlers', () => {
  const counting = joinCountingClient();
  const log = createKafkaEventLog({
    brokers: kafkaBrokers(),
    clientId: uniqueName('hb'),
    client: counting.client,
    logger: silentLogger,
    sessionTimeoutMs: SESSION_MS,
    heartbeatIntervalMs: 1_000,
    maxWaitTimeMs: 100,
    retryInitialDelayMs: 100,
  });
  afterAll(() => log.close());

  async function topic(): Promise<string> {
    const t = uniqueName('hb');
    await log.ensureTopics([{ name: t, partitions: 1 }]);
    return t;
  }

  it('a consume handler slower than the session timeout is delivered its batch once, and its offsets are committed', async () => {
    const t = await topic();
    const groupId = uniqueName('hb-group');
    await log.produce(['a', 'b', 'c'].map((v) => ({ topic: t, key: null, value: v })));
    const deliveries: string[][] = [];
    const handle = await log.consume({
      groupId,
      topics: [t],
      onBatch: async (records) => {
        deliveries.push(records.map((r) => text(r.value) ?? ''));
        await sleep(SLOW_MS);
      },
    });
    try {
      await eventually(async () => deliveries.length > 0 && (await log.lag(groupId, t)) === 0, 'the slow batch committed', 40_000, 200);
      expect(deliveries).toEqual([['a', 'b', 'c']]);
      expect(counting.joins((g) => g === groupId)).toBe(1);
    } finally {
      await handle.stop();
    }
  }, 60_000);

  it('a tail handler slower than the session timeout keeps its member (no rebalance)', async () => {
    const t = await topic();
    await log.produce([{ topic: t, key: null, value: 'slow' }]);
    const seen: string[] = [];
    const slowDone = deferred();
    const before = counting.joins((g) => g.includes('-tail-'));
    const handle = await log.tail({
      topic: t,
      from: 'earliest',
      onBatch: async (records) => {
        seen.push(...records.map((r) => text(r.value) ?? ''));
        if (seen.length === 1) {
          await sleep(SLOW_MS);
          slowDone.resolve();
        }
      },
    });
    try {
      await eventually(() => seen.length === 1, 'the slow batch');
      await eventually(() => counting.joins((g) => g.includes('-tail-')) > before, 'joined');
      // The handler outlived the session timeout; a member that stopped heartbeating
      // meanwhile has been expired by now and must join again before it reads more.
      await slowDone.promise;
      await log.produce([{ topic: t, key: null, value: 'next' }]);
      await eventually(() => seen.length === 2, 'the next record', 30_000);
      expect(seen).toEqual(['slow', 'next']);
      expect(counting.joins((g) => g.includes('-tail-')) - before).toBe(1);
    } finally {
      await handle.stop();
    }
  }, 60_000);
});
