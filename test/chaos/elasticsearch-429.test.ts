/**
 * Real 429 rejections from a real Elasticsearch node (`npm run chaos`: over a
 * minute with its own node; issue 17, Elasticsearch
 * faults): a node of its own with a write thread pool of one thread and a
 * queue of one (`thread_pool.write.size=1`, `thread_pool.write.queue_size=1`),
 * the sink writing ratings, customers and complaints (several shards per bulk,
 * each a write-pool task) while a second writer keeps the pool busy. The node
 * answers items with 429 `es_rejected_execution_exception`; the test counts
 * them from the sink's warnings (so it proves they happened), and asserts that
 * they were retried: every document indexed once, nothing dead-lettered.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startElasticsearch, type ElasticsearchServer } from '../../scripts/infra/elasticsearch.js';
import { createElasticsearchSearch, type ElasticsearchSearch } from '../../src/adapters/elasticsearch/search.js';
import { createMemoryEventLog } from '../../src/adapters/memory/event-log.js';
import { customerToRekeyRecord, enrichedToRecord } from '../../src/domain/index.js';
import { createSink } from '../../src/sink/sink.js';
import { DEFAULT_TOPICS as topics } from '../../src/topics.js';
import { customer, rating } from '../contract/search.contract.js';
import { uniqueName } from '../support/infra.js';
import { waitFor } from '../support/wait.js';

const RATINGS = 10_000;
const CUSTOMERS = 500;

describe('real 429 rejections (tiny write thread pool)', () => {
  let node: ElasticsearchServer;
  beforeAll(async () => {
    node = await startElasticsearch({ settings: { 'thread_pool.write.size': 1, 'thread_pool.write.queue_size': 1 }, startupTimeoutMs: 240_000 });
  }, 300_000);
  afterAll(async () => {
    await node?.stop();
  });

  it('retries every rejected item and loses nothing', async () => {
    const warnings: { msg: string; reason?: string; failed?: number }[] = [];
    const logger = pino(
      { level: 'warn' },
      new Writable({
        write(chunk: Buffer, _e, done) {
          for (const l of String(chunk).split('\n').filter(Boolean)) warnings.push(JSON.parse(l) as { msg: string; reason?: string; failed?: number });
          done();
        },
      }),
    );
    const base = uniqueName('t429');
    const indices = { ratings: `${base}-ratings`, complaints: `${base}-complaints`, customers: `${base}-customers` };
    const es: ElasticsearchSearch = createElasticsearchSearch({ url: node.url, indices, requestTimeoutMs: 60_000 });
    const log = createMemoryEventLog({ partitions: 3 });
    await log.produce([
      ...Array.from({ length: CUSTOMERS }, (_, i) => ({ topic: topics.customersRekeyed, key: String(i + 1), value: JSON.stringify(customerToRekeyRecord(customer(i + 1, 'platinum'))) })),
      ...Array.from({ length: RATINGS }, (_, i) => ({
        topic: i % 10 === 0 ? topics.complaints : topics.ratingsEnriched,
        key: String((i % CUSTOMERS) + 1),
        value: JSON.stringify(enrichedToRecord(rating(i + 1, { stars: i % 10 === 0 ? 1 : 4, customer: customer((i % CUSTOMERS) + 1, 'platinum') }))),
      })),
    ]);

    // A second writer keeping the single write thread and its one-slot queue busy.
    let hammering = true;
    const hammer = async (): Promise<void> => {
      while (hammering) {
        const operations = Array.from({ length: 200 }, (_, i) => [{ index: { _index: `${base}-load-${i % 4}` } }, { n: i, pad: 'x'.repeat(200) }]).flat();
        await es.client.bulk({ operations }).catch(() => undefined);
      }
    };
    const hammers = Array.from({ length: 4 }, hammer);

    const sink = createSink({ log, writer: es, topics, groupId: `${base}-sink`, batchSize: 500, flushMs: 20, retryInitialDelayMs: 50, retryMaxDelayMs: 1_000, logger });
    void sink.start();
    try {
      const count = async (index: string): Promise<number> => {
        await es.client.indices.refresh({ index });
        return (await es.client.count({ index })).count;
      };
      await waitFor(async () => (await sink.lag()) === 0, 'the sink to catch up', 480_000, 500);
      hammering = false;
      await Promise.all(hammers);
      const complaints = RATINGS / 10;
      expect(await count(indices.ratings)).toBe(RATINGS - complaints); // every tenth went to the complaints topic only
      expect(await count(indices.complaints)).toBe(complaints);
      expect(await count(indices.customers)).toBe(CUSTOMERS);
      expect(log.records(topics.deadLetters)).toHaveLength(0);
      const rejected = warnings.filter((w) => w.msg.includes('retrying the failed items') && /429/.test(w.reason ?? '') && /es_rejected_execution_exception/.test(w.reason ?? ''));
      const items = rejected.reduce((n, w) => n + (w.failed ?? 0), 0);
      console.log(
        `elasticsearch-429: ${rejected.length} bulk retries after 429 es_rejected_execution_exception, ${items} items retried; ${RATINGS} ratings, ${complaints} complaints, ${CUSTOMERS} customers indexed (${RATINGS - complaints} in the ratings index); 0 dead letters`,
      );
      expect(rejected.length).toBeGreaterThan(0);
    } finally {
      hammering = false;
      await sink.stop();
      await log.close();
      await es.close();
    }
  }, 600_000);
});
