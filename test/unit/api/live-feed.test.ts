import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryEventLog, type MemoryEventLog } from '../../../src/adapters/memory/event-log.js';
import { acknowledgementToRecord, enrichedToRecord, type EnrichedRating } from '../../../src/domain/index.js';
import type { EventLog, PartitionOffsets, TailOptions } from '../../../src/ports/event-log.js';
import { DEFAULT_TOPICS } from '../../../src/topics.js';
import { decodeCursor, encodeCursor } from '../../../src/api/feed-cursor.js';
import { createLiveFeed, type ComplaintEvent, type LiveFeed } from '../../../src/api/live-feed.js';
import { customer, rating, until } from './harness.js';

const topics = { complaints: DEFAULT_TOPICS.complaints, ratingsEnriched: DEFAULT_TOPICS.ratingsEnriched, acknowledgements: DEFAULT_TOPICS.acknowledgements };
const alice = customer(1);

/** The memory log, counting tails per topic and optionally reporting a low watermark. */
function instrumented(log: MemoryEventLog, low: Record<number, string> = {}): EventLog & { tails: Record<string, number> } {
  const tails: Record<string, number> = {};
  return Object.assign(Object.create(log) as EventLog, {
    tails,
    tail: (o: TailOptions) => {
      tails[o.topic] = (tails[o.topic] ?? 0) + 1;
      return log.tail(o);
    },
    offsets: async (topic: string): Promise<readonly PartitionOffsets[]> => (await log.offsets(topic)).map((p) => ({ ...p, low: low[p.partition] ?? p.low })),
  });
}

async function raise(log: EventLog, ids: readonly number[], over: Partial<EnrichedRating> = {}): Promise<void> {
  await log.produce(ids.map((id) => ({ topic: topics.complaints, key: String(id), value: JSON.stringify(enrichedToRecord(rating(id, alice, over))) })));
}

async function take<T>(it: AsyncIterator<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) throw new Error(`iterator ended after ${out.length} of ${n}`);
    out.push(r.value);
  }
  return out;
}

const ids = (events: readonly ComplaintEvent[]): number[] => events.map((e) => Number(e.complaint.id));

describe('live feed', () => {
  let log: MemoryEventLog;
  let feed: LiveFeed;
  afterEach(async () => {
    await feed?.stop();
    await log?.close();
  });

  it('uses one tail per topic however many subscribers there are', async () => {
    log = createMemoryEventLog({ partitions: 3 });
    const counted = instrumented(log);
    feed = createLiveFeed({ log: counted, topics });
    const subs = await Promise.all(Array.from({ length: 25 }, () => feed.complaints()));
    const ratingSubs = await Promise.all(Array.from({ length: 5 }, () => feed.ratings()));
    expect(counted.tails).toEqual({ [topics.complaints]: 1, [topics.ratingsEnriched]: 1 });
    await raise(log, [1, 2]);
    for (const s of subs) expect(ids(await take(s, 2)).sort()).toEqual([1, 2]);
    expect(feed.subscriberCount('complaints')).toBe(25);
    expect(feed.subscriberCount('ratings')).toBe(5);
    await Promise.all([...subs, ...ratingSubs].map((s) => s.return?.()));
  });

  it('removes the listener when a subscriber returns, also while it waits for an event', async () => {
    log = createMemoryEventLog();
    feed = createLiveFeed({ log, topics });
    const a = await feed.complaints();
    const b = await feed.acknowledgements();
    expect(feed.subscriberCount()).toBe(2);
    const pending = a.next();
    await a.return?.();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(feed.subscriberCount('complaints')).toBe(0);
    await b.return?.();
    expect(feed.subscriberCount()).toBe(0);
  });

  it('ends a subscriber whose buffer overflows with SLOW_CONSUMER, and keeps serving the others', async () => {
    log = createMemoryEventLog({ partitions: 1 });
    feed = createLiveFeed({ log, topics, bufferSize: 5 });
    let overflowed: unknown;
    const slow = await feed.complaints({ onOverflow: (e) => (overflowed = e) });
    const fast = await feed.complaints();
    // The fast one reads each event before the next is produced; the slow one never reads.
    for (let i = 1; i <= 20; i++) {
      await raise(log, [i]);
      expect(ids(await take(fast, 1))).toEqual([i]);
    }
    expect(overflowed).toMatchObject({ code: 'SLOW_CONSUMER' });
    expect(feed.subscriberCount('complaints')).toBe(1); // the fast one only
    await expect(slow.next()).rejects.toMatchObject({ code: 'SLOW_CONSUMER' });
    expect(await slow.next()).toEqual({ value: undefined, done: true });
  });

  it('filters before buffering, so events a subscriber does not want cost it nothing', async () => {
    log = createMemoryEventLog({ partitions: 1 });
    feed = createLiveFeed({ log, topics, bufferSize: 2 });
    const onlyFive = await feed.ratings({ filter: (r) => r.stars === 5 });
    await log.produce(Array.from({ length: 10 }, (_, i) => ({ topic: topics.ratingsEnriched, key: '1', value: JSON.stringify(enrichedToRecord(rating(i, alice, { stars: i === 9 ? 5 : 1 }))) })));
    expect((await take(onlyFive, 1)).map((r) => r.ratingId)).toEqual([9]);
    await onlyFive.return?.();
  });

  it('delivers acknowledgements, optionally of one complaint, and skips records off contract', async () => {
    log = createMemoryEventLog({ partitions: 1 });
    feed = createLiveFeed({ log, topics });
    const all = await feed.acknowledgements();
    const one = await feed.acknowledgements({ complaintId: '7' });
    const ack = (id: string) => ({
      topic: topics.acknowledgements,
      key: id,
      value: JSON.stringify(acknowledgementToRecord({ complaintId: id, by: 'alice', byName: null, at: new Date().toISOString(), via: 'graphql', note: null })),
    });
    await log.produce([{ topic: topics.acknowledgements, key: 'x', value: 'not json' }, ack('6'), ack('7')]);
    expect((await take(all, 2)).map((a) => a.complaintId)).toEqual(['6', '7']);
    expect((await take(one, 1)).map((a) => a.complaintId)).toEqual(['7']);
  });

  it('delivers an acknowledgement published twice once per subscriber, remembering a bounded number', async () => {
    log = createMemoryEventLog({ partitions: 1 });
    feed = createLiveFeed({ log, topics, recentAcknowledgements: 3 });
    const a = await feed.acknowledgements();
    const b = await feed.acknowledgements({ complaintId: '7' });
    const ack = (id: string, at: string, by = 'alice') => ({
      topic: topics.acknowledgements,
      key: id,
      value: JSON.stringify(acknowledgementToRecord({ complaintId: id, by, byName: null, at, via: 'graphql', note: null })),
    });
    const t1 = '2024-01-01T00:00:01.000Z';
    const t2 = '2024-01-01T00:00:02.000Z';
    // A republish (sweeper, a later call) and a produce retried after a timeout: the same acknowledgement again.
    await log.produce([ack('7', t1)]);
    await log.produce([ack('7', t1), ack('8', t1)]);
    await log.produce([ack('7', t1, 'alice-again')]);
    await log.produce([ack('9', t2)]);
    expect((await take(a, 3)).map((x) => `${x.complaintId}@${x.at}`)).toEqual([`7@${t1}`, `8@${t1}`, `9@${t2}`]);
    expect((await take(b, 1)).map((x) => x.complaintId)).toEqual(['7']);
    // Bounded: after three others, 7@t1 is forgotten (and would be delivered again).
    await log.produce([ack('10', t2), ack('11', t2), ack('7', t1)]);
    expect((await take(a, 3)).map((x) => x.complaintId)).toEqual(['10', '11', '7']);
    expect((await take(b, 1)).map((x) => x.complaintId)).toEqual(['7']);
  });

  it('gives every event a cursor; resuming from it replays exactly what was missed, then goes on live', async () => {
    log = createMemoryEventLog({ partitions: 3 });
    feed = createLiveFeed({ log, topics });
    const first = await feed.complaints();
    const witness = await feed.complaints();
    await raise(log, [1, 2, 3]);
    const seen = await take(first, 3);
    const cursor = seen[2]!.cursor;
    await first.return?.();

    await raise(log, [4, 5, 6]); // missed while away
    await take(witness, 6); // the hub has passed them: they can only come from the replay
    const resumed = await feed.complaints({ after: cursor });
    await raise(log, [7, 8]); // live after resuming
    const got = await take(resumed, 5);
    expect(ids(got).sort((a, b) => a - b)).toEqual([4, 5, 6, 7, 8]);
    expect(
      got
        .filter((e) => e.replayed)
        .map((e) => Number(e.complaint.id))
        .sort(),
    ).toEqual([4, 5, 6]);
    expect(
      got
        .filter((e) => !e.replayed)
        .map((e) => Number(e.complaint.id))
        .sort(),
    ).toEqual([7, 8]);
    // Per partition, offsets strictly increase: no duplicate, no reordering at the seam.
    const byPartition = new Map<number, number[]>();
    for (const e of got) byPartition.set(e.partition, [...(byPartition.get(e.partition) ?? []), Number(e.offset)]);
    for (const offs of byPartition.values()) expect(offs).toEqual([...offs].sort((a, b) => a - b));
    await resumed.return?.();
  });

  it('gives live subscribers one shared event object, its cursor the hub position, resumable like any other', async () => {
    log = createMemoryEventLog({ partitions: 3 });
    feed = createLiveFeed({ log, topics });
    const subs = await Promise.all(Array.from({ length: 3 }, () => feed.complaints()));
    await raise(log, [1, 2, 3]);
    const got = await Promise.all(subs.map((s) => take(s, 3)));
    for (let i = 0; i < 3; i++) {
      expect(got[1]![i]).toBe(got[0]![i]); // the same object: one execution, one serialization downstream
      expect(got[2]![i]).toBe(got[0]![i]);
    }
    const last = got[0]![2]!;
    expect([...decodeCursor(last.cursor)].length).toBe(3);
    await Promise.all(subs.map((s) => s.return?.()));
    await raise(log, [4, 5]);
    const resumed = await feed.complaints({ after: last.cursor });
    expect(ids(await take(resumed, 2)).sort()).toEqual([4, 5]);
    await resumed.return?.();
  });

  it('does not repeat events to a subscriber whose cursor is ahead of this instance (issued by a faster one)', async () => {
    log = createMemoryEventLog({ partitions: 1 });
    await raise(log, [1, 2, 3]);
    // A slow instance: its hub starts where the log was when it started, then sees the rest live.
    const gated = gatedTail(log);
    feed = createLiveFeed({ log: gated, topics });
    const early = await feed.complaints();
    await raise(log, [4]);
    // A cursor from an instance that already delivered 1..4 (next offset 4), while this hub is still at 3.
    const ahead = encodeCursor(new Map([[0, '4']]));
    const resumed = await feed.complaints({ after: ahead });
    gated.open();
    expect(ids(await take(early, 1))).toEqual([4]);
    await raise(log, [5]);
    expect(ids(await take(early, 1))).toEqual([5]);
    expect(ids(await take(resumed, 1))).toEqual([5]); // not 4 again
    await early.return?.();
    await resumed.return?.();
  });

  it('has no gap and no duplicate when events keep arriving while a subscriber resumes', async () => {
    log = createMemoryEventLog({ partitions: 3, maxBatchSize: 7 });
    feed = createLiveFeed({ log, topics, bufferSize: 10_000 });
    const first = await feed.complaints();
    await raise(log, [1]);
    const [one] = await take(first, 1);
    await first.return?.();
    await raise(
      log,
      Array.from({ length: 200 }, (_, i) => 2 + i),
    );
    const producing = (async () => {
      for (let i = 0; i < 20; i++)
        await raise(
          log,
          Array.from({ length: 10 }, (_, j) => 1_000 + i * 10 + j),
        );
    })();
    const resumed = await feed.complaints({ after: one!.cursor });
    await producing;
    const got = ids(await take(resumed, 400));
    expect(new Set(got).size).toBe(400);
    expect([...got].sort((a, b) => a - b)).toEqual([...Array.from({ length: 200 }, (_, i) => 2 + i), ...Array.from({ length: 200 }, (_, i) => 1_000 + i)]);
    await resumed.return?.();
  });

  it('finishes a replay that ends on a transaction marker without waiting for another record', async () => {
    log = createMemoryEventLog();
    const txLog = transactionalLog();
    feed = createLiveFeed({ log: txLog, topics });
    const first = await feed.complaints();
    const witness = await feed.complaints();
    await txLog.commit([1]); // record at offset 0, commit marker at 1
    const [one] = await take(first, 1);
    expect([...decodeCursor(one!.cursor)]).toEqual([[0, '1']]);
    await first.return?.();
    await txLog.commit([2]); // offsets 2 and 3: the hub is at 4, a marker's offset + 1
    await take(witness, 2);
    const resumed = await feed.complaints({ after: one!.cursor });
    const [two] = await take(resumed, 1);
    expect(two).toMatchObject({ replayed: true, complaint: { id: '2' } });
    // The replay tail stops at the marker (onPosition), not at the next record: only the hub's is left.
    await until(() => txLog.openTails() === 1, 'the replay tail to stop', 2_000);
    await txLog.commit([3]);
    expect(await take(resumed, 1)).toMatchObject([{ replayed: false, complaint: { id: '3' } }]);
    await resumed.return?.();
    await witness.return?.();
  });

  describe('replays from a cursor, capped per instance', () => {
    /**
     * The memory log where every tail but the hub's (the first) is a replay;
     * replays deliver nothing until `open()`, and their concurrency is tracked.
     */
    function gatedReplays(inner: MemoryEventLog): EventLog & { open(): void; running(): number; max(): number; started(): number } {
      let tails = 0;
      let running = 0;
      let max = 0;
      let started = 0;
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      return Object.assign(Object.create(inner) as EventLog, {
        tail: async (o: TailOptions) => {
          if (o.topic !== topics.complaints || tails++ === 0) return inner.tail(o);
          started++;
          max = Math.max(max, ++running);
          const t = await inner.tail({
            ...o,
            onBatch: async (records) => {
              await gate;
              await o.onBatch(records);
            },
          });
          let stopped = false;
          return {
            stop: async () => {
              if (!stopped) running--;
              stopped = true;
              await t.stop();
            },
          };
        },
        open: () => release(),
        running: () => running,
        max: () => max,
        started: () => started,
      });
    }

    it('runs at most maxConcurrentReplays replay readers; the rest queue and still get every missed event once, then live ones', async () => {
      log = createMemoryEventLog({ partitions: 3 });
      const gated = gatedReplays(log);
      feed = createLiveFeed({ log: gated, topics, maxConcurrentReplays: 4 });
      const first = await feed.complaints();
      await raise(log, [1]);
      const [one] = await take(first, 1);
      await first.return?.();
      await raise(log, [2, 3, 4, 5, 6]); // missed by all ten
      const resuming = Array.from({ length: 10 }, () => feed.complaints({ after: one!.cursor }));
      let attached = 0;
      for (const r of resuming) void r.then(() => attached++);
      await until(() => gated.running() === 4 && attached === 4, 'four replays to start');
      // Queued subscribers hold no reader, and nothing is lost while they wait:
      // a live witness got 7 and 8 (the hub delivered them), and still only the
      // first four attached. gated.max() below covers the whole test.
      const witness = await feed.complaints();
      await raise(log, [7, 8]);
      expect(ids(await take(witness, 2)).sort((a, b) => a - b)).toEqual([7, 8]);
      await witness.return?.();
      expect(gated.running()).toBe(4);
      expect(attached).toBe(4);
      gated.open();
      const subs = await Promise.all(resuming);
      await raise(log, [9]);
      for (const sub of subs) {
        const got = ids(await take(sub, 8));
        expect([...got].sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
      }
      expect(gated.started()).toBe(10);
      expect(gated.max()).toBe(4);
      await until(() => gated.running() === 0, 'every replay reader to stop');
      await Promise.all(subs.map((s) => s.return?.()));
    });

    it('refuses a resuming subscriber with a retriable SERVICE_UNAVAILABLE when no slot came free in time, and frees slots of subscribers that left', async () => {
      log = createMemoryEventLog({ partitions: 1 });
      const gated = gatedReplays(log);
      feed = createLiveFeed({ log: gated, topics, maxConcurrentReplays: 1, replayQueueTimeoutMs: 30 });
      const first = await feed.complaints();
      await raise(log, [1, 2]);
      const [one] = await take(first, 1);
      const holder = await feed.complaints({ after: one!.cursor }); // replaying, stuck at the gate
      await expect(feed.complaints({ after: one!.cursor })).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', retriable: true });
      // Without a cursor nothing is replayed, so no slot is needed.
      const live = await feed.complaints();
      await live.return?.();
      // The holder leaves mid-replay: its slot goes to the next one.
      const waiting = feed.complaints({ after: one!.cursor });
      await holder.return?.();
      gated.open();
      const next = await waiting;
      expect(ids(await take(next, 1))).toEqual([2]);
      await next.return?.();
      await first.return?.();
    });

    it('rejects subscribers waiting for a slot when the feed stops', async () => {
      log = createMemoryEventLog({ partitions: 1 });
      const gated = gatedReplays(log);
      feed = createLiveFeed({ log: gated, topics, maxConcurrentReplays: 1 });
      const first = await feed.complaints();
      await raise(log, [1, 2]);
      const [one] = await take(first, 1);
      await feed.complaints({ after: one!.cursor });
      const waiting = feed.complaints({ after: one!.cursor });
      gated.open();
      await feed.stop();
      await expect(waiting).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    });
  });

  it('refuses a malformed cursor with BAD_USER_INPUT and an expired one with CURSOR_EXPIRED', async () => {
    log = createMemoryEventLog({ partitions: 2 });
    feed = createLiveFeed({ log: instrumented(log, { 0: '5' }), topics });
    await expect(feed.complaints({ after: 'garbage!' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    await expect(feed.complaints({ after: Buffer.from('{"v":1,"p":{"0":-1}}').toString('base64url') })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    await expect(
      feed.complaints({
        after: encodeCursor(
          new Map([
            [0, '2'],
            [1, '0'],
          ]),
        ),
      }),
    ).rejects.toMatchObject({ code: 'CURSOR_EXPIRED' });
    await expect(
      feed.complaints({
        after: encodeCursor(
          new Map([
            [0, '99'],
            [1, '0'],
          ]),
        ),
      }),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(feed.subscriberCount()).toBe(0);
  });

  it('encodes cursors as opaque base64url position vectors', () => {
    const c = encodeCursor(
      new Map([
        [2, '7'],
        [0, '12'],
      ]),
    );
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect([...decodeCursor(c)]).toEqual([
      [0, '12'],
      [2, '7'],
    ]);
  });
});

/**
 * A one-partition complaints log as Kafka has it with transactions: each
 * commit writes its records and then a marker, which takes an offset but is
 * never delivered; the reader reports its position past markers (onPosition).
 */
function transactionalLog(): EventLog & { commit(ids: readonly number[]): Promise<void>; openTails(): number } {
  const entries: ({ offset: number; value: string } | { offset: number; marker: true })[] = [];
  const wakers = new Set<() => void>();
  let tails = 0;
  const fake = {
    kind: 'memory' as const,
    async ensureTopics() {},
    async produce() {
      throw new Error('use commit()');
    },
    async offsets(): Promise<readonly PartitionOffsets[]> {
      return [{ partition: 0, low: '0', high: String(entries.length) }];
    },
    async tail(o: TailOptions) {
      let next = o.from === 'earliest' ? 0 : o.from === 'latest' ? entries.length : Number(o.from.get(0) ?? 0);
      let stopped = false;
      tails++;
      const loop = (async () => {
        while (!stopped) {
          if (next >= entries.length) {
            await new Promise<void>((r) => wakers.add(r));
            continue;
          }
          const batch = entries.slice(next);
          next = entries.length;
          const records = batch.flatMap((e) =>
            'value' in e ? [{ topic: topics.complaints, partition: 0, offset: String(e.offset), key: null, value: Buffer.from(e.value), timestamp: Date.now(), headers: {} }] : [],
          );
          if (records.length > 0) await o.onBatch(records);
          o.onPosition?.(0, String(next));
        }
      })();
      return {
        stop: async () => {
          if (!stopped) tails--;
          stopped = true;
          for (const w of wakers) w();
          await loop;
        },
      };
    },
    async consume(): Promise<never> {
      throw new Error('not used');
    },
    async lag() {
      return 0;
    },
    async committed() {
      return new Map<number, string>();
    },
    async ping() {
      return true;
    },
    async close() {},
    async commit(ids: readonly number[]) {
      for (const id of ids) entries.push({ offset: entries.length, value: JSON.stringify(enrichedToRecord(rating(id, alice))) });
      entries.push({ offset: entries.length, marker: true });
      const ws = [...wakers];
      wakers.clear();
      setImmediate(() => ws.forEach((w) => w()));
    },
    openTails: () => tails,
  };
  return fake;
}

/** A log whose tails that start from explicit positions deliver nothing until `open()`: a hub lagging behind the log. */
function gatedTail(log: MemoryEventLog): EventLog & { open(): void } {
  let opened = false;
  const waiting: (() => void)[] = [];
  return Object.assign(Object.create(log) as EventLog, {
    tail: (o: TailOptions) =>
      log.tail({
        ...o,
        onBatch: async (records) => {
          if (!opened) await new Promise<void>((r) => waiting.push(r));
          return o.onBatch(records);
        },
      }),
    open() {
      opened = true;
      for (const w of waiting.splice(0)) w();
    },
  });
}
