/**
 * The stream layer as an operator runs it, killed hard: `node dist/src/main.js`
 * with ROLES=stream on the test Kafka, 100,000 ratings flowing in at about
 * 5,000 a second, SIGKILLed at
 * about 20 %, 50 % and 80 % of the way and started again each time. The
 * derived topics, read as downstream consumers read them (read_committed,
 * from the beginning), must hold every expected record exactly once, read by
 * kafkajs and by librdkafka (kcat).
 * (A broker restart mid-stream: test/integration/stream-broker-bounce.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import { silentLogger } from '../../src/logger.js';
import { readToEnd, text, waitFor as eventually } from '../support/wait.js';
import { expectExactlyOnce, expectExactlyOnceByKcat } from '../integration/kafka-stream-support.js';
import { kafkaBrokers, uniqueName } from '../support/infra.js';
import { startProduct, type ProductProcess } from '../support/product-process.js';

const RATINGS = 100_000;
const customers = readFileSync(resolve(import.meta.dirname, '../../data/customers.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as { id: number; club_status: string });

describe('the stream process killed with SIGKILL three times', () => {
  const run = uniqueName('sigkill');
  const topics = {
    ratings: `${run}.ratings`,
    cdc: `${run}.asgard.demo.CUSTOMERS`,
    enriched: `${run}.ratings-with-customer-data`,
    complaints: `${run}.UNHAPPY_PLATINUM_CUSTOMERS`,
  };
  const env = {
    KAFKA_BROKERS: kafkaBrokers().join(','),
    // The stream role needs no Elasticsearch; the variable only leaves the embedded default.
    ELASTICSEARCH_URL: 'http://127.0.0.1:9',
    ROLES: 'stream',
    // A killed member holds its partitions until its session times out: keep that short (the broker's minimum is 6 s).
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    DEMO: 'off',
    KAFKA_GROUP_PREFIX: run,
    TOPIC_RATINGS: topics.ratings,
    TOPIC_CUSTOMERS_CDC: topics.cdc,
    TOPIC_CUSTOMERS_REKEYED: `${run}.CUSTOMERS_SRC_REKEY`,
    TOPIC_RATINGS_ENRICHED: topics.enriched,
    TOPIC_COMPLAINTS: topics.complaints,
    TOPIC_ACKNOWLEDGEMENTS: `${run}.complaint-acknowledgements`,
    TOPIC_DEAD_LETTERS: `${run}.dead-letters`,
  };
  const log = createKafkaEventLog({ brokers: kafkaBrokers(), clientId: run, logger: silentLogger, maxWaitTimeMs: 100 });
  const kafka = new Kafka({ clientId: run, brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  let current: ProductProcess | null = null;
  afterAll(async () => {
    await current?.stop('SIGKILL');
    await log.close();
  });

  it('leaves every enriched rating and every complaint exactly once in the output topics', async () => {
    const admin = await log.admin();
    const ratingsDone = async (): Promise<number> => {
      const [group] = await admin.fetchOffsets({ groupId: `${run}-enrich-ratings`, topics: [topics.ratings] });
      return (group?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    };

    // The first start creates the topics (3 partitions each), then the input arrives: customers by CDC, then the ratings.
    current = await startProduct(env, { name: 'stream-1' });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: topics.cdc, messages: customers.map((c) => ({ key: JSON.stringify({ id: c.id }), value: JSON.stringify(c) })) });
    const status = new Map(customers.map((c) => [c.id, c.club_status]));
    let expectedComplaints = 0;
    // The ratings flow at about 5,000/s for 20 s while the process is killed and restarted.
    const flowing = (async () => {
      for (let i = 0; i < RATINGS; i += 1_000) {
        const started = Date.now();
        const messages = Array.from({ length: 1_000 }, (_, j) => {
          const id = i + j + 1;
          const user = 1 + (id % customers.length);
          const stars = 1 + (id % 5);
          if (stars < 3 && status.get(user) === 'platinum') expectedComplaints++;
          return { key: String(id), value: JSON.stringify({ rating_id: id, user_id: user, stars, route_id: id % 100, rating_time: 1_528_800_000_000 + id, channel: 'web', message: `rating ${id}` }) };
        });
        await producer.send({ topic: topics.ratings, acks: -1, messages });
        await new Promise((r) => setTimeout(r, Math.max(0, 200 - (Date.now() - started))));
      }
    })();

    const killedAt: number[] = [];
    for (const [n, share] of [0.2, 0.5, 0.8].entries()) {
      await eventually(async () => (await ratingsDone()) >= share * RATINGS, `${share * 100} % of the ratings joined`, 120_000, 25);
      await current.stop('SIGKILL');
      killedAt.push(await ratingsDone());
      current = await startProduct(env, { name: `stream-${n + 2}` });
    }
    await flowing;
    await producer.disconnect();
    await eventually(async () => (await ratingsDone()) >= RATINGS, 'every rating joined', 180_000, 200);
    // Each kill landed mid-stream.
    expect(killedAt.every((k) => k < RATINGS)).toBe(true);

    // The join committed every input offset, each in the transaction of the outputs
    // it produced: the outputs are final. Read them to the high watermark (a
    // transaction still open would be waited for), read_committed.
    const enriched = await readToEnd(log, topics.enriched, { timeoutMs: 120_000 });
    const complaints = await readToEnd(log, topics.complaints, { timeoutMs: 60_000 });
    expectExactlyOnce(enriched, RATINGS, complaints, expectedComplaints);
    // The same, read by an independent client (librdkafka through kcat), read_committed.
    await expectExactlyOnceByKcat(kafkaBrokers(), { enriched: topics.enriched, complaints: topics.complaints }, RATINGS, expectedComplaints, 'stream-sigkill');
    // What the article's notifier reads.
    const sample = JSON.parse(text(complaints[0]!.value)!) as Record<string, unknown>;
    expect(sample).toMatchObject({ CLUB_STATUS: 'platinum', EMAIL: expect.any(String), MESSAGE: expect.stringMatching(/^rating \d+$/) });
  }, 420_000);
});
