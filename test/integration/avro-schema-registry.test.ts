/**
 * Avro through a real Schema Registry (Apicurio's Confluent-compatible API)
 * and real Kafka: what Avro producers and Debezium's Avro converter write is
 * read under the default `auto` format, mixed with JSON; records that cannot
 * be decoded are dead-lettered with the reason; a registry that is away only
 * pauses processing; the enriched topic can be written as Avro with the KSQL
 * columns, and the product's own readers (the sink) read it back.
 *
 * Producers use `@kafkajs/confluent-schema-registry` itself (`encode`), the
 * Confluent-compatible serializer of the JavaScript world.
 */
import { COMPATIBILITY, SchemaRegistry as RegistryClient } from '@kafkajs/confluent-schema-registry';
import { afterAll, describe, expect, it } from 'vitest';
import { startApicurio, type ApicurioServer } from '../../scripts/infra/index.js';
import { createMemorySearch } from '../../src/adapters/memory/search-index.js';
import { createSchemaRegistry } from '../../src/adapters/schema-registry/client.js';
import { createKafkaStreamRuntime } from '../../stream/runtime/kafka-runtime.js';
import { DEFAULT_COMPLAINT_RULE, frame, isConfluentFramed, type Customer } from '../../src/domain/index.js';
import type { LogRecord, OutRecord } from '../../src/ports/event-log.js';
import type { SchemaRegistry } from '../../src/ports/schema-registry.js';
import { createSink } from '../../src/sink/sink.js';
import { createEnrichedEncoder, createRecordDecoder, type EnrichedEncoder } from '../../src/services/record-codec.js';
import { DeadLetterHeader, type TopicNames } from '../../src/topics.js';
import { createStreamLayer, type StreamLayer } from '../../stream/pipeline.js';
import { collect, eventually, text } from '../contract/helpers.js';
import { schemaRegistryUrl, uniqueName } from '../support/infra.js';
import { withTimeout } from '../support/wait.js';
import { prefixedTopics, streamTestBed } from './kafka-stream-support.js';

const STATUSES = ['bronze', 'silver', 'gold', 'platinum'];

/** The article's ratings as an Avro producer would register them (version 1). `route_id` has a default. */
const RATING_V1 = {
  type: 'record',
  name: 'Rating',
  namespace: 'test.ratings',
  fields: [
    { name: 'rating_id', type: 'long' },
    { name: 'user_id', type: 'int' },
    { name: 'stars', type: 'int' },
    { name: 'route_id', type: ['null', 'int'], default: null },
    { name: 'rating_time', type: 'long' },
    { name: 'channel', type: 'string' },
    { name: 'message', type: 'string' },
  ],
};
/** Version 2: an added optional field. */
const RATING_V2 = { ...RATING_V1, fields: [...RATING_V1.fields, { name: 'device', type: ['null', 'string'], default: null }] };
/** Version 3: `route_id` (which had a default) removed. */
const RATING_V3 = { ...RATING_V1, fields: RATING_V1.fields.filter((f) => f.name !== 'route_id') };

/** Debezium's key schema for demo.CUSTOMERS. */
const CUSTOMER_KEY = { type: 'record', name: 'Key', namespace: 'asgard.demo.CUSTOMERS', fields: [{ name: 'id', type: 'int' }], 'connect.name': 'asgard.demo.CUSTOMERS.Key' };
const customerRowFields = [
  { name: 'id', type: 'int' },
  { name: 'first_name', type: ['null', 'string'], default: null },
  { name: 'last_name', type: ['null', 'string'], default: null },
  { name: 'email', type: ['null', 'string'], default: null },
  { name: 'gender', type: ['null', 'string'], default: null },
  { name: 'club_status', type: ['null', 'string'], default: null },
  { name: 'comments', type: ['null', 'string'], default: null },
  { name: 'create_ts', type: ['null', { type: 'string', 'connect.version': 1, 'connect.name': 'io.debezium.time.ZonedTimestamp' }], default: null },
  { name: 'update_ts', type: ['null', { type: 'long', 'connect.version': 1, 'connect.name': 'io.debezium.time.MicroTimestamp' }], default: null },
];
/** A flattened row (ExtractNewRecordState with delete.handling.mode=rewrite). */
const CUSTOMER_ROW = {
  type: 'record',
  name: 'Value',
  namespace: 'asgard.demo.CUSTOMERS',
  fields: [...customerRowFields, { name: '__deleted', type: ['null', 'string'], default: null }],
  'connect.name': 'asgard.demo.CUSTOMERS.Value',
};
/** The full Debezium envelope; `after` refers to the `Value` record defined in `before`. */
const CUSTOMER_ENVELOPE = {
  type: 'record',
  name: 'Envelope',
  namespace: 'asgard.demo.CUSTOMERS',
  fields: [
    { name: 'before', type: ['null', { type: 'record', name: 'Value', fields: customerRowFields, 'connect.name': 'asgard.demo.CUSTOMERS.Value' }], default: null },
    { name: 'after', type: ['null', 'Value'], default: null },
    { name: 'op', type: 'string' },
    { name: 'ts_ms', type: ['null', 'long'], default: null },
  ],
  'connect.name': 'asgard.demo.CUSTOMERS.Envelope',
};

interface RatingFields {
  readonly rating_id: number;
  readonly user_id: number;
  readonly stars: number;
  readonly route_id?: number | null;
  readonly rating_time: number;
  readonly channel: string;
  readonly message: string;
  readonly device?: string | null;
}

const rating = (id: number, user: number, stars = 4): RatingFields => ({
  rating_id: id,
  user_id: user,
  stars,
  route_id: 7,
  rating_time: 1_528_800_000_000 + id,
  channel: 'android',
  message: `rating ${id}`,
});

const cdcRow = (id: number, status = STATUSES[id % STATUSES.length]!): Record<string, unknown> => ({
  id,
  first_name: `First${id}`,
  last_name: `Last${id}`,
  email: `c${id}@example.com`,
  gender: 'Female',
  club_status: status,
  comments: null,
  create_ts: '2018-06-12T11:47:30Z',
  update_ts: '2018-06-12T11:47:30Z',
});

/** A test's topics, groups and pending topic, all unique. */
function names(prefix: string): { topics: TopicNames; pending: string; prefix: string } {
  const id = uniqueName(prefix);
  return { topics: prefixedTopics(id), pending: `${id}-join-pending`, prefix: id };
}

/** Registers `schema` under `subject` with the producer's client; Apicurio's subjects are at level NONE. */
async function register(client: RegistryClient, subject: string, schema: object): Promise<number> {
  const { id } = await client.register({ type: 'AVRO' as never, schema: JSON.stringify(schema) }, { subject, compatibility: COMPATIBILITY.NONE });
  return id;
}

/** Every record of `topic` up to its end offsets now (read_committed); positions decide, since transaction markers take up offsets. */
async function readToEnd(log: ReturnType<typeof streamTestBed>['log'], topic: string): Promise<LogRecord[]> {
  const ends = await log.offsets(topic);
  const records: LogRecord[] = [];
  const reached = new Map<number, bigint>();
  const handle = await log.tail({ topic, from: 'earliest', onBatch: (batch) => void records.push(...batch), onPosition: (p, next) => reached.set(p, BigInt(next)) });
  try {
    await eventually(() => ends.every((o) => BigInt(o.high) <= BigInt(o.low) || (reached.get(o.partition) ?? -1n) >= BigInt(o.high)), `the end of ${topic}`, 30_000);
  } finally {
    await handle.stop();
  }
  return records;
}

const enrichedIds = (records: readonly LogRecord[], decode: (r: LogRecord) => { RATING_ID: number }): number[] => records.map((r) => decode(r).RATING_ID);

describe('Avro through a Schema Registry', () => {
  // What the product logged during a failed test is printed with the failure (a timeout in CI once gave nothing else).
  const { log, runtimes, layers, logger } = streamTestBed(10_000, 65_536);
  const producerClient = (url: string): RegistryClient => new RegistryClient({ host: url });

  function layer(n: ReturnType<typeof names>, registry: SchemaRegistry, o: { readonly joinGraceMs?: number; readonly enriched?: EnrichedEncoder } = {}): StreamLayer {
    const runtime = createKafkaStreamRuntime({ log, groupPrefix: n.prefix, statusIntervalMs: 0, retryInitialDelayMs: 50, retryMaxDelayMs: 2_000, logger: logger });
    const l = createStreamLayer({
      runtime,
      topics: n.topics,
      rule: DEFAULT_COMPLAINT_RULE,
      joinGraceMs: o.joinGraceMs ?? 0,
      logger: logger,
      pendingTopic: n.pending,
      codecs: {
        ratings: createRecordDecoder({ format: 'auto', registry, setting: 'RATINGS_FORMAT' }),
        customers: createRecordDecoder({ format: 'auto', registry, setting: 'CUSTOMERS_FORMAT' }),
        ...(o.enriched ? { enriched: o.enriched } : {}),
      },
    });
    runtimes.push(runtime);
    layers.push(l);
    return l;
  }

  async function jsonCustomers(n: ReturnType<typeof names>, ids: readonly number[]): Promise<void> {
    await log.produce(ids.map((id) => ({ topic: n.topics.customersCdc, key: JSON.stringify({ id }), value: JSON.stringify(cdcRow(id)) })));
  }

  it('enriches Avro ratings of three schema versions mixed with JSON ratings under auto, each exactly once, and dead-letters an unknown schema id and undecodable bytes with the reason', async () => {
    const url = schemaRegistryUrl();
    const n = names('avro-mixed');
    await log.ensureTopics([...Object.values(n.topics), n.pending].map((name) => ({ name })));
    const producer = producerClient(url);
    const subject = `${n.topics.ratings}-value`;
    const v1 = await register(producer, subject, RATING_V1);
    const v2 = await register(producer, subject, RATING_V2);
    const v3 = await register(producer, subject, RATING_V3);
    expect(new Set([v1, v2, v3]).size).toBe(3);
    await jsonCustomers(n, [1, 2, 3, 4, 5]);

    const records: OutRecord[] = [];
    for (let i = 1; i <= 80; i++) {
      const r = rating(i, 1 + (i % 5), 1 + (i % 5));
      const key = String(i);
      const kind = i % 4;
      if (kind === 0) records.push({ topic: n.topics.ratings, key, value: JSON.stringify(r) });
      else if (kind === 1) records.push({ topic: n.topics.ratings, key, value: await producer.encode(v1, r) });
      else if (kind === 2) records.push({ topic: n.topics.ratings, key, value: await producer.encode(v2, { ...r, device: 'pixel' }) });
      else {
        const { route_id: _dropped, ...withoutRoute } = r;
        records.push({ topic: n.topics.ratings, key, value: await producer.encode(v3, withoutRoute) });
      }
    }
    records.splice(10, 0, { topic: n.topics.ratings, key: 'unknown-id', value: frame(2_000_000_000, Buffer.from([2, 4, 6])) });
    records.splice(20, 0, { topic: n.topics.ratings, key: 'truncated', value: frame(v1, Buffer.from([0x02])) });
    await log.produce(records);

    const registry = createSchemaRegistry({ url, requestTimeoutMs: 2_000, logger: logger });
    const l = layer(n, registry);
    await l.start();
    const enriched = await collect(log, n.topics.ratingsEnriched);
    await enriched.atLeast(80, 60_000);
    await eventually(async () => (await l.status()).every((s) => s.consumerLag === 0), 'every processor caught up', 60_000, 200);
    await enriched.stop();

    const values = enriched.records.map((r) => JSON.parse(text(r.value)!) as { RATING_ID: number; ROUTE_ID: number | null; CLUB_STATUS: string });
    const ids = values.map((v) => v.RATING_ID);
    expect(ids).toHaveLength(80);
    expect(new Set(ids).size).toBe(80);
    // Version 3 has no route_id: the contract's ROUTE_ID is null; the others keep theirs.
    for (const v of values) expect(v.ROUTE_ID).toBe(v.RATING_ID % 4 === 3 ? null : 7);

    const dead = await readToEnd(log, n.topics.deadLetters);
    const reasons = Object.fromEntries(dead.map((d) => [text(d.key), d.headers[DeadLetterHeader.error]]));
    expect(Object.keys(reasons).sort()).toEqual(['truncated', 'unknown-id']);
    expect(reasons['unknown-id']).toMatch(/schema id 2000000000 is unknown to the schema registry/);
    expect(reasons.truncated).toMatch(new RegExp(`do not decode with schema id ${v1}`));
    // The dead letter keeps the original bytes.
    expect(dead.find((d) => text(d.key) === 'unknown-id')?.value).toEqual(frame(2_000_000_000, Buffer.from([2, 4, 6])));
    expect((await l.status()).find((s) => s.name === 'enrich-ratings')).toMatchObject({ totalMessages: 82, failedMessages: 2 });
  }, 120_000);

  it('joins customers written by Debezium as Avro, flattened and as envelopes with Avro keys; updates, op "d" and tombstones apply', async () => {
    const url = schemaRegistryUrl();
    const n = names('avro-cdc');
    await withTimeout(log.ensureTopics([...Object.values(n.topics), n.pending].map((name) => ({ name }))), 15_000, 'creating the topics');
    const producer = producerClient(url);
    // Each step has a budget of its own, together under the test's: a hang names its step.
    const [keyId, rowId, envelopeId] = await withTimeout(
      (async () => [
        await register(producer, `${n.topics.customersCdc}-key`, CUSTOMER_KEY),
        await register(producer, `${n.topics.customersCdc}-value`, CUSTOMER_ROW),
        await register(producer, `${n.topics.customersCdc}-value`, CUSTOMER_ENVELOPE),
      ])(),
      15_000,
      'the three registrations',
    );
    const key = (id: number): Promise<Buffer> => producer.encode(keyId, { id });
    const row = (id: number, status?: string): Record<string, unknown> => ({ ...cdcRow(id, status), update_ts: 1_528_804_050_123_456, __deleted: 'false' });
    const { __deleted: _flag, ...plain4 } = row(4, 'silver');
    const { __deleted: _flag5, ...plain5 } = row(5, 'gold');
    const cdc = async (): Promise<OutRecord[]> => [
      { topic: n.topics.customersCdc, key: await key(1), value: await producer.encode(rowId, row(1, 'platinum')) },
      { topic: n.topics.customersCdc, key: await key(2), value: await producer.encode(rowId, row(2, 'bronze')) },
      { topic: n.topics.customersCdc, key: await key(3), value: await producer.encode(rowId, row(3, 'gold')) },
      { topic: n.topics.customersCdc, key: await key(4), value: await producer.encode(envelopeId, { before: null, after: plain4, op: 'c', ts_ms: 1 }) },
      { topic: n.topics.customersCdc, key: await key(5), value: await producer.encode(envelopeId, { before: null, after: plain5, op: 'r', ts_ms: 1 }) },
      // id 4 becomes platinum; id 5 is deleted by op "d"; id 3 by a tombstone (Avro key, null value).
      { topic: n.topics.customersCdc, key: await key(4), value: await producer.encode(envelopeId, { before: plain4, after: { ...plain4, club_status: 'platinum' }, op: 'u', ts_ms: 2 }) },
      { topic: n.topics.customersCdc, key: await key(5), value: await producer.encode(envelopeId, { before: plain5, after: null, op: 'd', ts_ms: 3 }) },
      { topic: n.topics.customersCdc, key: await key(3), value: null },
    ];
    await withTimeout((async () => log.produce(await cdc()))(), 15_000, 'encoding and producing the CDC records');

    const registry = createSchemaRegistry({ url, requestTimeoutMs: 2_000, logger: logger });
    const l = layer(n, registry);
    await withTimeout(l.start(), 20_000, 'the stream layer to start');
    await eventually(() => l.ready(), 'the customers table bootstrapped', 25_000, 100);
    const customer = (id: number): Customer | undefined => l.customers.get(id);
    expect(customer(1)).toMatchObject({ id: 1, clubStatus: 'platinum', createTs: '2018-06-12T11:47:30Z', updateTs: new Date(1_528_804_050_123).toISOString() });
    expect(customer(4)).toMatchObject({ id: 4, clubStatus: 'platinum', firstName: 'First4' });
    expect(customer(3)).toBeUndefined();
    expect(customer(5)).toBeUndefined();
    expect(l.customers.size).toBe(3);

    await log.produce([1, 2, 3, 4, 5].map((user) => ({ topic: n.topics.ratings, key: String(user), value: JSON.stringify(rating(100 + user, user, 1)) })));
    const enriched = await collect(log, n.topics.ratingsEnriched);
    const complaints = await collect(log, n.topics.complaints);
    await enriched.atLeast(3, 25_000);
    await eventually(async () => (await l.status()).every((s) => s.consumerLag === 0), 'every processor caught up', 20_000, 200);
    await Promise.all([enriched.stop(), complaints.stop()]);
    const byUser = Object.fromEntries(enriched.records.map((r) => JSON.parse(text(r.value)!) as { ID: number; CLUB_STATUS: string }).map((v) => [v.ID, v.CLUB_STATUS]));
    expect(byUser).toEqual({ 1: 'platinum', 2: 'bronze', 4: 'platinum' });
    expect(complaints.records.map((r) => text(r.key)).sort()).toEqual(['101', '104']);
    const status = await l.status();
    expect(status.find((s) => s.name === 'enrich-ratings')).toMatchObject({ unmatchedMessages: 2, failedMessages: 0 });
    expect(status.find((s) => s.name === 'rekey-customers')).toMatchObject({ failedMessages: 0 });
  }, 180_000);

  it('writes ratings-with-customer-data as Avro with the KSQL columns (ENRICHED_FORMAT=avro), which the registry decodes and the sink indexes; complaints stay JSON', async () => {
    const url = schemaRegistryUrl();
    const n = names('avro-out');
    await log.ensureTopics([...Object.values(n.topics), n.pending].map((name) => ({ name })));
    await jsonCustomers(n, [1, 2, 3, 4]);
    await log.produce([1, 2, 3, 4].map((user) => ({ topic: n.topics.ratings, key: String(user), value: JSON.stringify({ ...rating(200 + user, user, 1), route_id: user === 2 ? null : 9 }) })));
    const registry = createSchemaRegistry({ url, requestTimeoutMs: 2_000, logger: logger });
    const l = layer(n, registry, { enriched: createEnrichedEncoder({ format: 'avro', registry, topic: n.topics.ratingsEnriched }) });
    const search = createMemorySearch();
    const sink = createSink({ log, writer: search, topics: n.topics, groupId: `${n.prefix}-sink`, decoder: createRecordDecoder({ format: 'auto', registry }), logger: logger });
    try {
      await l.start();
      await sink.start();
      const enriched = await collect(log, n.topics.ratingsEnriched);
      const complaints = await collect(log, n.topics.complaints);
      await enriched.atLeast(4, 60_000);
      await complaints.atLeast(1, 60_000);
      await Promise.all([enriched.stop(), complaints.stop()]);

      expect(enriched.records.every((r) => isConfluentFramed(r.value))).toBe(true);
      const reader = producerClient(url);
      const decoded = (await Promise.all(enriched.records.map((r) => reader.decode(r.value!)))) as Record<string, unknown>[];
      const two = decoded.find((d) => d.RATING_ID === 202);
      expect(two).toEqual({
        RATING_ID: 202,
        USER_ID: 2,
        STARS: 1,
        ROUTE_ID: null,
        RATING_TIME: 1_528_800_000_202,
        CHANNEL: 'android',
        MESSAGE: 'rating 202',
        ID: 2,
        CLUB_STATUS: STATUSES[2],
        EMAIL: 'c2@example.com',
        FIRST_NAME: 'First2',
        LAST_NAME: 'Last2',
        GENDER: 'Female',
      });
      expect(decoded.map((d) => d.RATING_ID).sort()).toEqual([201, 202, 203, 204]);
      const latest = (await (await fetch(`${url}/subjects/${encodeURIComponent(`${n.topics.ratingsEnriched}-value`)}/versions/latest`)).json()) as { schema: string };
      expect(JSON.parse(latest.schema)).toMatchObject({ name: 'KsqlDataSourceSchema', namespace: 'io.confluent.ksql.avro_schemas' });
      // Customer 3 is platinum (3 % 4): the complaint, in JSON with the same columns.
      expect(complaints.records.map((r) => JSON.parse(text(r.value)!) as Record<string, unknown>)).toEqual([expect.objectContaining({ RATING_ID: 203, CLUB_STATUS: 'platinum', ROUTE_ID: 9 })]);

      const indexed = await eventually(() => search.getRating('204'), 'the sink to index an Avro enriched rating', 60_000, 100);
      expect(indexed).toMatchObject({ ratingId: 204, stars: 1, customer: { id: 4, email: 'c4@example.com' } });
      await eventually(async () => (await search.getRating('201')) && (await search.getRating('202')) && (await search.getRating('203')), 'every enriched rating indexed', 30_000, 100);
      expect(sink.stats().failed).toBe(0);
    } finally {
      await sink.stop();
    }
  }, 120_000);

  describe('with the registry stopped for 30 s while ratings flow', () => {
    let own: ApicurioServer | undefined;
    afterAll(async () => {
      own?.resume();
      await own?.stop();
    });

    it('dead-letters nothing, loses nothing, and resumes by itself', async () => {
      own = await startApicurio();
      const url = own.schemaRegistryUrl;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/apis\/ccompat\/v7$/);
      const n = names('avro-outage');
      await log.ensureTopics([...Object.values(n.topics), n.pending].map((name) => ({ name })));
      await jsonCustomers(n, [1, 2, 3, 4, 5]);
      const producer = producerClient(url);
      const subject = `${n.topics.ratings}-value`;
      const v1 = await register(producer, subject, RATING_V1);
      // Known to the producer before the outage, never seen by the product until it is written.
      const v2 = await register(producer, subject, RATING_V2);
      const v2Ready = await producer.encode(v2, { ...rating(0, 1), device: 'warm-up' });
      expect(isConfluentFramed(v2Ready)).toBe(true);

      const registry = createSchemaRegistry({ url, requestTimeoutMs: 1_000, logger: logger });
      const l = layer(n, registry);
      await l.start();
      const enriched = await collect(log, n.topics.ratingsEnriched);
      await log.produce(await Promise.all([1, 2, 3, 4, 5].map(async (i) => ({ topic: n.topics.ratings, key: String(i), value: await producer.encode(v1, rating(i, i)) }))));
      await enriched.atLeast(5, 60_000);

      own.pause();
      const pausedAt = Date.now();
      // Paused: connections are accepted but never answered.
      await expect(fetch(`${url}/schemas/ids/${v1}`, { signal: AbortSignal.timeout(1_000) })).rejects.toThrow(/timeout|aborted/i);
      const during: OutRecord[] = [];
      for (let i = 6; i <= 45; i++) {
        const r = rating(i, 1 + (i % 5));
        during.push({ topic: n.topics.ratings, key: String(i), value: i % 2 === 0 ? await producer.encode(v2, { ...r, device: 'pixel' }) : JSON.stringify(r) });
      }
      await log.produce(during);
      // The outage: the product must neither drop nor dead-letter what it cannot decode now.
      await new Promise((r) => setTimeout(r, Math.max(0, 30_000 - (Date.now() - pausedAt))));
      const whileAway = (await l.status()).find((s) => s.name === 'enrich-ratings');
      own.resume();

      await enriched.atLeast(45, 90_000);
      await eventually(async () => (await l.status()).every((s) => s.consumerLag === 0), 'every processor caught up', 60_000, 200);
      await enriched.stop();
      const ids = enrichedIds(enriched.records, (r) => JSON.parse(text(r.value)!) as { RATING_ID: number });
      expect(ids).toHaveLength(45);
      expect(new Set(ids).size).toBe(45);
      expect(await readToEnd(log, n.topics.deadLetters)).toEqual([]);
      expect(whileAway?.failedMessages).toBe(0);
      expect((await l.status()).find((s) => s.name === 'enrich-ratings')).toMatchObject({ failedMessages: 0, state: 'RUNNING' });

      // Stopped (resumed first): nothing listens any more.
      const stopped = own;
      own = undefined;
      await stopped.stop();
      await expect(fetch(`${url}/subjects`)).rejects.toThrow();
    }, 240_000);
  });
});
