/**
 * A broker that cannot run transactions: its transaction state log cannot be
 * created, because `transaction.state.log.replication.factor` (3) is above the
 * broker count (1), on a broker of its own. The stream role cannot initialise a
 * transactional producer; instead of retrying silently it must report ERROR on
 * /readyz and in `pipeline`, with a message naming the broker setting to fix,
 * within a minute (the wait is generous, the machine is loaded; the time taken
 * is printed for docs/fault-matrix.md, never asserted).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafka, type KafkaServer } from '../../scripts/infra/kafka.js';
import { createKafkaEventLog, type KafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import { silentLogger } from '../../src/logger.js';
import { waitFor as eventually } from '../support/wait.js';
import { uniqueName } from '../support/infra.js';
import { startProduct, type ProductProcess } from '../support/product-process.js';

describe('a broker whose transaction state log cannot be written', () => {
  let server: KafkaServer | undefined;
  let product: ProductProcess | undefined;
  let log: KafkaEventLog | undefined;
  const run = uniqueName('txlog');

  beforeAll(async () => {
    // No warm-up: it runs a transaction, which is exactly what this broker cannot do.
    server = await startKafka({ heap: '256m', warmUp: false, properties: { 'transaction.state.log.replication.factor': 3, 'transaction.state.log.min.isr': 2 } });
  }, 180_000);
  afterAll(async () => {
    await product?.stop('SIGKILL');
    await log?.close();
    await server?.stop();
  }, 60_000);

  it('reports the stream role in ERROR on /readyz and in pipeline, saying which broker setting to fix', async () => {
    const broker = server!;
    const topics = {
      TOPIC_RATINGS: `${run}.ratings`,
      TOPIC_CUSTOMERS_CDC: `${run}.asgard.demo.CUSTOMERS`,
      TOPIC_CUSTOMERS_REKEYED: `${run}.CUSTOMERS_SRC_REKEY`,
      TOPIC_RATINGS_ENRICHED: `${run}.ratings-with-customer-data`,
      TOPIC_COMPLAINTS: `${run}.UNHAPPY_PLATINUM_CUSTOMERS`,
      TOPIC_ACKNOWLEDGEMENTS: `${run}.complaint-acknowledgements`,
      TOPIC_DEAD_LETTERS: `${run}.dead-letters`,
    };
    product = await startProduct(
      {
        KAFKA_BROKERS: broker.brokers,
        // Readiness also checks Elasticsearch; only the stream check matters here.
        ELASTICSEARCH_URL: 'http://127.0.0.1:9',
        ROLES: 'stream,api',
        DEMO: 'off',
        KAFKA_GROUP_PREFIX: run,
        ...topics,
      },
      { name: 'stream+api', readyTimeoutMs: 120_000 },
    );
    // Input for rekey-customers: its first batch needs a transaction.
    log = createKafkaEventLog({ brokers: [broker.brokers], clientId: run, logger: silentLogger });
    const inputAt = Date.now();
    await log.produce([
      {
        topic: topics.TOPIC_CUSTOMERS_CDC,
        key: JSON.stringify({ id: 1 }),
        value: JSON.stringify({ id: 1, first_name: 'A', last_name: 'B', email: 'a@example.com', gender: 'Female', club_status: 'platinum', comments: null }),
      },
    ]);

    const hint = /transaction\.state\.log\.replication\.factor/;
    const readyz = await eventually(
      async () => {
        const res = await fetch(`${product!.url}/readyz`);
        const body = (await res.json()) as { status: string; checks: Record<string, string> };
        return res.status === 503 && hint.test(body.checks.stream ?? '') ? body : null;
      },
      '/readyz to report the stream role failing with the broker setting to fix',
      180_000,
      500,
    );
    const seconds = Math.round((Date.now() - inputAt) / 100) / 10;
    console.log(`fault-figures transaction-log readyzErrorSeconds=${seconds} stream=${JSON.stringify(readyz.checks.stream)}`);
    expect(readyz.checks.stream).toMatch(/rekey-customers: Kafka cannot run transactions/);

    // pipeline reads the processors' reports from the status topic (published every 2 s): wait for the report.
    type Pipeline = { healthy: boolean; processors: { name: string; state: string; lastError: string | null }[] };
    let lastPipeline = '';
    const pipeline = await eventually(
      async () => {
        const res = await fetch(product!.graphqlUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ pipeline { healthy processors { name state lastError } } }' }),
        });
        const body = (await res.json()) as { data?: { pipeline: Pipeline }; errors?: unknown };
        lastPipeline = JSON.stringify(body);
        const p = body.data?.pipeline;
        return p?.processors.some((x) => x.name === 'rekey-customers' && x.state === 'ERROR') ? p : null;
      },
      'pipeline to report rekey-customers in ERROR',
      120_000,
      500,
    ).catch((e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}; last answer: ${lastPipeline}`);
    });
    expect(pipeline.healthy).toBe(false);
    expect(pipeline.processors.find((p) => p.name === 'rekey-customers')).toMatchObject({ state: 'ERROR', lastError: expect.stringMatching(hint) });
  }, 300_000);
});
