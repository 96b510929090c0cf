/**
 * The sink on real Kafka and Elasticsearch while the ratings index carries a
 * write block, as shrink, split and clone set it (`index.blocks.write`):
 * Elasticsearch refuses every item with 403 `cluster_block_exception`. Those
 * are infrastructure rejections: the sink retries with backoff and pauses
 * consumption, commits nothing past them, and writes nothing to
 * `dead-letters`. Lifted 30 s later, every document is indexed once.
 */
import { describe, expect, it } from 'vitest';
import { createElasticsearchSearch } from '../../src/adapters/elasticsearch/search.js';
import { createKafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import { enrichedToRecord } from '../../src/domain/index.js';
import type { EventLog, LogRecord } from '../../src/ports/event-log.js';
import { createSink } from '../../src/sink/sink.js';
import { DEFAULT_TOPICS, DeadLetterHeader } from '../../src/topics.js';
import { rating } from '../contract/search.contract.js';
import { elasticsearchUrl, kafkaBrokers, uniqueName } from '../support/infra.js';

const BLOCK_MS = 30_000;

async function eventually(check: () => unknown | Promise<unknown>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: unknown;
    try {
      if ((await check()) !== false) return;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw last instanceof Error ? last : new Error(`condition not met within ${timeoutMs} ms: ${check.toString()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every record of `topic` up to its end offsets taken now: read, not waited for. */
async function readToEnd(log: EventLog, topic: string): Promise<LogRecord[]> {
  const ends = await log.offsets(topic);
  const records: LogRecord[] = [];
  const position = new Map<number, bigint>(ends.map((p) => [p.partition, BigInt(p.low)]));
  const done = (): boolean => ends.every((p) => (position.get(p.partition) ?? 0n) >= BigInt(p.high));
  if (done()) return records;
  let reached: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (reached = resolve));
  const tail = await log.tail({
    topic,
    from: 'earliest',
    onBatch: (rs) => {
      records.push(...rs);
      for (const r of rs) position.set(r.partition, BigInt(r.offset) + 1n);
      if (done()) reached();
    },
    onPosition: (partition, next) => {
      position.set(partition, BigInt(next));
      if (done()) reached();
    },
  });
  try {
    await finished;
  } finally {
    await tail.stop();
  }
  return records.filter((r) => BigInt(r.offset) < BigInt(ends.find((p) => p.partition === r.partition)?.high ?? '0'));
}

describe('sink: an index write block (shrink, split, clone) mid-stream', () => {
  it('is retried while consumption pauses: lifted 30 s later, every document is indexed once and nothing is dead-lettered', async () => {
    const cleanups: Array<() => Promise<unknown>> = [];
    try {
      const t = {
        ...DEFAULT_TOPICS,
        ratingsEnriched: uniqueName('ratings-with-customer-data'),
        complaints: uniqueName('unhappy-platinum'),
        customersRekeyed: uniqueName('customers-src-rekey'),
        deadLetters: uniqueName('dead-letters'),
      };
      const log = createKafkaEventLog({ brokers: kafkaBrokers(), clientId: uniqueName('sink-block'), partitions: 3, retryInitialDelayMs: 100, retryMaxDelayMs: 1_000 });
      cleanups.push(() => log.close());
      const base = uniqueName('t-block');
      const indices = { ratings: `${base}-ratings`, complaints: `${base}-complaints`, customers: `${base}-customers` };
      const es = createElasticsearchSearch({ url: elasticsearchUrl(), indices, requestTimeoutMs: 5_000, maxRetries: 0 });
      cleanups.push(
        () => es.close(),
        () => es.client.indices.putSettings({ index: indices.ratings, settings: { 'index.blocks.write': false } }).catch(() => undefined),
        () => es.deleteIndices(),
      );
      // A retry budget well below the block: batches are handed back and redelivered too, not only retried in place.
      const sink = createSink({ log, writer: es, topics: t, groupId: uniqueName('sink'), batchSize: 100, flushMs: 20, maxRetryMs: 4_000, retryInitialDelayMs: 100, retryMaxDelayMs: 1_000 });
      cleanups.push(() => sink.stop());
      await sink.start();

      const count = async (): Promise<number> => {
        await es.refresh();
        return (await es.client.count({ index: indices.ratings })).count;
      };
      const produceRatings = (from: number, n: number): Promise<void> =>
        log.produce(Array.from({ length: n }, (_, i) => ({ topic: t.ratingsEnriched, key: String(from + i), value: JSON.stringify(enrichedToRecord(rating(from + i))) })));

      // Before: 100 ratings flow through.
      await produceRatings(1, 100);
      await eventually(async () => (await count()) === 100);

      // Mid-stream: the block goes on, more ratings keep coming.
      await es.client.indices.putSettings({ index: indices.ratings, settings: { 'index.blocks.write': true } });
      const blockedAt = Date.now();
      for (let k = 0; k < 5; k++) await produceRatings(101 + k * 40, 40);
      await eventually(() => sink.stats().retries >= 3 && /cluster_block_exception/.test(sink.stats().lastError ?? ''));
      expect(sink.stats().state).toBe('retrying');
      expect(await sink.lag()).toBeGreaterThan(0);
      expect(await count()).toBe(100);

      // Lifted 30 s after it was set (the scenario, not a wait for an absence).
      await new Promise((r) => setTimeout(r, Math.max(0, blockedAt + BLOCK_MS - Date.now())));
      await es.client.indices.putSettings({ index: indices.ratings, settings: { 'index.blocks.write': false } });
      await produceRatings(301, 50);
      await eventually(async () => (await sink.lag()) === 0 && (await count()) === 350, 60_000);

      // Every document once, each id present.
      const ids = new Set<number>();
      for (let after: unknown[] | undefined; ;) {
        const res = await es.client.search<{ rating_id: number }>({ index: indices.ratings, size: 1_000, sort: [{ rating_id: 'asc' }], ...(after ? { search_after: after as never } : {}) });
        for (const h of res.hits.hits) ids.add(h._source!.rating_id);
        if (res.hits.hits.length < 1_000) break;
        after = res.hits.hits.at(-1)!.sort;
      }
      expect(ids.size).toBe(350);
      expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: 350 }, (_, i) => i + 1));
      expect(sink.stats().failed).toBe(0);

      // Nothing in dead-letters: a sentinel that must be dead-lettered goes last; reading the
      // topic to its end offset finds it, and only it.
      await log.produce([{ topic: t.ratingsEnriched, key: 'sentinel', value: 'not json' }]);
      await eventually(async () => (await sink.lag()) === 0 && sink.stats().failed === 1);
      const dead = await readToEnd(log, t.deadLetters);
      expect(dead.map((d) => [d.key?.toString(), d.headers[DeadLetterHeader.processor]])).toEqual([['sentinel', 'sink']]);
    } finally {
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
    }
  }, 180_000);

  it('the adapter calls a blocked or closed index retriable and a mapping rejection not', async () => {
    const base = uniqueName('t-classify');
    const indices = { ratings: `${base}-ratings`, complaints: `${base}-complaints`, customers: `${base}-customers` };
    const es = createElasticsearchSearch({ url: elasticsearchUrl(), indices, requestTimeoutMs: 5_000, maxRetries: 0 });
    try {
      await es.client.indices.create({ index: indices.ratings, mappings: { properties: { channel: { type: 'ip' } } } });
      const op = (id: number, channel: string) => ({ kind: 'upsertRating' as const, rating: rating(id, { channel }) });
      expect(await es.write([op(1, '10.0.0.1'), op(2, 'android')])).toMatchObject([{ ok: true }, { ok: false, retriable: false, status: 400 }]);

      await es.client.indices.putSettings({ index: indices.ratings, settings: { 'index.blocks.write': true } });
      const [blocked] = await es.write([op(3, '10.0.0.3')]);
      expect(blocked).toMatchObject({ ok: false, retriable: true, status: 403 });
      expect(blocked).toHaveProperty('reason', expect.stringMatching(/cluster_block_exception/));
      await es.client.indices.putSettings({ index: indices.ratings, settings: { 'index.blocks.write': false } });

      await es.client.indices.close({ index: indices.ratings });
      const [closed] = await es.write([op(4, '10.0.0.4')]);
      expect(closed).toMatchObject({ ok: false, retriable: true, status: 400 });
      expect(closed).toHaveProperty('reason', expect.stringMatching(/index_closed_exception/));
    } finally {
      await es.deleteIndices().catch(() => undefined);
      await es.close();
    }
  });
});
