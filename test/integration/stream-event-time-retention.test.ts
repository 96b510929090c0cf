/**
 * Retention and old timestamps. Enriched ratings and complaints carry the
 * rating's `rating_time` as their record timestamp (docs/data-contracts.md), and
 * time-based retention measures age by that timestamp: a backfill of 2018
 * ratings into a topic with `retention.ms` of days would be deleted at the next
 * retention check. The product creates these topics with `retention.ms=-1`.
 * On a broker of its own whose default retention is 5 s, checked every second:
 * 2018 ratings are joined, then the same old timestamps are written to a control
 * topic with the broker's default retention; once retention deleted the control
 * records (so a retention pass ran after the outputs were written), every
 * enriched record and complaint must still be there, exactly once (kafkajs and
 * kcat, read_committed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafka, type KafkaServer } from '../../scripts/infra/kafka.js';
import { createKafkaEventLog, type KafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import { createKafkaStreamRuntime, type KafkaStreamRuntime } from '../../stream/runtime/kafka-runtime.js';
import { DEFAULT_COMPLAINT_RULE } from '../../src/domain/index.js';
import { silentLogger } from '../../src/logger.js';
import { createStreamLayer, type StreamLayer } from '../../stream/pipeline.js';
import { readToEnd, waitFor as eventually } from '../support/wait.js';
import { uniqueName } from '../support/infra.js';
import { expectExactlyOnce, expectExactlyOnceByKcat, prefixedTopics } from './kafka-stream-support.js';

const STATUSES = ['bronze', 'silver', 'gold', 'platinum'];
const CUSTOMERS = 20;
const RATINGS = 500;
/** 12 June 2018, the article's rating times. */
const OLD = 1_528_800_000_000;

describe('derived topics and old record timestamps', () => {
  let server: KafkaServer | undefined;
  let log: KafkaEventLog | undefined;
  let runtime: KafkaStreamRuntime | undefined;
  let layer: StreamLayer | undefined;

  beforeAll(async () => {
    server = await startKafka({ heap: '256m', properties: { 'log.retention.ms': 5_000, 'log.retention.check.interval.ms': 1_000 } });
  }, 180_000);
  afterAll(async () => {
    await layer?.stop();
    await runtime?.close();
    await log?.close();
    await server?.stop();
  }, 60_000);

  it('keeps a backfill of 2018 ratings in the enriched and complaint topics under a 5 s broker retention', async () => {
    const broker = server!;
    const id = uniqueName('evtime');
    const topics = prefixedTopics(id);
    const l = (log = createKafkaEventLog({ brokers: [broker.brokers], clientId: id, logger: silentLogger, maxWaitTimeMs: 100 }));
    // The inputs (written now, stamped now) are kept for the test; the derived topics are left to the product to create.
    await l.ensureTopics([topics.ratings, topics.customersCdc, topics.acknowledgements, topics.deadLetters].map((name) => ({ name, retentionMs: -1 })));
    await l.produce(
      Array.from({ length: CUSTOMERS }, (_, i) => ({
        topic: topics.customersCdc,
        key: JSON.stringify({ id: i + 1 }),
        value: JSON.stringify({ id: i + 1, first_name: `F${i + 1}`, last_name: 'L', email: `c${i + 1}@example.com`, gender: 'Male', club_status: STATUSES[(i + 1) % STATUSES.length], comments: null }),
      })),
    );
    const ratings = Array.from({ length: RATINGS }, (_, i) => ({ id: i + 1, user: 1 + (i % CUSTOMERS), stars: 1 + (i % 5) }));
    await l.produce(
      ratings.map((r) => ({
        topic: topics.ratings,
        key: String(r.id),
        value: JSON.stringify({ rating_id: r.id, user_id: r.user, stars: r.stars, route_id: 1, rating_time: OLD + r.id, channel: 'web', message: 'backfill' }),
      })),
    );
    const expectedComplaints = ratings.filter((r) => r.stars < 3 && STATUSES[r.user % STATUSES.length] === 'platinum').length;

    runtime = createKafkaStreamRuntime({ log: l, groupPrefix: id, statusIntervalMs: 0, retryInitialDelayMs: 100, logger: silentLogger });
    layer = createStreamLayer({ runtime, topics, rule: DEFAULT_COMPLAINT_RULE, joinGraceMs: 60_000, logger: silentLogger, pendingTopic: `${id}-join-pending` });
    await layer.start();
    await eventually(
      async () => {
        const status = await layer!.status();
        return (status.find((s) => s.name === 'enrich-ratings')?.totalMessages ?? 0) >= RATINGS && status.every((s) => s.consumerLag === 0);
      },
      'every rating joined',
      120_000,
      250,
    );

    // The control: the same 2018 timestamps on a topic with the broker's 5 s retention. Once they are gone,
    // a retention pass ran over every topic after the outputs were written.
    const control = `${id}-control`;
    await l.ensureTopics([{ name: control, partitions: 1 }]);
    await l.produce(Array.from({ length: 10 }, (_, i) => ({ topic: control, key: String(i), value: 'old', timestamp: OLD + i })));
    await eventually(async () => (await l.offsets(control)).every((o) => o.low === o.high && o.high !== '0'), 'retention to delete the old control records', 120_000, 250);

    const enriched = await readToEnd(l, topics.ratingsEnriched, { timeoutMs: 60_000 });
    const complaints = await readToEnd(l, topics.complaints, { timeoutMs: 60_000 });
    expect(enriched.every((r) => Number(r.timestamp) < OLD + 10_000_000)).toBe(true);
    expect((await l.offsets(topics.ratingsEnriched)).every((o) => o.low === '0')).toBe(true);
    expectExactlyOnce(enriched, RATINGS, complaints, expectedComplaints);
    await expectExactlyOnceByKcat(broker.brokers, { enriched: topics.ratingsEnriched, complaints: topics.complaints }, RATINGS, expectedComplaints, 'event-time-retention');
  }, 300_000);
});
