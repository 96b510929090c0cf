/**
 * The sink against a real Elasticsearch (memory event log): idempotent
 * replays, create-once complaints, mapping rejections to dead-letters, and an
 * outage (a TCP proxy in front of Elasticsearch is cut, then restored); and
 * once end to end with real Kafka.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createElasticsearchSearch, type ElasticsearchSearch } from '../../src/adapters/elasticsearch/search.js';
import { createKafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import { createMemoryEventLog, type MemoryEventLog } from '../../src/adapters/memory/event-log.js';
import { AckVia, ComplaintStatus, customerToRekeyRecord, enrichedToRecord, type EnrichedRating } from '../../src/domain/index.js';
import { createSink, type Sink, type SinkOptions } from '../../src/sink/sink.js';
import { DEFAULT_TOPICS, DeadLetterHeader, type IndexNames } from '../../src/topics.js';
import { customer, rating } from '../contract/search.contract.js';
import type { LogRecord } from '../../src/ports/event-log.js';
import { elasticsearchUrl, kafkaBrokers, uniqueName } from '../support/infra.js';
import { waitForAssertion as eventually } from '../support/wait.js';

const topics = DEFAULT_TOPICS;

function freshIndices(): IndexNames {
  const base = uniqueName('t-sink');
  return { ratings: `${base}-ratings`, complaints: `${base}-complaints`, customers: `${base}-customers` };
}

/** A TCP proxy that can be cut (connections refused and dropped) and restored on the same port. */
class CuttableProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  port = 0;
  constructor(private readonly target: URL) {}

  async open(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(Number(this.target.port), this.target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
}

const bad = (id: number): EnrichedRating => rating(id, { stars: 1, channel: 'iOS', customer: customer(id, 'platinum') });

describe('sink → Elasticsearch', () => {
  let log: MemoryEventLog;
  const cleanups: Array<() => Promise<unknown>> = [];

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  function open(url = elasticsearchUrl(), indices = freshIndices()): ElasticsearchSearch {
    const es = createElasticsearchSearch({ url, indices, requestTimeoutMs: 5_000, maxRetries: 0 });
    cleanups.push(() => es.close());
    return es;
  }

  function start(es: ElasticsearchSearch, options: Partial<SinkOptions> = {}): Sink {
    const sink = createSink({ log, writer: es, topics, groupId: uniqueName('sink'), batchSize: 200, flushMs: 20, retryInitialDelayMs: 50, retryMaxDelayMs: 500, ...options });
    cleanups.push(() => sink.stop());
    void sink.start();
    return sink;
  }

  const lag = async (sink: Sink): Promise<number> => sink.lag();

  async function produceData(n = 50): Promise<void> {
    await log.produce([
      ...Array.from({ length: 10 }, (_, i) => ({ topic: topics.customersRekeyed, key: String(i + 1), value: JSON.stringify(customerToRekeyRecord(customer(i + 1, 'platinum'))) })),
      ...Array.from({ length: n }, (_, i) => ({
        topic: topics.ratingsEnriched,
        key: String((i % 10) + 1),
        value: JSON.stringify(enrichedToRecord(rating(i + 1, { customer: customer((i % 10) + 1, 'gold') }))),
      })),
      { topic: topics.complaints, key: '1000', value: JSON.stringify(enrichedToRecord(bad(1000))) },
    ]);
  }

  function setUp(): void {
    log = createMemoryEventLog({ partitions: 3 });
    cleanups.push(() => log.close());
  }

  async function counts(es: ElasticsearchSearch): Promise<{ ratings: number; complaints: number; customers: number }> {
    await es.refresh();
    const count = async (index: string): Promise<number> => (await es.client.count({ index })).count;
    return { ratings: await count(es.indices.ratings), complaints: await count(es.indices.complaints), customers: await count(es.indices.customers) };
  }

  it('replays rewrite the same documents, and an acknowledged complaint stays acknowledged', async () => {
    setUp();
    const es = open();
    cleanups.push(() => es.deleteIndices());
    const first = start(es);
    await produceData();
    await eventually(async () => (await lag(first)) === 0);
    expect(await counts(es)).toEqual({ ratings: 50, complaints: 1, customers: 10 });
    expect(first.stats()).toMatchObject({ indexed: 61, failed: 0 });

    const v = await es.get('1000');
    expect(await es.acknowledge('1000', { complaintId: '1000', by: 'U123', byName: 'ops', at: new Date().toISOString(), via: AckVia.Slack, note: null }, v!.version)).toBe('ok');

    // Duplicates on the topics, and a second group reading everything from the start.
    await produceData();
    const replay = start(es);
    await eventually(async () => (await lag(first)) === 0 && (await lag(replay)) === 0);
    expect(await counts(es)).toEqual({ ratings: 50, complaints: 1, customers: 10 });
    const complaint = await es.getComplaint('1000');
    expect(complaint?.status).toBe(ComplaintStatus.Acknowledged);
    expect(complaint?.acknowledgement).toMatchObject({ by: 'U123', via: 'slack' });
    expect(log.records(topics.deadLetters)).toHaveLength(0);
  });

  it('sends a document the mapping rejects to dead-letters with the Elasticsearch reason, and indexes the rest', async () => {
    setUp();
    const es = open();
    cleanups.push(() => es.deleteIndices());
    // An index someone created by hand with channel as an ip field.
    await es.client.indices.create({ index: es.indices.ratings, mappings: { properties: { channel: { type: 'ip' } } } });
    const sink = start(es);
    await log.produce([
      { topic: topics.ratingsEnriched, key: '1', value: JSON.stringify(enrichedToRecord(rating(1, { channel: '10.1.2.3' }))), partition: 0 },
      { topic: topics.ratingsEnriched, key: '1', value: JSON.stringify(enrichedToRecord(rating(2, { channel: 'android' }))), partition: 0 },
      { topic: topics.ratingsEnriched, key: '1', value: JSON.stringify(enrichedToRecord(rating(3, { channel: '10.1.2.4' }))), partition: 0 },
    ]);
    await eventually(async () => (await lag(sink)) === 0);
    expect((await counts(es)).ratings).toBe(2);
    const dead = log.records(topics.deadLetters);
    expect(dead).toHaveLength(1);
    expect(JSON.parse(dead[0]!.value!.toString())).toMatchObject({ RATING_ID: 2, CHANNEL: 'android' });
    expect(dead[0]!.headers).toMatchObject({
      [DeadLetterHeader.errorCode]: 'INVALID_RECORD',
      [DeadLetterHeader.errorField]: 'channel',
      [DeadLetterHeader.topic]: topics.ratingsEnriched,
      [DeadLetterHeader.partition]: '0',
      [DeadLetterHeader.offset]: '1',
      [DeadLetterHeader.processor]: 'sink',
    });
    expect(dead[0]!.headers[DeadLetterHeader.error]).toMatch(/document_parsing_exception.*android/);
    expect(sink.stats()).toMatchObject({ indexed: 2, failed: 1 });
  });

  it('commits nothing while Elasticsearch is unreachable, and catches up when it is back', async () => {
    setUp();
    const proxy = new CuttableProxy(new URL(elasticsearchUrl()));
    await proxy.open();
    cleanups.push(() => proxy.cut());
    const es = open(proxy.url);
    const admin = open(elasticsearchUrl(), es.indices);
    cleanups.push(() => admin.deleteIndices());
    const sink = start(es, { maxRetryMs: 1_000 });
    await eventually(() => sink.stats().state === 'running');

    await proxy.cut();
    await produceData();
    await eventually(() => sink.stats().retries >= 3);
    expect(sink.stats().state).toBe('retrying');
    expect(sink.stats().lastError).toMatch(/unreachable|ECONNREFUSED/i);
    expect(await lag(sink)).toBe(61);
    expect(await counts(admin)).toEqual({ ratings: 0, complaints: 0, customers: 0 });

    await proxy.open();
    await eventually(async () => (await lag(sink)) === 0);
    expect(await counts(admin)).toEqual({ ratings: 50, complaints: 1, customers: 10 });
    expect(sink.stats().state).toBe('running');
    expect(log.records(topics.deadLetters)).toHaveLength(0);
  });
});

describe('sink: Kafka → Elasticsearch', () => {
  it('indexes, dead-letters, commits only what Elasticsearch accepted, and resumes after an outage', async () => {
    const cleanups: Array<() => Promise<unknown>> = [];
    try {
      const t = {
        ...DEFAULT_TOPICS,
        ratingsEnriched: uniqueName('ratings-with-customer-data'),
        complaints: uniqueName('unhappy-platinum'),
        customersRekeyed: uniqueName('customers-src-rekey'),
        deadLetters: uniqueName('dead-letters'),
      };
      const log = createKafkaEventLog({ brokers: kafkaBrokers(), clientId: uniqueName('sink-test'), partitions: 3, retryInitialDelayMs: 100, retryMaxDelayMs: 1_000 });
      cleanups.push(() => log.close());
      const proxy = new CuttableProxy(new URL(elasticsearchUrl()));
      await proxy.open();
      cleanups.push(() => proxy.cut());
      const indices = freshIndices();
      const es = createElasticsearchSearch({ url: proxy.url, indices, requestTimeoutMs: 5_000, maxRetries: 0 });
      const admin = createElasticsearchSearch({ url: elasticsearchUrl(), indices });
      cleanups.push(
        () => es.close(),
        () => admin.close(),
        () => admin.deleteIndices(),
      );
      const groupId = uniqueName('sink');
      const sinkOptions = { log, writer: es, topics: t, groupId, batchSize: 200, flushMs: 50, maxRetryMs: 1_000, retryInitialDelayMs: 50, retryMaxDelayMs: 300 };
      const sink = createSink(sinkOptions);
      cleanups.push(() => sink.stop());
      await sink.start();

      const count = async (index: string): Promise<number> => {
        await admin.refresh();
        return (await admin.client.count({ index })).count;
      };
      await log.produce([
        ...Array.from({ length: 5 }, (_, i) => ({ topic: t.customersRekeyed, key: String(i + 1), value: JSON.stringify(customerToRekeyRecord(customer(i + 1, 'platinum'))) })),
        ...Array.from({ length: 30 }, (_, i) => ({ topic: t.ratingsEnriched, key: String((i % 5) + 1), value: JSON.stringify(enrichedToRecord(rating(i + 1))) })),
        { topic: t.ratingsEnriched, key: '9', value: '{"RATING_ID": "oops"' },
        { topic: t.complaints, key: '500', value: JSON.stringify(enrichedToRecord(bad(500))) },
      ]);
      await eventually(async () => (await sink.lag()) === 0, 30_000);
      expect(await count(indices.ratings)).toBe(30);
      expect(await count(indices.customers)).toBe(5);
      expect(await count(indices.complaints)).toBe(1);
      const dead: LogRecord[] = [];
      const tail = await log.tail({ topic: t.deadLetters, from: 'earliest', onBatch: (rs) => void dead.push(...rs) });
      cleanups.push(() => tail.stop());
      await eventually(() => dead.length === 1, 30_000);
      expect(dead[0]!.value?.toString()).toBe('{"RATING_ID": "oops"');
      expect(dead[0]!.headers).toMatchObject({ [DeadLetterHeader.topic]: t.ratingsEnriched, [DeadLetterHeader.processor]: 'sink', [DeadLetterHeader.errorCode]: 'INVALID_RECORD' });

      // Outage: nothing more is committed while Elasticsearch cannot be reached.
      await proxy.cut();
      await log.produce(Array.from({ length: 20 }, (_, i) => ({ topic: t.ratingsEnriched, key: String((i % 5) + 1), value: JSON.stringify(enrichedToRecord(rating(100 + i))) })));
      await eventually(() => sink.stats().retries >= 2, 30_000);
      expect(await sink.lag()).toBe(20);

      await proxy.open();
      await eventually(async () => (await sink.lag()) === 0, 30_000);
      expect(await count(indices.ratings)).toBe(50);
      expect(dead).toHaveLength(1);

      // A restarted sink in the same group finds everything committed: nothing is written again.
      await sink.stop();
      const indexedBefore = sink.stats().indexed;
      const again = createSink(sinkOptions);
      cleanups.push(() => again.stop());
      await again.start();
      // One new record per partition: had the offsets not been committed, the old ones would come first.
      await log.produce([0, 1, 2].map((partition) => ({ topic: t.ratingsEnriched, key: null, value: JSON.stringify(enrichedToRecord(rating(900 + partition))), partition })));
      await eventually(async () => again.stats().indexed === 3 && (await again.lag()) === 0, 30_000);
      expect(again.stats().received).toBe(3);
      expect(indexedBefore).toBe(56);
      expect(await count(indices.ratings)).toBe(53);
    } finally {
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
    }
  }, 120_000);
});
