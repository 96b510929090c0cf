/**
 * The sink SIGKILLed in the middle of its bulk requests (issue 17,
 * Elasticsearch faults): `node dist/src/main.js` with ROLES=sink indexes
 * 20,000 enriched ratings from real Kafka into the real Elasticsearch; it is
 * killed once part of them are indexed (bulk requests in flight, offsets of
 * the rest not committed), restarted, and every document is then there
 * exactly once: the count equals the number of distinct rating ids, nothing
 * went to dead-letters (read to its end offset).
 */
import { Kafka, Partitioners, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElasticsearchSearch, type ElasticsearchSearch } from '../../src/adapters/elasticsearch/search.js';
import { enrichedToRecord } from '../../src/domain/index.js';
import { customer, rating } from '../contract/search.contract.js';
import { elasticsearchUrl, kafkaBrokers, uniqueName } from '../support/infra.js';
import { startProduct, type ProductProcess } from '../support/product-process.js';
import { waitFor } from '../support/wait.js';

const N = 20_000;
const run = uniqueName('sinkkill');
const topic = `${run}.ratings-with-customer-data`;
const deadLetters = `${run}.dead-letters`;
const indices = { ratings: `${run}-ratings`, complaints: `${run}-complaints`, customers: `${run}-customers` };

const env = (): Record<string, string> => ({
  ROLES: 'sink',
  KAFKA_BROKERS: kafkaBrokers().join(','),
  ELASTICSEARCH_URL: elasticsearchUrl(),
  KAFKA_GROUP_PREFIX: run,
  DEMO: 'off',
  SINK_BATCH_SIZE: '500',
  SINK_FLUSH_MS: '50',
  TOPIC_RATINGS: `${run}.ratings`,
  TOPIC_CUSTOMERS_CDC: `${run}.asgard.demo.CUSTOMERS`,
  TOPIC_CUSTOMERS_REKEYED: `${run}.CUSTOMERS_SRC_REKEY`,
  TOPIC_RATINGS_ENRICHED: topic,
  TOPIC_COMPLAINTS: `${run}.UNHAPPY_PLATINUM_CUSTOMERS`,
  TOPIC_ACKNOWLEDGEMENTS: `${run}.complaint-acknowledgements`,
  TOPIC_DEAD_LETTERS: deadLetters,
  INDEX_RATINGS: indices.ratings,
  INDEX_COMPLAINTS: indices.complaints,
  INDEX_CUSTOMERS: indices.customers,
});

describe('sink SIGKILLed mid-bulk', () => {
  let kafka: Kafka;
  let producer: Producer;
  let es: ElasticsearchSearch;
  let sink: ProductProcess | undefined;
  beforeAll(async () => {
    kafka = new Kafka({ clientId: run, brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic, numPartitions: 3 },
        { topic: deadLetters, numPartitions: 1 },
      ],
      waitForLeaders: true,
    });
    await admin.disconnect();
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    es = createElasticsearchSearch({ url: elasticsearchUrl(), indices, requestTimeoutMs: 30_000 });
  });
  afterAll(async () => {
    await sink?.stop('SIGKILL');
    await producer?.disconnect();
    await es?.client.indices.delete({ index: Object.values(indices), ignore_unavailable: true }).catch(() => undefined);
    await es?.close();
  });

  const count = async (): Promise<number> => {
    try {
      await es.client.indices.refresh({ index: indices.ratings });
      return (await es.client.count({ index: indices.ratings })).count;
    } catch {
      return 0; // not created yet
    }
  };

  it(`indexes all ${N} ratings exactly once across a SIGKILL during bulk requests`, async () => {
    for (let i = 0; i < N; i += 2_000) {
      await producer.send({
        topic,
        messages: Array.from({ length: 2_000 }, (_, j) => {
          const id = i + j + 1;
          return { key: String((id % 50) + 1), value: JSON.stringify(enrichedToRecord(rating(id, { customer: customer((id % 50) + 1, 'gold') }))) };
        }),
      });
    }
    sink = await startProduct(env(), { name: 'sink', readyTimeoutMs: 120_000 });
    await waitFor(async () => (await count()) >= 1_000, 'the sink to index part of the ratings', 180_000, 20);
    const { code } = await sink.stop('SIGKILL');
    expect(code).toBeNull(); // killed, not exited
    const atKill = await count();
    expect(atKill).toBeLessThan(N); // killed in the middle, not after the end

    sink = await startProduct(env(), { name: 'sink-restarted', readyTimeoutMs: 120_000 });
    await waitFor(async () => (await count()) === N, `all ${N} ratings indexed`, 300_000, 500);
    // Once each: document ids are rating ids, so N documents for N distinct ids.
    expect(await count()).toBe(N);
    // Nothing dead-lettered: the dead-letter topic is empty to its end offset.
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(deadLetters);
    await admin.disconnect();
    expect(offsets.map((o) => Number(o.high))).toEqual(offsets.map(() => 0));
    console.log(`sink-sigkill: ${N} produced, ${atKill} indexed when killed, ${N} indexed after restart, 0 dead letters`);
  }, 600_000);
});
