import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryEventLog, type MemoryEventLog } from '../../../src/adapters/memory/event-log.js';
import { createMemorySearch, type MemorySearch } from '../../../src/adapters/memory/search-index.js';
import { AckVia, buildDeadLetter, ComplaintStatus, customerToRekeyRecord, enrichedToRecord, MAX_DEAD_LETTER_VALUE_BYTES, type EnrichedRating } from '../../../src/domain/index.js';
import { UnavailableError } from '../../../src/errors.js';
import type { SearchWriter, WriteOp, WriteResult } from '../../../src/ports/search.js';
import { createSink, type Sink, type SinkOptions } from '../../../src/sink/sink.js';
import { DEFAULT_TOPICS, DeadLetterHeader } from '../../../src/topics.js';
import { customer, rating } from '../../contract/search.contract.js';
import { waitForAssertion as eventually } from '../../support/wait.js';
import { deadLetter } from '../../../stream/dead-letter.js';

const topics = DEFAULT_TOPICS;
const SOURCES = [topics.ratingsEnriched, topics.complaints, topics.customersRekeyed];

/** A writer in front of the memory index that can be taken down or made to refuse items. */
class ControlledWriter implements SearchWriter {
  readonly calls: WriteOp[][] = [];
  down = false;
  /** ensureIndices calls so far (start-up attempts). */
  ensureCalls = 0;
  /** Decides an item's result before it reaches the index; null lets it through. */
  refuse: (op: WriteOp, call: number) => WriteResult | null = () => null;
  constructor(readonly inner: MemorySearch) {}
  ensureIndices(): Promise<void> {
    this.ensureCalls++;
    return this.down ? Promise.reject(new UnavailableError('down')) : this.inner.ensureIndices();
  }
  async write(ops: readonly WriteOp[]): Promise<readonly WriteResult[]> {
    this.calls.push([...ops]);
    if (this.down) throw new UnavailableError('Elasticsearch is unreachable (bulk): connect ECONNREFUSED');
    const call = this.calls.length;
    const decided = ops.map((op) => this.refuse(op, call));
    const through = ops.filter((_, i) => decided[i] === null);
    const results = [...(await this.inner.write(through))];
    return decided.map((d) => d ?? results.shift()!);
  }
  refresh(): Promise<void> {
    return this.inner.refresh();
  }
}

/**
 * Polls on event-loop turns (setImmediate), not timers: for the parts of a
 * test that run on fake timers (vi.waitUntil would advance them).
 */
async function turnsUntil(condition: () => boolean, turns = 100_000): Promise<void> {
  for (let i = 0; i < turns && !condition(); i++) await new Promise((r) => setImmediate(r));
  expect(condition()).toBe(true);
}

const platinumBad = (id: number): EnrichedRating => rating(id, { stars: 1, customer: customer(id, 'platinum') });

describe('sink (memory event log, memory search)', () => {
  let log: MemoryEventLog;
  let search: MemorySearch;
  let writer: ControlledWriter;
  const sinks: Sink[] = [];

  const sink0 = (): Sink => sinks[0]!;

  function start(options: Partial<SinkOptions> = {}): Sink {
    const sink = createSink({ log, writer, topics, groupId: 'sink', batchSize: 50, flushMs: 5, retryInitialDelayMs: 5, retryMaxDelayMs: 20, ...options });
    sinks.push(sink);
    void sink.start();
    return sink;
  }

  async function produceData(): Promise<void> {
    await log.produce([
      ...[1, 2, 3].map((id) => ({ topic: topics.customersRekeyed, key: String(id), value: JSON.stringify(customerToRekeyRecord(customer(id, id === 1 ? 'platinum' : 'gold'))) })),
      ...[10, 11, 12, 13].map((id) => ({ topic: topics.ratingsEnriched, key: '1', value: JSON.stringify(enrichedToRecord(rating(id, { customer: customer((id % 3) + 1) }))) })),
      { topic: topics.ratingsEnriched, key: '7', value: JSON.stringify(enrichedToRecord(platinumBad(20))) },
      { topic: topics.complaints, key: '20', value: JSON.stringify(enrichedToRecord(platinumBad(20))) },
    ]);
  }

  const lag = async (group = 'sink'): Promise<number> => {
    let n = 0;
    for (const t of SOURCES) n += await log.lag(group, t);
    return n;
  };

  afterEach(async () => {
    for (const s of sinks.splice(0)) await s.stop();
    await log.close();
  });

  function setUp(): void {
    log = createMemoryEventLog({ partitions: 3 });
    search = createMemorySearch();
    writer = new ControlledWriter(search);
  }

  it('writes enriched ratings, complaints and customers, then commits', async () => {
    setUp();
    const sink = start();
    await produceData();
    await eventually(async () => (await lag()) === 0);
    expect(search.counts()).toEqual({ ratings: 5, complaints: 1, customers: 3 });
    expect(await search.getRating('20')).toEqual(platinumBad(20));
    expect((await search.getComplaint('20'))?.status).toBe(ComplaintStatus.Open);
    expect(await search.getCustomer(1)).toEqual(customer(1, 'platinum'));
    const stats = sink.stats();
    expect(stats).toMatchObject({ state: 'running', received: 9, indexed: 9, failed: 0, retries: 0 });
    expect(stats.lastBatchAt).toEqual(expect.any(Number));
    expect(stats.topics[topics.ratingsEnriched]).toEqual({ received: 5, indexed: 5, failed: 0 });
    expect(await sink.lag()).toBe(0);
  });

  it('rewrites the same documents on a replay: counts unchanged, an acknowledged complaint stays acknowledged', async () => {
    setUp();
    start();
    await produceData();
    await eventually(async () => (await lag()) === 0);
    const v = await search.get('20');
    await search.acknowledge('20', { complaintId: '20', by: 'alice', byName: null, at: '2018-06-12T11:00:00.000Z', via: AckVia.Slack, note: null }, v!.version);

    // The same records again (a producer retry), then everything from the start (a new group).
    await produceData();
    await eventually(async () => (await lag()) === 0);
    start({ groupId: 'sink-replay' });
    await eventually(async () => (await lag('sink-replay')) === 0);

    expect(search.counts()).toEqual({ ratings: 5, complaints: 1, customers: 3 });
    const complaint = await search.getComplaint('20');
    expect(complaint?.status).toBe(ComplaintStatus.Acknowledged);
    expect(complaint?.acknowledgement?.by).toBe('alice');
  });

  it('deletes a customer on a tombstone, the id taken from the key', async () => {
    setUp();
    start();
    await produceData();
    await log.produce([{ topic: topics.customersRekeyed, key: '2', value: null }]);
    await eventually(async () => (await lag()) === 0);
    expect(await search.getCustomersByIds([1, 2, 3])).toEqual([customer(1, 'platinum'), null, customer(3, 'gold')]);
  });

  it('applies an upsert and a delete of one customer in one batch in order', async () => {
    setUp();
    start({ flushMs: 50 });
    await log.produce([
      { topic: topics.customersRekeyed, key: '5', value: JSON.stringify(customerToRekeyRecord(customer(5))), partition: 0 },
      { topic: topics.customersRekeyed, key: '5', value: null, partition: 0 },
      { topic: topics.customersRekeyed, key: '6', value: null, partition: 0 },
      { topic: topics.customersRekeyed, key: '6', value: JSON.stringify(customerToRekeyRecord(customer(6))), partition: 0 },
    ]);
    await eventually(async () => (await lag()) === 0);
    expect(await search.getCustomersByIds([5, 6])).toEqual([null, customer(6)]);
  });

  it('sends records that do not parse to dead-letters with the reason, and indexes the rest', async () => {
    setUp();
    const sink = start();
    await log.produce([
      { topic: topics.ratingsEnriched, key: 'k1', value: 'this is not json', partition: 1, headers: { trace: 'abc' } },
      { topic: topics.ratingsEnriched, key: 'k2', value: JSON.stringify({ RATING_ID: 5, STARS: 9, ID: 1, RATING_TIME: 1 }), partition: 1 },
      { topic: topics.ratingsEnriched, key: 'k3', value: JSON.stringify(enrichedToRecord(rating(3))), partition: 1 },
      { topic: topics.customersRekeyed, key: 'not-an-id', value: null, partition: 2 },
    ]);
    await eventually(async () => (await lag()) === 0);
    expect(search.counts().ratings).toBe(1);
    const dead = log.records(topics.deadLetters);
    expect(dead).toHaveLength(3);
    const notJson = dead.find((d) => d.key?.toString() === 'k1')!;
    expect(notJson.value?.toString()).toBe('this is not json');
    expect(notJson.headers).toMatchObject({
      trace: 'abc',
      [DeadLetterHeader.errorCode]: 'INVALID_RECORD',
      [DeadLetterHeader.topic]: topics.ratingsEnriched,
      [DeadLetterHeader.partition]: '1',
      [DeadLetterHeader.offset]: '0',
      [DeadLetterHeader.processor]: 'sink',
    });
    expect(notJson.headers[DeadLetterHeader.error]).toMatch(/not JSON/);
    const badStars = dead.find((d) => d.key?.toString() === 'k2')!;
    expect(badStars.headers).toMatchObject({ [DeadLetterHeader.errorField]: 'STARS', [DeadLetterHeader.offset]: '1' });
    expect(dead.find((d) => d.key?.toString() === 'not-an-id')!.headers[DeadLetterHeader.error]).toMatch(/tombstone needs the customer id/);
    expect(sink.stats()).toMatchObject({ failed: 3, indexed: 1 });
  });

  it('dead-letters an item the index rejects for its content with the index reason, once', async () => {
    setUp();
    writer.refuse = (op) =>
      op.kind === 'upsertRating' && op.rating.ratingId === 11
        ? { ok: false, retriable: false, status: 400, reason: 'Elasticsearch rejected upsertRating (400): document_parsing_exception: failed to parse field [channel] of type [ip]' }
        : null;
    start();
    await produceData();
    await eventually(async () => (await lag()) === 0);
    expect(search.counts().ratings).toBe(4);
    const dead = log.records(topics.deadLetters);
    expect(dead).toHaveLength(1);
    expect(JSON.parse(dead[0]!.value!.toString())).toMatchObject({ RATING_ID: 11 });
    expect(dead[0]!.headers).toMatchObject({ [DeadLetterHeader.errorField]: 'channel', [DeadLetterHeader.processor]: 'sink' });
    expect(dead[0]!.headers[DeadLetterHeader.error]).toMatch(/document_parsing_exception/);
  });

  it('builds its dead letters like the stream layer: same headers, value cut at the same size', async () => {
    setUp();
    start();
    const big = Buffer.alloc(MAX_DEAD_LETTER_VALUE_BYTES + 10, 0x7b); // '{{{{…': not JSON
    await log.produce([{ topic: topics.ratingsEnriched, key: 'k', value: big, partition: 0, headers: { trace: 't-1' } }]);
    await eventually(async () => (await lag()) === 0);
    const [dead] = log.records(topics.deadLetters);
    expect(dead!.value!.length).toBe(MAX_DEAD_LETTER_VALUE_BYTES);
    const record = log.records(topics.ratingsEnriched)[0]!;
    const now = Date.parse(dead!.headers[DeadLetterHeader.time]!);
    const expected = buildDeadLetter(record, new Error(dead!.headers[DeadLetterHeader.error]), { topic: topics.deadLetters, processor: 'sink', now });
    expect(dead!.headers).toEqual({ ...expected.headers, [DeadLetterHeader.errorCode]: 'INVALID_RECORD', [DeadLetterHeader.valueTruncated]: String(MAX_DEAD_LETTER_VALUE_BYTES + 10) });
    expect(Object.keys(dead!.headers).sort()).toEqual(Object.keys(deadLetter(record, new Error('x'), { topic: 'd', processor: 'p', now, maxValueBytes: 1 }).headers!).sort());
  });

  it('retries only the items that failed retriably, with backoff, until they are accepted', async () => {
    setUp();
    writer.refuse = (op, call) =>
      op.kind === 'upsertRating' && op.rating.ratingId === 12 && call <= 3 ? { ok: false, retriable: true, status: 429, reason: 'es_rejected_execution_exception' } : null;
    const sink = start({ batchSize: 100, flushMs: 30 });
    await log.produce([10, 11, 12].map((id) => ({ topic: topics.ratingsEnriched, key: null, value: JSON.stringify(enrichedToRecord(rating(id))), partition: 0 })));
    await eventually(async () => (await lag()) === 0);
    expect(search.counts().ratings).toBe(3);
    expect(writer.calls.map((ops) => ops.map((op) => (op.kind === 'upsertRating' ? op.rating.ratingId : -1)))).toEqual([[10, 11, 12], [12], [12], [12]]);
    expect(sink.stats()).toMatchObject({ retries: 3, indexed: 3, failed: 0, state: 'running' });
    expect(log.records(topics.deadLetters)).toHaveLength(0);
  });

  it('commits nothing while the index is unreachable, keeps retrying, and resumes when it is back', async () => {
    setUp();
    const sink = start({ maxRetryMs: 100 });
    await eventually(() => sink.stats().state === 'running');
    writer.down = true;
    await produceData();
    await eventually(() => writer.calls.length >= 5 && sink.stats().retries >= 2);
    expect(await lag()).toBe(9);
    expect(search.counts()).toEqual({ ratings: 0, complaints: 0, customers: 0 });
    expect(sink.stats().state).toBe('retrying');
    expect(sink.stats().lastError).toMatch(/unreachable/);
    expect(log.records(topics.deadLetters)).toHaveLength(0);

    writer.down = false;
    await eventually(async () => (await lag()) === 0);
    expect(search.counts()).toEqual({ ratings: 5, complaints: 1, customers: 3 });
    expect(sink.stats().state).toBe('running');
    expect(log.records(topics.deadLetters)).toHaveLength(0);
  });

  it('retries a request refused as a whole with 401/403 (credentials revoked) instead of dead-lettering, and catches up once access is back', async () => {
    setUp();
    const sink = start({ maxRetryMs: 100 });
    await eventually(() => sink.stats().state === 'running');
    let denied = true;
    const write = writer.write.bind(writer);
    writer.write = async (ops) => {
      if (denied) {
        writer.calls.push([...ops]);
        throw new UnavailableError('Elasticsearch bulk failed with 401: security_exception: unable to authenticate with provided credentials', { retriable: false });
      }
      return write(ops);
    };
    await produceData();
    await eventually(() => writer.calls.length >= 4);
    expect(await lag()).toBe(9);
    expect(log.records(topics.deadLetters)).toHaveLength(0);
    denied = false;
    await eventually(async () => (await lag()) === 0);
    expect(search.counts()).toEqual({ ratings: 5, complaints: 1, customers: 3 });
    expect(log.records(topics.deadLetters)).toHaveLength(0);
  });

  it('waits at start-up while the index refuses access (403), and starts once it is granted', async () => {
    setUp();
    let denied = true;
    writer.ensureIndices = () =>
      denied
        ? Promise.reject(new UnavailableError('Elasticsearch create index failed with 403: security_exception: action [indices:admin/create] is unauthorized', { retriable: false }))
        : search.ensureIndices();
    const sink = start({});
    await produceData();
    expect(sink.stats().state).toBe('starting');
    denied = false;
    await eventually(async () => (await lag()) === 0, 10_000);
    expect(search.counts().ratings).toBe(5);
  });

  it('waits for the index at start-up', async () => {
    setUp();
    writer.down = true;
    const sink = createSink({ log, writer, topics, groupId: 'sink', flushMs: 5 });
    sinks.push(sink);
    const started = sink.start();
    await produceData();
    // Two refused attempts: the sink had its chance to go on and did not.
    await eventually(() => expect(writer.ensureCalls).toBeGreaterThanOrEqual(2));
    expect(sink.stats().state).toBe('starting');
    expect(writer.calls).toHaveLength(0);
    expect(await lag()).toBe(9);
    writer.down = false;
    await started;
    await eventually(async () => (await lag()) === 0);
    expect(search.counts().ratings).toBe(5);
  });

  it('stops while the index is down without spending its retry budget, committing nothing', async () => {
    setUp();
    // An hour of retry budget: a stop that waited for it would time the test out.
    const sink = start({ maxRetryMs: 3_600_000 });
    await eventually(() => sink.stats().state === 'running');
    writer.down = true;
    await produceData();
    await eventually(() => sink.stats().retries >= 1);
    await sink.stop();
    expect(writer.down).toBe(true);
    expect(sink.stats().state).toBe('stopped');
    expect(await lag()).toBe(9);
  });

  it('batches by count and by time', async () => {
    setUp();
    start({ batchSize: 4, flushMs: 40 });
    await log.produce([1, 2, 3, 4, 5, 6, 7, 8, 9].map((id) => ({ topic: topics.ratingsEnriched, key: null, value: JSON.stringify(enrichedToRecord(rating(id))), partition: 0 })));
    await eventually(async () => (await lag()) === 0);
    expect(writer.calls.map((c) => c.length)).toEqual([4, 4, 1]);
    // A lone record waits flushMs for company, no less: the flush timer is
    // fake from here, so only the test moves time.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      await log.produce([{ topic: topics.ratingsEnriched, key: null, value: JSON.stringify(enrichedToRecord(rating(10))), partition: 0 }]);
      await turnsUntil(() => sink0().stats().received === 10 && vi.getTimerCount() === 1);
      await vi.advanceTimersByTimeAsync(39);
      expect(writer.calls).toHaveLength(3);
      await vi.advanceTimersByTimeAsync(1);
      await turnsUntil(() => writer.calls.length === 4);
      expect(writer.calls[3]).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('batches by bytes', async () => {
    setUp();
    start({ batchSize: 100, flushMs: 40, maxBatchBytes: 1_000 });
    const big = (id: number): string => JSON.stringify(enrichedToRecord(rating(id, { message: 'x'.repeat(400) })));
    await log.produce([1, 2, 3, 4, 5].map((id) => ({ topic: topics.ratingsEnriched, key: null, value: big(id), partition: 0 })));
    await eventually(async () => (await lag()) === 0);
    expect(writer.calls.map((c) => c.length)).toEqual([2, 2, 1]);
  });
});
