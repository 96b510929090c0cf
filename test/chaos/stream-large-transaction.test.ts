/**
 * Chaos (npm run chaos, about 90 s). One output partition and a 50,000-rating backlog: every fetch of the join's
 * input (1 MiB, the product's default) yields an output of more than 1 MiB for
 * ONE partition, above the broker's default `message.max.bytes`. kafkajs sends a
 * partition's records of one request as one record batch and never splits it, so
 * the broker would refuse it (MESSAGE_TOO_LARGE) every time the batch is redone:
 * a stall. The runtime sends a transaction's output in runs of bounded size
 * (`maxSendBytes`); the backlog must drain, exactly once (kafkajs and kcat,
 * read_committed). Figures: docs/fault-matrix.md.
 */
import { describe, expect, it } from 'vitest';
import { createKafkaStreamRuntime, type CommitHookInfo } from '../../stream/runtime/kafka-runtime.js';
import { DEFAULT_COMPLAINT_RULE } from '../../src/domain/index.js';
import { createStreamLayer } from '../../stream/pipeline.js';
import { readToEnd, waitFor as eventually } from '../support/wait.js';
import { kafkaBrokers, uniqueName } from '../support/infra.js';
import { text } from '../contract/helpers.js';
import { expectExactlyOnce, expectExactlyOnceByKcat, prefixedTopics, streamTestBed } from '../integration/kafka-stream-support.js';

const STATUSES = ['bronze', 'silver', 'gold', 'platinum'];
const CUSTOMERS = 100;
const RATINGS = 50_000;
// Long customer names and e-mails, short messages: each enriched record is about three times its rating,
// so a 1 MiB fetch of ratings yields about 3 MiB of output for the one partition.
const FIRST = 'Maximiliana-Josephina-Wilhelmina-Konstanze';
const LAST = 'Featherstonehaugh-Cholmondeley-Marjoribanks';
const MESSAGE = 'late again';

describe('a transaction whose output is larger than message.max.bytes', () => {
  // The product's default fetch size (1 MiB per partition).
  const { log, runtimes, layers, logger } = streamTestBed(10_000, 1_048_576);

  it('drains a 50,000-rating backlog into one output partition, exactly once', async () => {
    const id = uniqueName('bigtx');
    const topics = prefixedTopics(id);
    const pending = `${id}-join-pending`;
    await log.ensureTopics([...Object.values(topics).map((name) => ({ name, partitions: 1, ...(name === topics.customersRekeyed ? { compacted: true } : {}) })), { name: pending, partitions: 1 }]);
    await log.produce(
      Array.from({ length: CUSTOMERS }, (_, i) => ({
        topic: topics.customersCdc,
        key: JSON.stringify({ id: i + 1 }),
        value: JSON.stringify({
          id: i + 1,
          first_name: `${FIRST}-${i + 1}`,
          last_name: LAST,
          email: `${FIRST}.${LAST}.${i + 1}@example.com`.toLowerCase(),
          gender: 'Female',
          club_status: STATUSES[(i + 1) % STATUSES.length],
          comments: null,
        }),
      })),
    );
    const ratings = Array.from({ length: RATINGS }, (_, i) => ({ id: i + 1, user: 1 + (i % CUSTOMERS), stars: 1 + (i % 5) }));
    for (let i = 0; i < RATINGS; i += 2_500) {
      await log.produce(
        ratings.slice(i, i + 2_500).map((r) => ({
          topic: topics.ratings,
          key: String(r.id),
          value: JSON.stringify({ rating_id: r.id, user_id: r.user, stars: r.stars, route_id: 1, rating_time: 1_528_800_000_000 + r.id, channel: 'web', message: MESSAGE }),
        })),
      );
    }
    const expectedComplaints = ratings.filter((r) => r.stars < 3 && STATUSES[r.user % STATUSES.length] === 'platinum').length;

    const transactions: CommitHookInfo[] = [];
    const runtime = createKafkaStreamRuntime({
      log,
      groupPrefix: id,
      statusIntervalMs: 0,
      retryInitialDelayMs: 100,
      logger,
      beforeCommit: (info) => {
        if (info.processor === 'enrich-ratings') transactions.push(info);
      },
    });
    runtimes.push(runtime);
    const layer = createStreamLayer({ runtime, topics, rule: DEFAULT_COMPLAINT_RULE, joinGraceMs: 60_000, logger, pendingTopic: pending });
    layers.push(layer);
    const started = Date.now();
    await layer.start();

    let last = '';
    await eventually(
      async () => {
        const status = await layer.status();
        last = JSON.stringify(status.map((s) => ({ name: s.name, state: s.state, total: s.totalMessages, lag: s.consumerLag, error: s.lastError })));
        const join = status.find((s) => s.name === 'enrich-ratings');
        return join !== undefined && join.totalMessages >= RATINGS && status.every((s) => s.consumerLag === 0);
      },
      'the backlog drained',
      240_000,
      500,
    ).catch((e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}; last status: ${last}`);
    });
    const seconds = Math.round((Date.now() - started) / 100) / 10;

    const enriched = await readToEnd(log, topics.ratingsEnriched, { timeoutMs: 120_000 });
    const complaints = await readToEnd(log, topics.complaints, { timeoutMs: 60_000 });
    expectExactlyOnce(enriched, RATINGS, complaints, expectedComplaints);
    await expectExactlyOnceByKcat(kafkaBrokers(), { enriched: topics.ratingsEnriched, complaints: topics.complaints }, RATINGS, expectedComplaints, 'large-transaction');

    // The case was met: some transaction's output was over 1 MiB for the one partition.
    const smallest = Math.min(...enriched.map((r) => Buffer.byteLength(text(r.value)!)));
    const largest = Math.max(...transactions.map((t) => t.records));
    console.log(`fault-figures large-transaction transactions=${transactions.length} largestRecords=${largest} largestBytes>=${largest * smallest} drainSeconds=${seconds}`);
    expect(largest * smallest).toBeGreaterThan(1_048_576);
  }, 360_000);
});
