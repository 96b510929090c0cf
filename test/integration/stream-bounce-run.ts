/**
 * One run of the stream layer across a broker fault (not a test file): on a
 * broker of its own, 2,000 ratings joined in many small transactions, the fault
 * `bounce` injected once the join is under way, then every processor must catch
 * up by itself and the outputs hold every record exactly once, read by the
 * product's kafkajs and by librdkafka (kcat), both read_committed.
 * Used by stream-broker-bounce.test.ts (broker killed) and
 * test/chaos/kafka-broker-down.test.ts (graceful restart; 20 s without a broker).
 */
import { expect } from 'vitest';
import type { KafkaServer } from '../../scripts/infra/kafka.js';
import { createKafkaEventLog, type KafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import { createKafkaStreamRuntime, type KafkaStreamRuntime } from '../../stream/runtime/kafka-runtime.js';
import { DEFAULT_COMPLAINT_RULE } from '../../src/domain/index.js';
import { silentLogger } from '../../src/logger.js';
import type { TopicNames } from '../../src/topics.js';
import { createStreamLayer, type StreamLayer } from '../../stream/pipeline.js';
import { readToEnd, waitFor as eventually } from '../support/wait.js';
import { uniqueName } from '../support/infra.js';
import { expectExactlyOnce, expectExactlyOnceByKcat, prefixedTopics, type FaultFigures } from './kafka-stream-support.js';

const STATUSES = ['bronze', 'silver', 'gold', 'platinum'];
const CUSTOMERS = 40;
export const BOUNCE_RATINGS = 2_000;

/** What is left to close after a run (also after a failed one). */
export interface BounceResources {
  log?: KafkaEventLog;
  runtime?: KafkaStreamRuntime;
  layer?: StreamLayer;
}

/** Stops and closes what `r` holds, once (later calls find nothing). */
export async function closeBounceResources(r: BounceResources): Promise<void> {
  const { layer, runtime, log } = r;
  r.layer = undefined;
  r.runtime = undefined;
  r.log = undefined;
  await layer?.stop();
  await runtime?.close();
  await log?.close();
}

/**
 * Runs the stream layer on `broker`, calls `bounce` mid-way and checks exactly-once.
 * Returns the figures and the recovery time: from `bounce` resolving (the broker
 * back) to the first enriched record written after it (reported, never asserted).
 */
export async function runAcrossBrokerFault(
  broker: KafkaServer,
  label: string,
  bounce: (broker: KafkaServer) => Promise<void>,
  r: BounceResources,
): Promise<FaultFigures & { recoverySeconds: number }> {
  const id = uniqueName(label);
  const topics: TopicNames = prefixedTopics(id);
  // Small fetches: the run is many transactions, so the fault lands inside one.
  const l = (r.log = createKafkaEventLog({
    brokers: [broker.brokers],
    clientId: id,
    logger: silentLogger,
    sessionTimeoutMs: 6_000,
    heartbeatIntervalMs: 1_000,
    maxWaitTimeMs: 100,
    maxBytesPerPartition: 4_096,
    retryInitialDelayMs: 100,
    retryMaxDelayMs: 2_000,
  }));
  await l.ensureTopics(Object.values(topics).map((name) => ({ name, ...(name === topics.customersRekeyed ? { compacted: true } : {}) })));
  await l.produce(
    Array.from({ length: CUSTOMERS }, (_, i) => ({
      topic: topics.customersCdc,
      key: JSON.stringify({ id: i + 1 }),
      value: JSON.stringify({ id: i + 1, first_name: `F${i + 1}`, last_name: 'L', email: `c${i + 1}@example.com`, gender: 'Male', club_status: STATUSES[(i + 1) % STATUSES.length], comments: null }),
    })),
  );
  const ratings = Array.from({ length: BOUNCE_RATINGS }, (_, i) => ({ id: i + 1, user: 1 + (i % CUSTOMERS), stars: 1 + (i % 5) }));
  for (let i = 0; i < BOUNCE_RATINGS; i += 50) {
    await l.produce(
      ratings.slice(i, i + 50).map((x) => ({
        topic: topics.ratings,
        key: String(x.id),
        value: JSON.stringify({ rating_id: x.id, user_id: x.user, stars: x.stars, route_id: 1, rating_time: 1_528_800_000_000 + x.id, channel: 'web', message: 'm' }),
      })),
    );
  }
  const expectedComplaints = ratings.filter((x) => x.stars < 3 && STATUSES[x.user % STATUSES.length] === 'platinum').length;

  const runtime = (r.runtime = createKafkaStreamRuntime({ log: l, groupPrefix: id, statusIntervalMs: 0, retryInitialDelayMs: 100, logger: silentLogger }));
  const layer = (r.layer = createStreamLayer({ runtime, topics, rule: DEFAULT_COMPLAINT_RULE, joinGraceMs: 60_000, logger: silentLogger, pendingTopic: `${id}-join-pending` }));
  await layer.start();

  // The fault once the join is under way but far from done.
  const written = async (topic: string): Promise<number> => (await l.offsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  await eventually(async () => (await written(topics.ratingsEnriched)) > 200, 'the join under way', 60_000, 5);
  const beforeFault = await written(topics.ratingsEnriched);
  await bounce(broker);
  const back = Date.now();
  // Recovery: the first enriched record written after the broker is back (the high watermark
  // counts aborted records and markers too, so this is the first transaction to reach the log).
  const atBack = await eventually(async () => written(topics.ratingsEnriched).catch(() => 0), 'the enriched topic readable again', 120_000, 50);
  await eventually(async () => (await written(topics.ratingsEnriched)) > atBack, 'new enriched output after the fault', 150_000, 50);
  const recoverySeconds = Math.round((Date.now() - back) / 100) / 10;

  // Everything arrives once the processors found the broker again.
  let last = '';
  await eventually(
    async () => {
      const status = await layer.status();
      last = JSON.stringify(status.map((s) => ({ name: s.name, state: s.state, total: s.totalMessages, lag: s.consumerLag, error: s.lastError })));
      const join = status.find((s) => s.name === 'enrich-ratings');
      if (join === undefined || !status.every((s) => s.consumerLag === 0)) return false;
      if (join.totalMessages >= BOUNCE_RATINGS) return true;
      // A commit whose answer the fault cut off may have been applied: the input is then
      // committed although the processor did not count that batch. The group's committed
      // offsets reaching the end of the ratings topic say everything was processed.
      const committed = await l.committed(`${id}-enrich-ratings`, topics.ratings);
      const ends = await l.offsets(topics.ratings);
      return ends.every((o) => BigInt(committed.get(o.partition) ?? '0') >= BigInt(o.high));
    },
    'every processor caught up after the fault',
    180_000,
    250,
  ).catch((e: unknown) => {
    throw new Error(`${e instanceof Error ? e.message : String(e)}; last status: ${last}`);
  });
  // Every input offset is committed, each in the transaction of the outputs it produced:
  // the outputs are final. Read them to the high watermark, read_committed.
  const enriched = await readToEnd(l, topics.ratingsEnriched, { timeoutMs: 60_000 });
  const complaints = await readToEnd(l, topics.complaints, { timeoutMs: 60_000 });

  expect(beforeFault).toBeLessThan(BOUNCE_RATINGS);
  expectExactlyOnce(enriched, BOUNCE_RATINGS, complaints, expectedComplaints);
  const figures = await expectExactlyOnceByKcat(broker.brokers, { enriched: topics.ratingsEnriched, complaints: topics.complaints }, BOUNCE_RATINGS, expectedComplaints, label);
  expect((await layer.status()).find((s) => s.name === 'enrich-ratings')).toMatchObject({ failedMessages: 0, unmatchedMessages: 0 });
  console.log(`fault-figures ${label} recoverySeconds=${recoverySeconds}`);
  return { ...figures, recoverySeconds };
}
