/**
 * docs/exactly-once.md: "A restart, a rebalance or a broker bounce must leave no
 * duplicate and no gap in the output topics." The restart and the crash are
 * covered by stream-eos.test.ts; this file bounces the broker itself while the
 * stream layer is mid-way, on a broker of its own (the shared test broker
 * serves the other files meanwhile), and then reads the outputs the way
 * downstream consumers do: read_committed, from the beginning.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafka, type KafkaServer } from '../../scripts/infra/kafka.js';
import { createKafkaEventLog, type KafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import { createKafkaStreamRuntime, type KafkaStreamRuntime } from '../../stream/runtime/kafka-runtime.js';
import { DEFAULT_COMPLAINT_RULE } from '../../src/domain/index.js';
import { silentLogger } from '../../src/logger.js';
import type { TopicNames } from '../../src/topics.js';
import { createStreamLayer, type StreamLayer } from '../../stream/pipeline.js';
import { readToEnd, waitFor as eventually } from '../support/wait.js';
import { uniqueName } from '../support/infra.js';
import { expectExactlyOnce, prefixedTopics } from './kafka-stream-support.js';

const STATUSES = ['bronze', 'silver', 'gold', 'platinum'];
const CUSTOMERS = 40;
const RATINGS = 2_000;

describe('the stream layer across a broker bounce', () => {
  let server: KafkaServer | undefined;
  let log: KafkaEventLog | undefined;
  let runtime: KafkaStreamRuntime | undefined;
  let layer: StreamLayer | undefined;

  beforeAll(async () => {
    server = await startKafka({ heap: '384m', properties: { 'log.retention.ms': -1 } });
  }, 180_000);
  afterAll(async () => {
    await layer?.stop();
    await runtime?.close();
    await log?.close();
    await server?.stop();
  }, 60_000);

  it('leaves no duplicate and no gap in the enriched and complaint topics', async () => {
    const broker = server!;
    const id = uniqueName('bounce');
    const topics: TopicNames = prefixedTopics(id);
    // Small fetches: the run is many transactions, so the bounce lands inside one.
    const l = (log = createKafkaEventLog({
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
    const ratings = Array.from({ length: RATINGS }, (_, i) => ({ id: i + 1, user: 1 + (i % CUSTOMERS), stars: 1 + (i % 5) }));
    for (let i = 0; i < RATINGS; i += 50) {
      await l.produce(
        ratings.slice(i, i + 50).map((r) => ({
          topic: topics.ratings,
          key: String(r.id),
          value: JSON.stringify({ rating_id: r.id, user_id: r.user, stars: r.stars, route_id: 1, rating_time: 1_528_800_000_000 + r.id, channel: 'web', message: 'm' }),
        })),
      );
    }
    const expectedComplaints = ratings.filter((r) => r.stars < 3 && STATUSES[r.user % STATUSES.length] === 'platinum').length;

    runtime = createKafkaStreamRuntime({ log: l, groupPrefix: id, statusIntervalMs: 0, retryInitialDelayMs: 100, logger: silentLogger });
    layer = createStreamLayer({ runtime, topics, rule: DEFAULT_COMPLAINT_RULE, joinGraceMs: 60_000, logger: silentLogger, pendingTopic: `${id}-join-pending` });
    await layer.start();

    // Bounce once the join is under way but far from done.
    const written = async (topic: string): Promise<number> => (await l.offsets(topic)).reduce((n, p) => n + Number(p.high), 0);
    await eventually(async () => (await written(topics.ratingsEnriched)) > 200, 'the join under way', 60_000, 5);
    const beforeBounce = await written(topics.ratingsEnriched);
    // Killed, not stopped: whatever transaction was open dies with it, and the broker recovers at start-up.
    await broker.restart(1_000, { graceful: false });

    // Everything arrives once the processors found the broker again.
    let last = '';
    await eventually(
      async () => {
        const status = await layer!.status();
        last = JSON.stringify(status.map((s) => ({ name: s.name, state: s.state, total: s.totalMessages, lag: s.consumerLag, error: s.lastError })));
        const join = status.find((s) => s.name === 'enrich-ratings');
        return join !== undefined && join.totalMessages >= RATINGS && status.every((s) => s.consumerLag === 0);
      },
      'every processor caught up after the bounce',
      150_000,
      250,
    ).catch((e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}; last status: ${last}`);
    });
    // Every input offset is committed, and each commit went in the transaction of
    // the outputs it produced: the outputs are final. Read them to the high
    // watermark (so a transaction still open would be waited for), read_committed.
    const enriched = await readToEnd(l, topics.ratingsEnriched, { timeoutMs: 60_000 });
    const complaints = await readToEnd(l, topics.complaints, { timeoutMs: 60_000 });

    expect(beforeBounce).toBeLessThan(RATINGS);
    expectExactlyOnce(enriched, RATINGS, complaints, expectedComplaints);
    expect((await layer.status()).find((s) => s.name === 'enrich-ratings')).toMatchObject({ failedMessages: 0, unmatchedMessages: 0 });
  }, 300_000);
});
