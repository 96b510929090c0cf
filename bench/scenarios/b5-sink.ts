/**
 * B5: sink throughput, enriched ratings → Elasticsearch documents.
 *
 * Product: the product's sink (consume `ratings-with-customer-data`, parse,
 * bulk-index, commit) in a child process, over a topic pre-filled with N
 * enriched ratings. Baselines: a bare bulk-indexing loop with the same client,
 * batch size and documents, one request at a time (the sink's shape) and with
 * CONCURRENT_BULKS requests in flight (as fast as the client goes); the target
 * is against the faster of the two, so the baseline is never the slower side. Both count documents per second from the first
 * completed bulk request to the last, into fresh indices with the product's
 * mappings; runs alternate between the two.
 */
import { createElasticsearchSearch } from '../../src/adapters/elasticsearch/search.js';
import type { IndexNames } from '../../src/topics.js';
import type { BulkRunResult } from '../baselines/es-bulk.js';
import { startWorker } from '../lib/child.js';
import { byId, enrichedValue, makeCustomers, makeRatings } from '../lib/data.js';
import { connectBenchKafka } from '../lib/kafka.js';
import { limitRow, ratioRow, type Scenario } from '../lib/types.js';
import { median } from '../lib/util.js';
import type { SinkRunResult } from '../workers/sink-runner.js';

const BATCH_SIZE = 500; // config.sink.batchSize default (SINK_BATCH_SIZE)
const CUSTOMERS = 1_000;
const SEED = 5;
/** Bulk requests in flight in the concurrent baseline. */
const CONCURRENT_BULKS = 4;

function indexNames(prefix: string): IndexNames {
  return { ratings: `${prefix}-ratings`, complaints: `${prefix}-complaints`, customers: `${prefix}-customers` };
}

export const b5: Scenario = {
  id: 'B5',
  title: 'sink throughput: enriched ratings → Elasticsearch documents',
  async run(ctx) {
    const n = ctx.quick ? 10_000 : 100_000;
    const warmN = ctx.quick ? 2_000 : 10_000;
    const base = `bench-b5-${ctx.stamp}`;
    const customers = makeCustomers(CUSTOMERS);
    const byCustomer = byId(customers);
    const messages = (count: number): { key: string; value: string }[] => makeRatings(count, customers, { seed: SEED }).map((r) => ({ key: String(r.user_id), value: enrichedValue(r, byCustomer) }));

    const kafka = await connectBenchKafka(ctx.brokers);
    const topicsFor = (name: string): Record<string, string> => ({
      TOPIC_RATINGS_ENRICHED: `${base}-${name}-enriched`,
      TOPIC_COMPLAINTS: `${base}-complaints`,
      TOPIC_CUSTOMERS_REKEYED: `${base}-customers-rekeyed`,
      TOPIC_DEAD_LETTERS: `${base}-dead-letters`,
    });
    try {
      ctx.log(`B5: pre-filling ${n} + ${warmN} enriched ratings`);
      await kafka.createTopics([
        { name: `${base}-main-enriched`, partitions: 3 },
        { name: `${base}-warm-enriched`, partitions: 3 },
        { name: `${base}-complaints`, partitions: 3 },
        { name: `${base}-customers-rekeyed`, partitions: 3, compacted: true },
        { name: `${base}-dead-letters`, partitions: 3 },
      ]);
      await kafka.fill(`${base}-main-enriched`, messages(n));
      await kafka.fill(`${base}-warm-enriched`, messages(warmN));
    } finally {
      await kafka.close();
    }

    // The product side runs in this worker: --profile profiles it (written when the worker exits).
    const sink = await startWorker('workers/sink-runner.ts', 'b5-sink', ctx.profile ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${ctx.logDir}`, '--cpu-prof-name=b5-sink.cpuprofile'] } : {});
    const bulk = await startWorker('baselines/es-bulk.ts', 'b5-bulk');
    const product: SinkRunResult[] = [];
    const baseline: BulkRunResult[] = [];
    const concurrent: BulkRunResult[] = [];
    let runNo = 0;

    const runProduct = async (topicName: string, expected: number): Promise<SinkRunResult> => {
      const indices = indexNames(`${base}-p${++runNo}`);
      try {
        return await sink.call<SinkRunResult>(
          'run',
          {
            env: {
              KAFKA_BROKERS: ctx.brokers.join(','),
              ELASTICSEARCH_URL: ctx.esUrl,
              TOPIC_PARTITIONS: '3',
              SINK_BATCH_SIZE: String(BATCH_SIZE),
              INDEX_RATINGS: indices.ratings,
              INDEX_COMPLAINTS: indices.complaints,
              INDEX_CUSTOMERS: indices.customers,
              ...topicsFor(topicName),
            },
            groupId: `${base}-sink-${runNo}`,
            expected,
            timeoutMs: 180_000,
          },
          200_000,
        );
      } finally {
        await dropIndices(ctx.esUrl, indices);
      }
    };
    const runBaseline = async (count: number, inFlight = 1): Promise<BulkRunResult> => {
      const indices = indexNames(`${base}-b${++runNo}`);
      const es = createElasticsearchSearch({ url: ctx.esUrl, indices });
      try {
        await es.ensureIndices(); // the product's mappings
        return await bulk.call<BulkRunResult>('run', { esUrl: ctx.esUrl, index: indices.ratings, count, customers: CUSTOMERS, seed: SEED, batchSize: BATCH_SIZE, inFlight }, 200_000);
      } finally {
        await es.deleteIndices().catch(() => undefined);
        await es.close();
      }
    };

    try {
      ctx.log('B5: warm-up (product and baseline)');
      await runProduct('warm', warmN);
      await runBaseline(warmN);
      await runBaseline(warmN, CONCURRENT_BULKS);
      for (let i = 0; i < ctx.runs; i++) {
        const b = await runBaseline(n);
        baseline.push(b);
        const c = await runBaseline(n, CONCURRENT_BULKS);
        concurrent.push(c);
        const p = await runProduct('main', n);
        product.push(p);
        ctx.log(
          `B5 run ${i + 1}/${ctx.runs}: product ${Math.round(p.docsPerSecond)} docs/s (${p.bulkRequests} bulk requests), baseline ${Math.round(b.docsPerSecond)} docs/s, concurrent baseline (${CONCURRENT_BULKS} in flight) ${Math.round(c.docsPerSecond)} docs/s`,
        );
      }
    } finally {
      await Promise.allSettled([sink.stop(), bulk.stop()]);
    }
    const p = median(product.map((r) => r.docsPerSecond));
    const b = median(baseline.map((r) => r.docsPerSecond));
    const c = median(concurrent.map((r) => r.docsPerSecond));
    const fair = Math.max(b, c);
    const failures = product.reduce((s, r) => s + r.failed, 0) + [...baseline, ...concurrent].reduce((s, r) => s + r.errors, 0);
    return {
      rows: [
        ratioRow({
          scenario: 'B5',
          what: `sink documents/s (${n.toLocaleString('en-US')} ratings, bulk ${BATCH_SIZE}) vs the faster bare loop`,
          unit: 'docs/s',
          product: p,
          baseline: fair,
          // Issue 16: 0.9 of a fair baseline (never slower than the product).
          min: 0.9,
          ...(failures > 0 && { note: `${failures} documents were rejected` }),
        }),
        limitRow({ scenario: 'B5', what: "vs the bare loop with one bulk request at a time (the sink's shape)", unit: 'docs/s', product: p, baseline: b, ratio: p / b, target: 'report', check: null }),
        limitRow({ scenario: 'B5', what: `vs the bare loop with ${CONCURRENT_BULKS} bulk requests in flight`, unit: 'docs/s', product: p, baseline: c, ratio: p / c, target: 'report', check: null }),
      ],
      details: {
        documents: n,
        batchSize: BATCH_SIZE,
        productSide: 'src/sink/sink.ts createSink + Kafka event log + Elasticsearch adapter, configured by loadConfig, in a child process',
        product,
        baseline,
      },
    };
  },
};

async function dropIndices(url: string, indices: IndexNames): Promise<void> {
  const es = createElasticsearchSearch({ url, indices });
  await es.deleteIndices().catch(() => undefined);
  await es.close();
}
