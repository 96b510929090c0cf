/**
 * The EventLog contract (src/ports/event-log.ts), as a suite any
 * implementation runs: `test/unit/adapters/memory/event-log.test.ts` on the in-memory
 * log, `test/integration/kafka-event-log.test.ts` on real Kafka.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventLog, LogRecord } from '../../src/ports/event-log.js';
import { collect, deferred, eventually, text } from './helpers.js';

export interface EventLogHarness {
  /** A log; calls may return the same shared instance. */
  readonly log: EventLog;
  /** A fresh log instance of its own (for closing it). */
  fresh(): Promise<EventLog>;
  /** A topic or group name no other test uses. */
  name(prefix: string): string;
  close(): Promise<void>;
}

export function eventLogContract(kind: string, make: () => Promise<EventLogHarness>): void {
  describe(`EventLog contract (${kind})`, () => {
    let h: EventLogHarness;
    let log: EventLog;
    beforeAll(async () => {
      h = await make();
      log = h.log;
    });
    afterAll(async () => {
      await h?.close();
    });

    async function topic(prefix: string, partitions = 3): Promise<string> {
      const t = h.name(prefix);
      await log.ensureTopics([{ name: t, partitions }]);
      return t;
    }

    it('creates missing topics with the asked partitions and leaves existing ones as they are', async () => {
      const t = h.name('ensure');
      await log.ensureTopics([{ name: t, partitions: 2 }]);
      await log.ensureTopics([
        { name: t, partitions: 5 },
        { name: `${t}-c`, partitions: 1, compacted: true },
      ]);
      expect(await log.offsets(t)).toEqual([
        { partition: 0, low: '0', high: '0' },
        { partition: 1, low: '0', high: '0' },
      ]);
      expect(await log.offsets(`${t}-c`)).toEqual([{ partition: 0, low: '0', high: '0' }]);
    });

    it('makes produced records readable with key, value, headers, timestamp and tombstones intact', async () => {
      const t = await topic('roundtrip', 1);
      await log.produce([
        { topic: t, key: 'k1', value: '{"a":1}', headers: { h: 'v', other: 'ü' }, timestamp: 1_528_800_546_808 },
        { topic: t, key: Buffer.from([0, 1, 2]), value: null },
        { topic: t, key: null, value: Buffer.from('not json') },
      ]);
      const c = await collect(log, t);
      const [a, b, d] = await c.atLeast(3);
      await c.stop();
      expect(a).toMatchObject({ topic: t, partition: 0, offset: '0', headers: { h: 'v', other: 'ü' }, timestamp: 1_528_800_546_808 });
      expect(text(a!.key)).toBe('k1');
      expect(text(a!.value)).toBe('{"a":1}');
      expect(b!.key).toEqual(Buffer.from([0, 1, 2]));
      expect(b!.value).toBeNull();
      expect(d!.key).toBeNull();
      expect(text(d!.value)).toBe('not json');
      expect(await log.offsets(t)).toEqual([{ partition: 0, low: '0', high: '3' }]);
    });

    it('puts records with the same key on the same partition, in order', async () => {
      const t = await topic('keys', 3);
      await log.produce(Array.from({ length: 30 }, (_, i) => ({ topic: t, key: `user-${i % 3}`, value: String(i) })));
      const c = await collect(log, t);
      const records = await c.atLeast(30);
      await c.stop();
      for (const k of ['user-0', 'user-1', 'user-2']) {
        const mine = records.filter((r) => text(r.key) === k);
        expect(new Set(mine.map((r) => r.partition)).size).toBe(1);
        expect(mine.map((r) => Number(text(r.value)))).toEqual([...mine.map((r) => Number(text(r.value)))].sort((x, y) => x - y));
      }
      const high = (await log.offsets(t)).reduce((s, o) => s + Number(o.high), 0);
      expect(high).toBe(30);
    });

    it('tails from latest: only records produced after tail() resolved', async () => {
      const t = await topic('latest', 2);
      await log.produce([{ topic: t, key: 'a', value: 'old' }]);
      const c = await collect(log, t, 'latest');
      await log.produce([
        { topic: t, key: 'a', value: 'new-1' },
        { topic: t, key: 'b', value: 'new-2' },
      ]);
      const records = await c.atLeast(2);
      await c.stop();
      expect(records.map((r) => text(r.value)).sort()).toEqual(['new-1', 'new-2']);
    });

    it('tails from given offsets, unlisted partitions from the earliest', async () => {
      const t = await topic('from-map', 2);
      await log.produce(Array.from({ length: 6 }, (_, i) => ({ topic: t, value: `p0-${i}`, partition: 0, key: null })));
      await log.produce(Array.from({ length: 2 }, (_, i) => ({ topic: t, value: `p1-${i}`, partition: 1, key: null })));
      const c = await collect(log, t, new Map([[0, '4']]));
      const records = await c.atLeast(4);
      await c.stop();
      expect(records.filter((r) => r.partition === 0).map((r) => text(r.value))).toEqual(['p0-4', 'p0-5']);
      expect(records.filter((r) => r.partition === 1).map((r) => text(r.value))).toEqual(['p1-0', 'p1-1']);
    });

    it('gives every tail every record (fan-out), and reports positions up to the end offsets', async () => {
      const t = await topic('fanout', 2);
      await log.produce(Array.from({ length: 10 }, (_, i) => ({ topic: t, key: String(i), value: String(i) })));
      const ends = await log.offsets(t);
      const positions = new Map<number, string>();
      const reached = deferred();
      const c1 = await collect(log, t, 'earliest', {
        onPosition: (p, next) => {
          positions.set(p, next);
          if (ends.every((e) => BigInt(positions.get(e.partition) ?? '0') >= BigInt(e.high) || e.high === '0')) reached.resolve();
        },
      });
      const c2 = await collect(log, t);
      await Promise.all([c1.atLeast(10), c2.atLeast(10), reached.promise]);
      await Promise.all([c1.stop(), c2.stop()]);
      expect(c1.records).toHaveLength(10);
      expect(c2.records).toHaveLength(10);
    });

    it('skips a batch a tail handler throws on and goes on with the next', async () => {
      const t = await topic('tail-throw', 1);
      const seen: string[] = [];
      let thrown = false;
      const got = deferred();
      const handle = await log.tail({
        topic: t,
        from: 'earliest',
        onBatch: (records) => {
          if (!thrown) {
            thrown = true;
            throw new Error('boom');
          }
          seen.push(...records.map((r) => text(r.value) ?? ''));
          if (seen.includes('second')) got.resolve();
        },
      });
      await log.produce([{ topic: t, key: null, value: 'first' }]);
      await eventually(() => thrown, 'the first batch');
      await log.produce([{ topic: t, key: null, value: 'second' }]);
      await got.promise;
      await handle.stop();
      expect(seen).toEqual(['second']);
    });

    it('delivers each record once to a group and commits after the handler resolved', async () => {
      const t = await topic('group', 3);
      const group = h.name('g');
      await log.produce(Array.from({ length: 20 }, (_, i) => ({ topic: t, key: `k${i}`, value: String(i) })));
      const seen: LogRecord[] = [];
      const all = deferred();
      const c = await log.consume({
        groupId: group,
        topics: [t],
        onBatch: async (records) => {
          seen.push(...records);
          if (seen.length >= 20) all.resolve();
        },
      });
      await all.promise;
      await eventually(async () => (await log.lag(group, t)) === 0, 'lag 0');
      await c.stop();
      expect(seen.map((r) => Number(text(r.value))).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    });

    it("reports a group's committed offsets per partition, leaving out partitions it committed nothing on", async () => {
      const t = await topic('committed', 3);
      const group = h.name('g');
      expect(await log.committed(group, t)).toEqual(new Map());
      await log.produce([...Array.from({ length: 3 }, (_, i) => ({ topic: t, key: null, value: `p0-${i}`, partition: 0 })), { topic: t, key: null, value: 'p2-0', partition: 2 }]);
      let seen = 0;
      const c = await log.consume({ groupId: group, topics: [t], onBatch: async (rs) => void (seen += rs.length) });
      await eventually(async () => seen >= 4 && (await log.lag(group, t)) === 0, 'lag 0');
      await c.stop();
      const committed = await log.committed(group, t);
      expect(committed.get(0)).toBe('3');
      expect(committed.get(2)).toBe('1');
      // Partition 1 was empty: nothing (or its end, 0) committed there.
      expect(['0', undefined]).toContain(committed.get(1));
    });

    it('redelivers a batch whose handler threw, after a backoff, committing nothing meanwhile', async () => {
      const t = await topic('redeliver', 1);
      const group = h.name('g');
      await log.produce([
        { topic: t, key: null, value: 'a' },
        { topic: t, key: null, value: 'b' },
      ]);
      const attempts: string[][] = [];
      let lagWhileFailing = -1;
      const done = deferred();
      const c = await log.consume({
        groupId: group,
        topics: [t],
        onBatch: async (records) => {
          attempts.push(records.map((r) => text(r.value) ?? ''));
          if (attempts.length === 1) {
            lagWhileFailing = await log.lag(group, t);
            throw new Error('downstream is down');
          }
          if (attempts.flat().filter((v) => v === 'b').length >= 2) done.resolve();
        },
      });
      await done.promise;
      await eventually(async () => (await log.lag(group, t)) === 0, 'lag 0');
      await c.stop();
      expect(lagWhileFailing).toBe(2);
      expect(attempts[0]).toEqual(['a', 'b']);
      expect(attempts.slice(1).flat()).toEqual(['a', 'b']);
    });

    it('commits a batch taken in ({ done }) only once done resolves, while the other partitions go on', async () => {
      const t = await topic('taken', 2);
      const group = h.name('g');
      await log.produce([
        { topic: t, key: null, value: 'p0', partition: 0 },
        { topic: t, key: null, value: 'p1', partition: 1 },
      ]);
      const gate = deferred();
      const seen: string[] = [];
      const c = await log.consume({
        groupId: group,
        topics: [t],
        onBatch: async (records) => {
          seen.push(...records.map((r) => text(r.value) ?? ''));
          if (records[0]?.partition === 0) return { done: gate.promise };
        },
      });
      try {
        // Partition 1's commit is the sentinel: the consumer went on past partition 0's batch, which is taken and not done.
        await eventually(async () => (await log.committed(group, t)).get(1) === '1', 'partition 1 committed');
        expect(seen.sort()).toEqual(['p0', 'p1']);
        expect(['0', undefined]).toContain((await log.committed(group, t)).get(0));
        gate.resolve();
        await eventually(async () => (await log.committed(group, t)).get(0) === '1', 'partition 0 committed once done');
      } finally {
        gate.resolve();
        await c.stop();
      }
    });

    it('delivers a batch taken in again when its done rejects, and finishes what it took in before stopping', async () => {
      const t = await topic('taken-fail', 1);
      const group = h.name('g');
      await log.produce(['a', 'b'].map((v) => ({ topic: t, key: null, value: v })));
      const attempts: string[][] = [];
      const again = deferred();
      const last = deferred();
      const c = await log.consume({
        groupId: group,
        topics: [t],
        onBatch: async (records) => {
          attempts.push(records.map((r) => text(r.value) ?? ''));
          if (attempts.length === 1) return { done: Promise.reject(new Error('the index is down')) };
          if (attempts.flat().filter((v) => v === 'b').length >= 2) again.resolve();
          // Taken in, done only later: stop() must wait for it and commit it.
          return { done: last.promise };
        },
      });
      await again.promise;
      expect(attempts[0]).toEqual(['a', 'b']);
      expect(attempts.slice(1).flat()).toEqual(['a', 'b']);
      expect(await log.lag(group, t)).toBe(2);
      const stopped = c.stop();
      last.resolve();
      await stopped;
      expect(await log.lag(group, t)).toBe(0);
    });

    it('continues a group from its committed offsets; a new group starts at the beginning or, if asked, the end', async () => {
      const t = await topic('resume', 1);
      const group = h.name('g');
      await log.produce([1, 2, 3].map((i) => ({ topic: t, key: null, value: String(i) })));
      const first: string[] = [];
      const got3 = deferred();
      let c = await log.consume({
        groupId: group,
        topics: [t],
        onBatch: async (rs) => {
          first.push(...rs.map((r) => text(r.value) ?? ''));
          if (first.length >= 3) got3.resolve();
        },
      });
      await got3.promise;
      await eventually(async () => (await log.lag(group, t)) === 0, 'lag 0');
      await c.stop();
      await log.produce([4, 5].map((i) => ({ topic: t, key: null, value: String(i) })));
      expect(await log.lag(group, t)).toBe(2);

      const second: string[] = [];
      const got2 = deferred();
      c = await log.consume({
        groupId: group,
        topics: [t],
        onBatch: async (rs) => {
          second.push(...rs.map((r) => text(r.value) ?? ''));
          if (second.length >= 2) got2.resolve();
        },
      });
      await got2.promise;
      await c.stop();
      expect(second).toEqual(['4', '5']);

      const fromEnd: string[] = [];
      const got1 = deferred();
      const late = await log.consume({
        groupId: h.name('g-end'),
        topics: [t],
        fromBeginning: false,
        onBatch: async (rs) => {
          fromEnd.push(...rs.map((r) => text(r.value) ?? ''));
          got1.resolve();
        },
      });
      // The group exists once it has an assignment; a record produced then is the first it sees.
      await eventually(
        async () => {
          await log.produce([{ topic: t, key: null, value: 'after' }]);
          return fromEnd.length > 0;
        },
        'a record after the group started',
        30_000,
        300,
      );
      await got1.promise;
      await late.stop();
      expect(fromEnd.every((v) => v === 'after')).toBe(true);
    });

    it('answers ping while open and not after close', async () => {
      const own = await h.fresh();
      expect(await own.ping()).toBe(true);
      await own.close();
      expect(await own.ping()).toBe(false);
      await expect(own.produce([{ topic: h.name('closed'), key: null, value: 'x' }])).rejects.toThrow();
    });
  });
}
