/**
 * The in-memory event log's retention bound: the embedded demo runs for days,
 * so a partition keeps at most `maxRecordsPerPartition` records, `low` moves
 * up as the oldest are dropped, offsets keep increasing, and readers below
 * `low` go on at `low`. Compacted topics are compacted instead.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEventLog } from '../../../../src/adapters/memory/event-log.js';
import { enrichedToRecord } from '../../../../src/domain/index.js';
import { DEFAULT_TOPICS } from '../../../../src/topics.js';
import { encodeCursor } from '../../../../src/api/feed-cursor.js';
import { createLiveFeed } from '../../../../src/api/live-feed.js';
import { collect, eventually, text } from '../../../contract/helpers.js';
import { customer, rating } from '../../api/harness.js';

const one = (topic: string, i: number) => ({ topic, key: null, value: `v${i}`, partition: 0 });

describe('in-memory retention', () => {
  it('drops the oldest records past the bound and moves low up; offsets keep increasing', async () => {
    const log = createMemoryEventLog({ partitions: 1, maxRecordsPerPartition: 10 });
    for (let i = 0; i < 25; i++) await log.produce([one('t', i)]);
    const [o] = await log.offsets('t');
    expect(o!.high).toBe('25');
    expect(Number(o!.low)).toBeGreaterThan(0);
    const kept = log.records('t');
    expect(kept.length).toBeLessThanOrEqual(10);
    expect(kept.length).toBe(25 - Number(o!.low));
    // The records keep their offsets: contiguous from low to high - 1, each with its own value.
    expect(kept.map((r) => r.offset)).toEqual(Array.from({ length: kept.length }, (_, i) => String(Number(o!.low) + i)));
    expect(kept.map((r) => text(r.value))).toEqual(kept.map((r) => `v${r.offset}`));
    await log.close();
  });

  it('bounds a partition at 100,000 records by default', async () => {
    const log = createMemoryEventLog({ partitions: 1 });
    for (let b = 0; b < 11; b++) await log.produce(Array.from({ length: 10_001 }, (_, i) => one('big', b * 10_001 + i)));
    const [o] = await log.offsets('big');
    expect(o!.high).toBe('110011');
    expect(Number(o!.high) - Number(o!.low)).toBeLessThanOrEqual(100_000);
    expect(log.records('big')[0]!.offset).toBe(o!.low);
    await log.close();
  });

  it('starts tails and groups positioned below low at low, and counts lag from low', async () => {
    const log = createMemoryEventLog({ partitions: 1, maxRecordsPerPartition: 10 });
    await log.produce([one('t', 0), one('t', 1), one('t', 2)]);
    const group = log.consume({ groupId: 'g', topics: ['t'], onBatch: async () => undefined });
    await eventually(async () => (await log.lag('g', 't')) === 0, 'g committed 3');
    await (await group).stop();
    expect((await log.committed('g', 't')).get(0)).toBe('3');
    for (let i = 3; i < 40; i++) await log.produce([one('t', i)]);
    const low = Number((await log.offsets('t'))[0]!.low);
    expect(low).toBeGreaterThan(3);
    // The group's committed offset is gone: lag counts what is still there.
    expect(await log.lag('g', 't')).toBe(40 - low);

    const seen: string[] = [];
    const again = await log.consume({ groupId: 'g', topics: ['t'], onBatch: async (rs) => void seen.push(...rs.map((r) => r.offset)) });
    await eventually(async () => (await log.lag('g', 't')) === 0, 'g caught up');
    await again.stop();
    expect(seen).toEqual(Array.from({ length: 40 - low }, (_, i) => String(low + i)));

    const tail = await collect(log, 't', new Map([[0, '1']]));
    await tail.atLeast(40 - low);
    await tail.stop();
    expect(tail.records[0]!.offset).toBe(String(low));
    expect(log.read('t', 0, 0, 2).map((r) => r.offset)).toEqual([String(low), String(low + 1)]);
    await log.close();
  });

  it('compacts a compacted topic instead of dropping: the latest record of every key stays, however many updates came', async () => {
    const log = createMemoryEventLog({ partitions: 1, maxRecordsPerPartition: 10 });
    await log.ensureTopics([{ name: 'table', partitions: 1, compacted: true }]);
    // 12 keys, more than the bound, updated 20 times each.
    for (let round = 0; round < 20; round++) await log.produce(Array.from({ length: 12 }, (_, k) => ({ topic: 'table', key: `k${k}`, value: `r${round}`, partition: 0 })));
    const kept = log.records('table');
    expect(kept.length).toBeLessThan(30);
    const latest = new Map(kept.map((r) => [text(r.key), text(r.value)]));
    expect(latest.size).toBe(12);
    expect(new Set(latest.values())).toEqual(new Set(['r19']));
    expect((await log.offsets('table'))[0]).toEqual({ partition: 0, low: '0', high: '240' });
    const c = await collect(log, 'table');
    await c.atLeast(kept.length);
    await c.stop();
    expect(c.records.map((r) => r.offset)).toEqual(kept.map((r) => r.offset));
    await log.close();
  });

  it('lets the live feed refuse a cursor retention overtook with CURSOR_EXPIRED, and replay one it did not', async () => {
    const log = createMemoryEventLog({ partitions: 1, maxRecordsPerPartition: 10 });
    const topics = { complaints: DEFAULT_TOPICS.complaints, ratingsEnriched: DEFAULT_TOPICS.ratingsEnriched, acknowledgements: DEFAULT_TOPICS.acknowledgements };
    const alice = customer(1);
    for (let id = 1; id <= 30; id++) await log.produce([{ topic: topics.complaints, key: String(id), value: JSON.stringify(enrichedToRecord(rating(id, alice))) }]);
    const low = Number((await log.offsets(topics.complaints))[0]!.low);
    expect(low).toBeGreaterThan(5);
    const feed = createLiveFeed({ log, topics });
    try {
      await expect(feed.complaints({ after: encodeCursor(new Map([[0, '5']])) })).rejects.toMatchObject({ code: 'CURSOR_EXPIRED' });
      const sub = await feed.complaints({ after: encodeCursor(new Map([[0, '28']])) });
      const missed = [(await sub.next()).value, (await sub.next()).value];
      expect(missed.map((e) => e?.offset)).toEqual(['28', '29']);
      await sub.return?.();
    } finally {
      await feed.stop();
      await log.close();
    }
  });
});
