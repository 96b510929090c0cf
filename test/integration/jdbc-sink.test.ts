/**
 * The data-lake sink of the article (its S3 and BigQuery sinks), with Debezium's JDBC sink
 * connector in a real Kafka Connect worker, upserting `ratings-with-customer-data` by
 * `RATING_ID` into a throw-away database on the machine's PostgreSQL. Every rating lands
 * once (count and ids), also when the topic holds a rating twice (a replay).
 *
 * The JDBC sink needs a schema with each record, which the product's plain JSON output does
 * not carry, so two variants:
 *
 * - `product Avro output` reads the topic exactly as the product writes it with
 *   `ENRICHED_FORMAT=avro` (the product process, `node dist/src/main.js`, ROLES=stream),
 *   through Apicurio's Avro converter, with the run's Schema Registry (`schemaRegistryUrl()`).
 * - `schema envelope` writes the same columns in Kafka's JsonConverter envelope itself, and
 *   proves the connector settings, the table it creates and the upsert today.
 */
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apicurioAvroConverterConfig, connectClient, jdbcSinkConfig, type ConnectClient } from '../../scripts/infra/connect.js';
import { eventually } from '../contract/helpers.js';
import { elasticsearchUrl, kafkaBrokers, kafkaConnectUrl, schemaRegistryUrl, uniqueName } from '../support/infra.js';
import { POSTGRES, createThrowawayDatabase, type ThrowawayDatabase } from '../support/postgres.js';
import { startProduct, type ProductProcess } from '../support/product-process.js';

let connect: ConnectClient;
let producer: Producer;
const databases: ThrowawayDatabase[] = [];
const processes: ProductProcess[] = [];
/** Connectors this file created on the shared worker, deleted at the end. */
const connectors: string[] = [];

beforeAll(async () => {
  const kafka = new Kafka({ clientId: uniqueName('jdbc-sink'), brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
  await producer.connect();
  // The run's Kafka Connect worker (test/global-setup.ts), shared with cdc-debezium.test.ts.
  connect = connectClient(kafkaConnectUrl());
}, 300_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await Promise.all(connectors.map((name) => connect?.deleteConnector(name).catch(() => undefined)));
  await producer?.disconnect();
  await Promise.all(databases.map((db) => db.drop()));
}, 60_000);

async function throwawayDatabase(prefix: string): Promise<ThrowawayDatabase> {
  const db = await createThrowawayDatabase(uniqueName(prefix).replace(/-/g, '_'));
  databases.push(db);
  return db;
}

/** Waits until `table` holds `count` rows, then returns its RATING_IDs, sorted. */
async function ratingIdsOnceThere(db: ThrowawayDatabase, table: string, count: number): Promise<number[]> {
  await eventually(async () => Number((await db.query(`SELECT count(*) FROM "${table}"`))[0]?.[0]) >= count, `${count} rows in ${db.name}.${table}`, 120_000, 500);
  return (await db.query(`SELECT RATING_ID FROM "${table}" ORDER BY RATING_ID`)).map((row) => Number(row[0]));
}

const CUSTOMERS = [
  { id: 1, first_name: 'Rica', last_name: 'Blaisdell', email: 'rblaisdell0@rambler.ru', gender: 'Female', club_status: 'bronze' },
  { id: 2, first_name: 'Ruthie', last_name: 'Brockherst', email: 'rbrockherst1@ow.ly', gender: 'Female', club_status: 'platinum' },
];

describe('JDBC sink into PostgreSQL', () => {
  it('schema envelope: every enriched rating lands once, upserted by RATING_ID (a replayed rating included)', async () => {
    const topic = uniqueName('jdbc-envelope-ratings-with-customer-data');
    const table = 'ratings_with_customer_data';
    const db = await throwawayDatabase('lake');
    const field = (name: string, type: string, optional = true): Record<string, unknown> => ({ field: name, type, optional });
    const schema = {
      type: 'struct',
      name: 'ratings_with_customer_data',
      optional: false,
      fields: [
        field('RATING_ID', 'int64', false),
        field('USER_ID', 'int32'),
        field('STARS', 'int32'),
        field('ROUTE_ID', 'int32'),
        field('RATING_TIME', 'int64'),
        field('CHANNEL', 'string'),
        field('MESSAGE', 'string'),
        field('ID', 'int32'),
        field('CLUB_STATUS', 'string'),
        field('EMAIL', 'string'),
        field('FIRST_NAME', 'string'),
        field('LAST_NAME', 'string'),
      ],
    };
    const enriched = (ratingId: number, stars: number): { key: string; value: string } => {
      const c = CUSTOMERS[ratingId % 2]!;
      return {
        key: String(c.id),
        value: JSON.stringify({
          schema,
          payload: {
            RATING_ID: ratingId,
            USER_ID: c.id,
            STARS: stars,
            ROUTE_ID: 7,
            RATING_TIME: 1_528_800_000_000 + ratingId,
            CHANNEL: 'web',
            MESSAGE: `rating ${ratingId}`,
            ID: c.id,
            CLUB_STATUS: c.club_status,
            EMAIL: c.email,
            FIRST_NAME: c.first_name,
            LAST_NAME: c.last_name,
          },
        }),
      };
    };
    const COUNT = 50;
    // Rating 7 twice: first with 1 star, then (a replay of a corrected record) with 4.
    await producer.send({ topic, messages: [enriched(7, 1), ...Array.from({ length: COUNT }, (_, i) => enriched(i + 1, 1 + (i % 5)))] });
    await producer.send({ topic, messages: [enriched(7, 4)] });
    connectors.push(`${topic}-jdbc-sink`);
    await connect.createConnector(
      `${topic}-jdbc-sink`,
      jdbcSinkConfig({
        topic,
        table,
        connectionUrl: db.jdbcUrl,
        user: POSTGRES.user,
        password: POSTGRES.password,
        valueConverter: { 'value.converter': 'org.apache.kafka.connect.json.JsonConverter', 'value.converter.schemas.enable': 'true' },
      }),
    );
    const ids = await ratingIdsOnceThere(db, table, COUNT);
    expect(ids).toEqual(Array.from({ length: COUNT }, (_, i) => i + 1));
    // The last record of rating 7 wins; the customer columns came along.
    await eventually(async () => (await db.query(`SELECT STARS FROM "${table}" WHERE RATING_ID = 7`))[0]?.[0] === '4', 'rating 7 upserted to 4 stars', 60_000, 500);
    expect(await db.query(`SELECT CLUB_STATUS, EMAIL FROM "${table}" WHERE RATING_ID = 2`)).toEqual([['bronze', 'rblaisdell0@rambler.ru']]);
    // The last record (rating 7 with 4 stars) is in: nothing more will come, and each id is there once.
    expect(await db.query(`SELECT count(*), count(DISTINCT RATING_ID) FROM "${table}"`)).toEqual([[String(COUNT), String(COUNT)]]);
    await connect.deleteConnector(`${topic}-jdbc-sink`);
  }, 240_000);

  it('product Avro output (ENRICHED_FORMAT=avro): every enriched rating lands once', async () => {
    const registryCcompatUrl = schemaRegistryUrl();
    const run = uniqueName('jdbc-avro');
    const topics = {
      TOPIC_RATINGS: `${run}.ratings`,
      TOPIC_CUSTOMERS_CDC: `${run}.asgard.demo.CUSTOMERS`,
      TOPIC_CUSTOMERS_REKEYED: `${run}.CUSTOMERS_SRC_REKEY`,
      TOPIC_RATINGS_ENRICHED: `${run}.ratings-with-customer-data`,
      TOPIC_COMPLAINTS: `${run}.UNHAPPY_PLATINUM_CUSTOMERS`,
      TOPIC_ACKNOWLEDGEMENTS: `${run}.complaint-acknowledgements`,
      TOPIC_DEAD_LETTERS: `${run}.dead-letters`,
    };
    const table = 'ratings_with_customer_data';
    const db = await throwawayDatabase('lake_avro');
    processes.push(
      await startProduct(
        {
          KAFKA_BROKERS: kafkaBrokers().join(','),
          ELASTICSEARCH_URL: elasticsearchUrl(),
          KAFKA_GROUP_PREFIX: run,
          ROLES: 'stream',
          DEMO: 'off',
          JOIN_GRACE_MS: '3000',
          ENRICHED_FORMAT: 'avro',
          SCHEMA_REGISTRY_URL: registryCcompatUrl,
          ...topics,
        },
        { name: 'stream' },
      ),
    );
    await producer.send({ topic: topics.TOPIC_CUSTOMERS_CDC, messages: CUSTOMERS.map((c) => ({ key: JSON.stringify({ id: c.id }), value: JSON.stringify(c) })) });
    const COUNT = 40;
    await producer.send({
      topic: topics.TOPIC_RATINGS,
      messages: Array.from({ length: COUNT }, (_, i) => ({
        key: String(i + 1),
        value: JSON.stringify({ rating_id: i + 1, user_id: 1 + (i % 2), stars: 1 + (i % 5), route_id: 7, rating_time: 1_528_800_000_000 + i, channel: 'web', message: `rating ${i + 1}` }),
      })),
    });
    connectors.push(`${run}-jdbc-sink`);
    await connect.createConnector(
      `${run}-jdbc-sink`,
      jdbcSinkConfig({
        topic: topics.TOPIC_RATINGS_ENRICHED,
        table,
        connectionUrl: db.jdbcUrl,
        user: POSTGRES.user,
        password: POSTGRES.password,
        valueConverter: apicurioAvroConverterConfig('value.converter', registryCcompatUrl),
      }),
    );
    const ids = await ratingIdsOnceThere(db, table, COUNT);
    expect(ids).toEqual(Array.from({ length: COUNT }, (_, i) => i + 1));
    expect(await db.query(`SELECT CLUB_STATUS, FIRST_NAME FROM "${table}" WHERE RATING_ID = 2`)).toEqual([['platinum', 'Ruthie']]);
  }, 240_000);
});
