/**
 * The article's CDC for real: a MariaDB holding `demo.CUSTOMERS`, Debezium's connector in
 * the run's Kafka Connect worker (test/global-setup.ts, shared with jdbc-sink.test.ts) capturing it (snapshot, then binlog) into
 * `<prefix>-asgard.demo.CUSTOMERS`, and the product's stream layer on real Kafka joining
 * ratings against it. SQL statements in MariaDB change what the join does:
 *
 * - an UPDATE of a customer's club status changes the enrichment of the ratings that follow
 *   and turns their bad ratings into complaints;
 * - an INSERT of a new customer lets a rating that waited for it (within the grace period)
 *   be enriched;
 * - a DELETE makes later ratings from that customer unmatched.
 *
 * The CDC topic format is a parameter (see test/support/cdc.ts). `avro` (Apicurio's
 * converter, Confluent wire format, in the run's Schema Registry: `schemaRegistryUrl()`) is
 * the article's real input; the layer reads it with a customers decoder on that registry
 * (`codecs.customers`, `CUSTOMERS_FORMAT=auto`), as src/compose.ts wires it. `json` (Kafka's
 * JsonConverter, schemas off) runs too. Topic prefixes hold `-`, as real ones may: Debezium's
 * `schema.name.adjustment.mode=avro` keeps the schema names valid Avro.
 *
 * `LOG_LEVEL=debug` logs the layer and the registry adapter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaStreamRuntime } from '../../stream/runtime/kafka-runtime.js';
import { createMariaDbCustomerDatabase } from '../../src/adapters/mariadb/customer-database.js';
import { createDemoGenerator } from '../../src/services/demo-generator.js';
import { DEFAULT_COMPLAINT_RULE } from '../../src/domain/index.js';
import { createLogger } from '../../src/logger.js';
import { createSchemaRegistry } from '../../src/adapters/schema-registry/client.js';
import { createRecordDecoder } from '../../src/services/record-codec.js';
import { connectClient } from '../../scripts/infra/connect.js';
import { seedCustomers } from '../../scripts/infra/mariadb.js';
import { projectRoot } from '../../scripts/infra/shared.js';
import type { EventLog, LogRecord } from '../../src/ports/event-log.js';
import type { TopicNames } from '../../src/topics.js';
import { createStreamLayer, type StreamLayer } from '../../stream/pipeline.js';
import { collect, eventually, text, type Collector } from '../contract/helpers.js';
import { startCdcSource, type CdcFormat, type CdcSource, type CdcTimings } from '../support/cdc.js';
import { kafkaBrokers, kafkaConnectUrl, schemaRegistryUrl, uniqueName } from '../support/infra.js';
import { prefixedTopics, streamTestBed } from './kafka-stream-support.js';

/** Long enough for a row inserted after its rating to travel MariaDB → Debezium → Kafka → table. */
const JOIN_GRACE_MS = 20_000;

const formats: CdcFormat[] = [{ name: 'avro', registryUrl: schemaRegistryUrl() }, { name: 'json' }];

/** Every record of `topic` up to its current (read_committed) end offsets. */
async function readToEnd(log: EventLog, topic: string): Promise<LogRecord[]> {
  const ends = new Map((await log.offsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  const positions = new Map<number, bigint>();
  const records: LogRecord[] = [];
  let done: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => (done = resolve));
  const check = (): void => {
    if ([...ends].every(([partition, end]) => end === 0n || (positions.get(partition) ?? 0n) >= end)) done();
  };
  const handle = await log.tail({
    topic,
    from: 'earliest',
    onBatch: (batch) => {
      records.push(...batch);
      for (const r of batch) positions.set(r.partition, BigInt(r.offset) + 1n);
      check();
    },
    onPosition: (partition, next) => {
      positions.set(partition, BigInt(next));
      check();
    },
  });
  check();
  try {
    await Promise.race([reached, new Promise((_, reject) => setTimeout(() => reject(new Error(`did not reach the end of ${topic} within 30 s`)), 30_000))]);
  } finally {
    await handle.stop();
  }
  return records.filter((r) => (ends.get(r.partition) ?? 0n) > BigInt(r.offset));
}

interface Enriched {
  readonly RATING_ID: number;
  readonly ID: number | null;
  readonly CLUB_STATUS: string | null;
  readonly FIRST_NAME: string | null;
  readonly EMAIL: string | null;
}

const parse = (r: LogRecord): Enriched => JSON.parse(text(r.value)!) as Enriched;

describe.each(formats)('Debezium CDC from MariaDB ($name)', (format) => {
  const { log, runtimes, layers, logger: recorded } = streamTestBed(10_000, 1_048_576);
  /** The layer's and the registry adapter's logs: printed as they come with `LOG_LEVEL=debug`, otherwise only with a failure. */
  const logger = process.env.LOG_LEVEL ? createLogger({ level: process.env.LOG_LEVEL }) : recorded;
  const id = uniqueName(`cdc-${format.name}`);
  const topics: TopicNames = { ...prefixedTopics(id), customersCdc: `${id}-asgard.demo.CUSTOMERS` };
  const timings: CdcTimings = { mariadbMs: 0, connectorMs: 0 };
  let cdc: CdcSource;
  let layer: StreamLayer;
  let enriched: Collector;
  let complaints: Collector;
  let nextRatingId = 1;

  const rate = async (userId: number, stars: number, message = 'CDC test'): Promise<number> => {
    const ratingId = nextRatingId++;
    await log.produce([
      {
        topic: topics.ratings,
        key: String(ratingId),
        value: JSON.stringify({ rating_id: ratingId, user_id: userId, stars, route_id: 7, rating_time: 1_528_800_000_000 + ratingId, channel: 'web', message }),
      },
    ]);
    return ratingId;
  };
  const enrichedFor = async (ratingId: number): Promise<Enriched> => eventually(() => enriched.records.map(parse).find((r) => r.RATING_ID === ratingId), `the enriched rating ${ratingId}`, 60_000);
  const join = async () => (await layer.status()).find((s) => s.name === 'enrich-ratings');

  beforeAll(async () => {
    await log.ensureTopics(Object.values(topics).map((name) => ({ name, ...(name === topics.customersRekeyed ? { compacted: true } : {}) })));
    cdc = await startCdcSource({ brokers: kafkaBrokers().join(','), connect: connectClient(kafkaConnectUrl()), topicPrefix: `${id}-asgard`, format, timings });
    expect(cdc.topic).toBe(topics.customersCdc);
    // Debezium's snapshot: the 20 customers of data/, before the layer starts.
    const snapshot = await collect(log, topics.customersCdc);
    await snapshot.atLeast(20, 120_000);
    await snapshot.stop();

    const runtime = createKafkaStreamRuntime({ log, groupPrefix: id, statusIntervalMs: 0, retryInitialDelayMs: 50, logger });
    // As src/compose.ts wires CUSTOMERS_FORMAT=auto with a registry: Avro when framed, JSON otherwise.
    const customers =
      format.name === 'avro'
        ? createRecordDecoder({
            format: 'auto',
            registry: createSchemaRegistry({ url: format.registryUrl, requestTimeoutMs: 2_000, logger }),
            setting: 'CUSTOMERS_FORMAT',
          })
        : undefined;
    layer = createStreamLayer({
      runtime,
      topics,
      rule: DEFAULT_COMPLAINT_RULE,
      joinGraceMs: JOIN_GRACE_MS,
      logger,
      pendingTopic: `${id}-join-pending`,
      codecs: customers ? { customers } : {},
    });
    runtimes.push(runtime);
    layers.push(layer);
    await layer.start();
    await eventually(() => layer.ready(), 'the customers table bootstrapped from the snapshot', 120_000, 100);
    enriched = await collect(log, topics.ratingsEnriched);
    complaints = await collect(log, topics.complaints);
    console.log(`[cdc ${format.name}] MariaDB up in ${timings.mariadbMs} ms, Debezium source RUNNING ${timings.connectorMs} ms later (the run's Connect worker)`);
  }, 300_000);

  afterAll(async () => {
    await Promise.all([enriched?.stop(), complaints?.stop()]);
    await cdc?.stop();
  }, 60_000);

  it('snapshot: the customers table holds the 20 customers of data/ as MariaDB has them', () => {
    expect(layer.customers.get(1)).toMatchObject({ id: 1, firstName: 'Rica', lastName: 'Blaisdell', clubStatus: 'bronze' });
    expect(layer.customers.get(2)).toMatchObject({ id: 2, clubStatus: 'platinum' });
    expect(Array.from({ length: 20 }, (_, i) => layer.customers.get(i + 1)).every((c) => c !== undefined)).toBe(true);
    expect(layer.customers.get(21)).toBeUndefined();
  });

  it('UPDATE club_status: the ratings that follow are enriched with the new status and their bad ratings become complaints', async () => {
    const before = await rate(1, 1, 'bronze and unhappy');
    expect(await enrichedFor(before)).toMatchObject({ ID: 1, CLUB_STATUS: 'bronze', FIRST_NAME: 'Rica' });

    const db = await cdc.mariadb.connect();
    try {
      await db.query("UPDATE CUSTOMERS SET club_status = 'platinum' WHERE id = 1");
    } finally {
      await db.end();
    }
    await eventually(() => layer.customers.get(1)?.clubStatus === 'platinum', 'the UPDATE to reach the customers table', 60_000, 50);

    const after = await rate(1, 1, 'platinum and unhappy');
    const happy = await rate(1, 5, 'platinum and happy');
    expect(await enrichedFor(after)).toMatchObject({ ID: 1, CLUB_STATUS: 'platinum' });
    expect(await enrichedFor(happy)).toMatchObject({ ID: 1, CLUB_STATUS: 'platinum' });
    // Each complaint is written in the enriched rating's transaction: to the end offsets, exactly one.
    const complaintIds = (await readToEnd(log, topics.complaints)).map((r) => text(r.key));
    expect(complaintIds).toEqual([String(after)]);
  });

  it('INSERT: a rating that arrived before its customer waits, then is enriched when the row is inserted', async () => {
    const early = await rate(21, 2, 'who am I?');
    // It waits for customer 21 (the join has it pending, nothing enriched yet).
    await eventually(async () => ((await join())?.totalMessages ?? 0) >= early, 'the join to take the early rating', 30_000, 50);
    expect((await readToEnd(log, topics.ratingsEnriched)).map(parse).some((r) => r.RATING_ID === early)).toBe(false);

    const db = await cdc.mariadb.connect();
    try {
      await db.query("INSERT INTO CUSTOMERS (id, first_name, last_name, email, gender, club_status, comments) VALUES (21, 'Ada', 'Newcomer', 'ada@example.com', 'Female', 'gold', 'joined today')");
    } finally {
      await db.end();
    }
    expect(await enrichedFor(early)).toMatchObject({ ID: 21, CLUB_STATUS: 'gold', FIRST_NAME: 'Ada', EMAIL: 'ada@example.com' });
    expect((await join())?.unmatchedMessages).toBe(0);
  });

  it(
    'DELETE: later ratings from the deleted customer are unmatched once the grace period passed',
    async () => {
      const db = await cdc.mariadb.connect();
      try {
        await db.query('DELETE FROM CUSTOMERS WHERE id = 3');
      } finally {
        await db.end();
      }
      await eventually(() => layer.customers.get(3) === undefined, 'the DELETE (a tombstone) to reach the customers table', 60_000, 50);

      const orphan = await rate(3, 1, 'deleted customer');
      await eventually(async () => (await join())?.unmatchedMessages === 1, 'the rating to count as unmatched after the grace period', JOIN_GRACE_MS + 60_000, 100);
      const enrichedIds = (await readToEnd(log, topics.ratingsEnriched)).map(parse).map((r) => r.RATING_ID);
      expect(enrichedIds).not.toContain(orphan);
      // Every other rating of this file was enriched exactly once.
      expect(enrichedIds.sort((a, b) => a - b)).toEqual(Array.from({ length: orphan - 1 }, (_, i) => i + 1));
    },
    JOIN_GRACE_MS + 90_000,
  );

  it('demo generator with DEMO_DB_URL: it inserts missing customers and its status change is an UPDATE, both reaching the table through Debezium', async () => {
    const customerDb = createMariaDbCustomerDatabase(cdc.mariadb.demoUrl);
    // Its ratings go to a topic nobody joins: the previous tests' counts stay as they are.
    const demo = createDemoGenerator({
      log,
      topics: { ratings: `${id}-demo-ratings`, customersCdc: topics.customersCdc },
      dataDir: `${projectRoot}/data`,
      logger,
      ratingsPerSecond: 1,
      lateCustomerAfterMs: 3_600_000,
      statusChangeAfterMs: 0,
      malformedEvery: 0,
      customerDb,
    });
    try {
      // The first gold customer of data/ (id 11) becomes platinum.
      const gold = Array.from({ length: 20 }, (_, i) => layer.customers.get(i + 1)).find((c) => c?.clubStatus === 'gold');
      expect(gold).toBeDefined();
      await demo.start();
      await eventually(() => layer.customers.get(gold!.id)?.clubStatus === 'platinum', 'the demo UPDATE to reach the customers table', 60_000, 50);
      const db = await cdc.mariadb.connect();
      try {
        const [rows] = await db.query('SELECT club_status FROM CUSTOMERS WHERE id = ?', [gold!.id]);
        expect(rows).toEqual([{ club_status: 'platinum' }]);
      } finally {
        await db.end();
      }
      // Customer 3, deleted above, was missing: inserted again. Customer 1 keeps the status set in SQL.
      await eventually(() => layer.customers.get(3)?.lastName === seedCustomers()[2]?.last_name, 'the re-inserted customer 3', 60_000, 50);
      expect(layer.customers.get(1)?.clubStatus).toBe('platinum');
    } finally {
      await demo.stop();
      await customerDb.close();
    }
  });
});
