/**
 * The stream layer end to end on the in-memory runtime: the same processors
 * and the same semantics as on Kafka (see test/integration/stream-eos.test.ts).
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryEventLog, type MemoryEventLog } from '../../../src/adapters/memory/event-log.js';
import { createMemoryStreamRuntime, type MemoryStreamRuntime } from '../../../stream/runtime/memory-runtime.js';
import { DEFAULT_COMPLAINT_RULE, customerToRekeyRecord, type Customer } from '../../../src/domain/index.js';
import { silentLogger } from '../../../src/logger.js';
import type { ProcessorStatus } from '../../../src/ports/stream-runtime.js';
import { DEFAULT_TOPICS, DeadLetterHeader } from '../../../src/topics.js';
import { createStreamLayer, type StreamLayer } from '../../../stream/pipeline.js';
import { eventually } from '../../contract/helpers.js';
import { ruthie } from './fixtures.js';

const customersJsonl = readFileSync(new URL('../../../data/customers.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as { id: number; club_status: string });

const topics = DEFAULT_TOPICS;
const PENDING = '_feedback-join-pending';
let ratingId = 1;
const rating = (userId: number, stars = 4, extra: Record<string, unknown> = {}) => ({
  topic: topics.ratings,
  key: null,
  value: JSON.stringify({ rating_id: ratingId++, user_id: userId, stars, route_id: 1, rating_time: Date.now(), channel: 'iOS', message: 'meh', ...extra }),
});

describe('the stream layer (in memory)', () => {
  let log: MemoryEventLog;
  let runtime: MemoryStreamRuntime;
  let layer: StreamLayer;

  async function start(joinGraceMs: number): Promise<void> {
    log = createMemoryEventLog();
    runtime = createMemoryStreamRuntime({ log, groupPrefix: 'test' });
    layer = createStreamLayer({ runtime, topics, rule: DEFAULT_COMPLAINT_RULE, joinGraceMs, logger: silentLogger });
    await layer.start();
  }
  afterEach(async () => {
    await layer?.stop();
    await runtime?.close();
  });

  const values = (topic: string) => log.records(topic).map((r) => (r.value === null ? null : (JSON.parse(r.value.toString()) as Record<string, unknown>)));
  const status = async (name: string): Promise<ProcessorStatus> => (await layer.status()).find((s) => s.name === name)!;

  it('re-keys the article customers, enriches every rating, raises complaints and dead-letters the poison', async () => {
    await start(5_000);
    await log.produce(customersJsonl.map((c) => ({ topic: topics.customersCdc, key: JSON.stringify({ id: c.id }), value: JSON.stringify(c) })));
    const ratings = customersJsonl.map((c) => rating(c.id, c.id % 3 === 0 ? 1 : 4));
    await log.produce([...ratings, rating(-1), { topic: topics.ratings, key: 'bad', value: 'this is not json' }, rating(3, 9)]);

    await eventually(() => values(topics.ratingsEnriched).length === 20, '20 enriched ratings');
    const platinumOnes = customersJsonl.filter((c) => c.club_status === 'platinum' && c.id % 3 === 0).length;
    await eventually(() => values(topics.complaints).length === platinumOnes, `${platinumOnes} complaints`);
    await eventually(async () => (await status('enrich-ratings')).totalMessages >= 23, 'all ratings consumed');

    expect(log.records(topics.customersRekeyed).map((r) => r.key?.toString())).toEqual(expect.arrayContaining(customersJsonl.map((c) => String(c.id))));
    expect(new Set(values(topics.ratingsEnriched).map((v) => v!.RATING_ID)).size).toBe(20);
    for (const c of values(topics.complaints)) expect(c).toMatchObject({ CLUB_STATUS: 'platinum', STARS: 1 });
    const dead = log.records(topics.deadLetters);
    expect(dead.map((d) => d.headers[DeadLetterHeader.errorField]).sort()).toEqual(['', 'stars']);
    expect(dead.every((d) => d.headers[DeadLetterHeader.processor] === 'enrich-ratings' && d.headers[DeadLetterHeader.topic] === topics.ratings)).toBe(true);
    expect(dead.find((d) => d.key?.toString() === 'bad')?.value?.toString()).toBe('this is not json');
    expect(await status('enrich-ratings')).toMatchObject({ failedMessages: 2, unmatchedMessages: 1, state: 'RUNNING', sources: [topics.ratings, PENDING] });
    expect((await layer.status()).map((s) => s.name).sort()).toEqual(['enrich-ratings', 'rekey-customers']);
    expect(await status('enrich-ratings')).toMatchObject({ sinks: [topics.ratingsEnriched, topics.complaints, PENDING, topics.deadLetters] });
    expect(layer.ready()).toBe(true);
  });

  it('emits a rating whose customer arrives within the grace period, and counts one beyond it unmatched', async () => {
    await start(600);
    await log.produce([rating(901, 1, { message: 'early bird' }), rating(902, 1, { message: 'never known' })]);
    await eventually(() => log.records(PENDING).length === 2, 'both pending');
    await log.produce([{ topic: topics.customersCdc, key: JSON.stringify({ id: 901 }), value: JSON.stringify({ ...customerToRekeyRecordLower({ ...ruthie, id: 901 }) }) }]);
    await eventually(() => values(topics.ratingsEnriched).some((v) => v!.MESSAGE === 'early bird'), 'the late customer joined');
    await eventually(async () => (await status('enrich-ratings')).unmatchedMessages === 1, 'one unmatched after the grace period');
    expect(values(topics.ratingsEnriched).map((v) => v!.USER_ID)).toEqual([901]);
    expect(values(topics.complaints).map((v) => v!.MESSAGE)).toEqual(['early bird']);
  });

  it('reads the customers table to its end before the first join: no rating of a known customer is unmatched', async () => {
    // Small batches: the table needs many rounds to load, so a join that did not wait would run ahead of it.
    log = createMemoryEventLog({ maxBatchSize: 5 });
    const customers: Customer[] = Array.from({ length: 500 }, (_, i) => ({ ...ruthie, id: 1_000 + i, clubStatus: 'gold' }));
    await log.produce(customers.map((c) => ({ topic: topics.customersRekeyed, key: String(c.id), value: JSON.stringify(customerToRekeyRecord(c)) })));
    await log.produce(customers.map((c) => rating(c.id)));
    runtime = createMemoryStreamRuntime({ log, groupPrefix: 'test' });
    layer = createStreamLayer({ runtime, topics, rule: DEFAULT_COMPLAINT_RULE, joinGraceMs: 0, logger: silentLogger });
    expect(layer.ready()).toBe(false);
    await layer.start();
    await eventually(async () => (await status('enrich-ratings')).totalMessages === 500, 'all 500 ratings');
    expect((await status('enrich-ratings')).unmatchedMessages).toBe(0);
    expect(values(topics.ratingsEnriched)).toHaveLength(500);
    expect(layer.ready()).toBe(true);
  });

  it('applies a customer update to the ratings processed after it', async () => {
    await start(5_000);
    const cdc = (clubStatus: string) => ({ topic: topics.customersCdc, key: JSON.stringify({ id: 5 }), value: JSON.stringify(customerToRekeyRecordLower({ ...ruthie, id: 5, clubStatus })) });
    await log.produce([cdc('bronze')]);
    await eventually(() => layer.customers.get(5)?.clubStatus === 'bronze', 'customer 5 bronze');
    await log.produce([rating(5, 1, { message: 'as bronze' })]);
    await eventually(() => values(topics.ratingsEnriched).length === 1, 'first rating');
    await log.produce([cdc('platinum')]);
    await eventually(() => layer.customers.get(5)?.clubStatus === 'platinum', 'customer 5 platinum');
    await log.produce([rating(5, 1, { message: 'as platinum' })]);
    await eventually(() => values(topics.ratingsEnriched).length === 2, 'second rating');
    expect(values(topics.ratingsEnriched).map((v) => v!.CLUB_STATUS)).toEqual(['bronze', 'platinum']);
    await eventually(() => values(topics.complaints).length === 1, 'one complaint');
    expect(values(topics.complaints)[0]!.MESSAGE).toBe('as platinum');
  });

  it('forgets a deleted customer', async () => {
    await start(0);
    await log.produce([{ topic: topics.customersCdc, key: JSON.stringify({ id: 8 }), value: JSON.stringify(customerToRekeyRecordLower({ ...ruthie, id: 8 })) }]);
    await eventually(() => layer.customers.get(8), 'customer 8');
    await log.produce([{ topic: topics.customersCdc, key: JSON.stringify({ id: 8 }), value: null }]);
    await eventually(() => layer.customers.get(8) === undefined, 'customer 8 deleted');
    expect(log.records(topics.customersRekeyed).at(-1)).toMatchObject({ value: null });
    expect(log.records(topics.customersRekeyed).at(-1)?.key?.toString()).toBe('8');
  });
});

/** A Debezium flat row (lower-case columns) for a customer. */
function customerToRekeyRecordLower(c: Customer): Record<string, unknown> {
  return Object.fromEntries(Object.entries(customerToRekeyRecord(c)).map(([k, v]) => [k.toLowerCase(), v]));
}
