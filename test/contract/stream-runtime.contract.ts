/**
 * The StreamRuntime contract (src/ports/stream-runtime.ts), as a suite any
 * implementation runs: `test/unit/stream/runtime/memory-runtime.test.ts` in memory,
 * `test/integration/kafka-stream-runtime.test.ts` on real Kafka.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/errors.js';
import type { EventLog, OutRecord } from '../../src/ports/event-log.js';
import type { ProcessorDefinition, StepOutcome, StreamRuntime } from '../../src/ports/stream-runtime.js';
import { collect, eventually, text } from './helpers.js';

export interface StreamRuntimeHarness {
  readonly log: EventLog;
  /** A new runtime on the shared log; the same prefix means the same consumer groups (a restart). */
  runtime(groupPrefix: string): Promise<StreamRuntime>;
  name(prefix: string): string;
  close(): Promise<void>;
}

const done = (emit: readonly OutRecord[], extra: { failed?: number; unmatched?: number } = {}): StepOutcome => ({ kind: 'done', emit, ...extra });

export function streamRuntimeContract(kind: string, make: () => Promise<StreamRuntimeHarness>): void {
  describe(`StreamRuntime contract (${kind})`, () => {
    let h: StreamRuntimeHarness;
    let log: EventLog;
    const runtimes: StreamRuntime[] = [];
    beforeAll(async () => {
      h = await make();
      log = h.log;
    });
    afterAll(async () => {
      await Promise.all(runtimes.map((r) => r.close()));
      await h?.close();
    });

    async function runtime(prefix = h.name('app')): Promise<StreamRuntime> {
      const r = await h.runtime(prefix);
      runtimes.push(r);
      return r;
    }

    async function topics(...names: string[]): Promise<string[]> {
      const ts = names.map((n) => h.name(n));
      await log.ensureTopics(ts.map((name) => ({ name, partitions: 3 })));
      return ts;
    }

    const upper =
      (out: string): ProcessorDefinition['process'] =>
      (r) =>
        done([{ topic: out, key: r.key, value: (text(r.value) ?? '').toUpperCase() }]);

    it('processes every input record once and commits its output with the offsets', async () => {
      const [input, out] = await topics('in', 'out');
      const rt = await runtime();
      await log.produce(Array.from({ length: 60 }, (_, i) => ({ topic: input!, key: `k${i % 7}`, value: `v${String(i).padStart(2, '0')}` })));
      await rt.run({ name: 'upper', sources: [input!], sinks: [out!], process: upper(out!) });
      const c = await collect(log, out!);
      await c.atLeast(60);
      const status = await eventually(async () => {
        const s = (await rt.status()).find((x) => x.name === 'upper');
        return s && s.totalMessages === 60 && s.consumerLag === 0 ? s : null;
      }, 'all 60 processed and committed');
      await c.stop();
      expect(new Set(c.records.map((r) => text(r.value))).size).toBe(60);
      expect(c.records).toHaveLength(60);
      for (let k = 0; k < 7; k++) {
        const mine = c.records.filter((r) => text(r.key) === `k${k}`).map((r) => text(r.value) ?? '');
        expect(mine).toEqual([...mine].sort());
      }
      expect(status).toMatchObject({ name: 'upper', sources: [input], sinks: [out], state: 'RUNNING', consumerGroup: rt.groupId('upper'), failedMessages: 0, unmatchedMessages: 0 });
      expect(status.messagesPerSecond).toBeGreaterThan(0);
      expect(status.lastMessageTime).toBeGreaterThan(Date.now() - 60_000);
    });

    it('dead-letters what onError decides for a throwing step and goes on', async () => {
      const [input, out, dlq] = await topics('in', 'out', 'dlq');
      const rt = await runtime();
      await log.produce(['a', 'poison', 'b'].map((v) => ({ topic: input!, key: 'same', value: v })));
      await rt.run({
        name: 'picky',
        sources: [input!],
        sinks: [out!, dlq!],
        process: (r) => {
          if (text(r.value) === 'poison') throw new Error('cannot digest');
          return done([{ topic: out!, key: r.key, value: r.value }]);
        },
        onError: (r, e) => done([{ topic: dlq!, key: r.key, value: r.value, headers: { error: (e as Error).message } }], { failed: 1 }),
      });
      const outs = await collect(log, out!);
      const dead = await collect(log, dlq!);
      await outs.atLeast(2);
      const [d] = await dead.atLeast(1);
      await Promise.all([outs.stop(), dead.stop()]);
      expect(outs.records.map((r) => text(r.value))).toEqual(['a', 'b']);
      expect(text(d!.value)).toBe('poison');
      expect(d!.headers.error).toBe('cannot digest');
      await eventually(async () => (await rt.status()).find((s) => s.name === 'picky')?.failedMessages === 1, 'failed counted');
    });

    it('retries a step that throws without onError, and emits its output exactly once when it recovers', async () => {
      const [input, out] = await topics('in', 'out');
      const rt = await runtime();
      let failures = 0;
      await log.produce(['x', 'flaky', 'y'].map((v) => ({ topic: input!, key: 'same', value: v })));
      await rt.run({
        name: 'flaky',
        sources: [input!],
        sinks: [out!],
        process: (r) => {
          if (text(r.value) === 'flaky' && failures < 2) {
            failures++;
            throw new Error('not yet');
          }
          return done([{ topic: out!, key: r.key, value: r.value }]);
        },
      });
      const c = await collect(log, out!);
      await c.atLeast(3);
      await eventually(async () => (await rt.status()).find((s) => s.name === 'flaky')?.consumerLag === 0, 'committed');
      await c.stop();
      expect(failures).toBe(2);
      expect(c.records.map((r) => text(r.value))).toEqual(['x', 'flaky', 'y']);
    });

    it('awaits prepare before each batch; while it fails nothing is processed or dead-lettered, then every record goes through once', async () => {
      const [input, out, dlq] = await topics('in', 'out', 'dlq');
      const rt = await runtime();
      let failures = 0;
      let processedWhileFailing = 0;
      const prepared = new Set<string>();
      await log.produce(['p1', 'p2', 'p3'].map((v) => ({ topic: input!, key: 'same', value: v })));
      await rt.run({
        name: 'prepared',
        sources: [input!],
        sinks: [out!, dlq!],
        prepare: async (records) => {
          if (failures < 3) {
            failures++;
            throw new UnavailableError('the registry is away');
          }
          for (const r of records) prepared.add(text(r.value) ?? '');
        },
        process: (r) => {
          if (failures < 3) processedWhileFailing++;
          // A record its prepare did not see would be a runtime bug: dead-letter it, visibly.
          const value = text(r.value) ?? '';
          return prepared.has(value) ? done([{ topic: out!, key: r.key, value }]) : done([{ topic: dlq!, key: r.key, value }], { failed: 1 });
        },
        onError: (r) => done([{ topic: dlq!, key: r.key, value: r.value }], { failed: 1 }),
      });
      const c = await collect(log, out!);
      await c.atLeast(3);
      const status = await eventually(async () => {
        const st = (await rt.status()).find((x) => x.name === 'prepared');
        return st?.consumerLag === 0 ? st : null;
      }, 'committed');
      await c.stop();
      expect(failures).toBe(3);
      expect(processedWhileFailing).toBe(0);
      expect(c.records.map((r) => text(r.value))).toEqual(['p1', 'p2', 'p3']);
      expect(status.failedMessages).toBe(0);
      expect((await log.offsets(dlq!)).every((o) => o.high === o.low)).toBe(true);
    });

    it('holds a partition at a record that waits, until it may go, and lets other partitions flow', async () => {
      const [input, out] = await topics('in', 'out');
      const rt = await runtime();
      await log.produce([
        { topic: input!, key: null, value: 'later', partition: 0, headers: { held: 'yes' } },
        { topic: input!, key: null, value: 'behind', partition: 0 },
        { topic: input!, key: null, value: 'other', partition: 1 },
      ]);
      // 'later' waits (100 ms at a time, offered again at each deadline) until the test releases it.
      let released = false;
      const releasedWhenEmitted = new Map<string, boolean>();
      await rt.run({
        name: 'waiter',
        sources: [input!],
        sinks: [out!],
        process: (r, ctx) => {
          if (r.headers.held === 'yes' && !released) return { kind: 'wait', until: ctx.now + 100 };
          releasedWhenEmitted.set(text(r.value) ?? '', released);
          // Same output partition as the input: the order on a partition is what is checked.
          return done([{ topic: out!, key: null, value: r.value, partition: r.partition }]);
        },
      });
      const c = await collect(log, out!);
      // Another partition flows while 'later' waits (this would time out if it were held too).
      const [first] = await c.atLeast(1);
      expect(text(first!.value)).toBe('other');
      released = true;
      const records = await c.atLeast(3);
      await c.stop();
      const got = (v: string) => records.find((r) => text(r.value) === v)!;
      expect(releasedWhenEmitted.get('other')).toBe(false);
      // Held behind the waiting record: processed only once it went, and after it on the partition.
      expect(releasedWhenEmitted.get('behind')).toBe(true);
      expect(got('behind').partition).toBe(got('later').partition);
      expect(BigInt(got('behind').offset)).toBeGreaterThan(BigInt(got('later').offset));
    });

    it('bootstraps tables before the first record and wakes a waiting record when a table changes', async () => {
      const [input, out, tbl] = await topics('in', 'out', 'tbl');
      await log.produce(Array.from({ length: 200 }, (_, i) => ({ topic: tbl!, key: `c${i}`, value: `row-${i}` })));
      await log.produce([
        { topic: input!, key: 'c0', value: 'first' },
        { topic: input!, key: 'late', value: 'needs-late' },
      ]);
      const rt = await runtime();
      const state = new Map<string, string>();
      const table = await rt.table({ name: 'tbl', topic: tbl!, apply: (r) => void state.set(text(r.key) ?? '', text(r.value) ?? '') });
      await rt.run({
        name: 'joiner',
        sources: [input!],
        sinks: [out!],
        tables: [table],
        process: (r, ctx) => {
          const k = text(r.key) ?? '';
          const row = state.get(k);
          if (!row) return { kind: 'wait', until: ctx.now + 60_000 };
          return done([{ topic: out!, key: r.key, value: `${text(r.value)}|${row}|size=${state.size}` }]);
        },
      });
      const c = await collect(log, out!);
      const [first] = await c.atLeast(1);
      expect(text(first!.value)).toBe('first|row-0|size=200');
      expect(table.isReady()).toBe(true);
      // The record waits 60 s for its row; within 20 s only the table change can wake it.
      await log.produce([{ topic: tbl!, key: 'late', value: 'row-late' }]);
      const records = await c.atLeast(2, 20_000);
      await c.stop();
      expect(text(records[1]!.value)).toBe('needs-late|row-late|size=201');
    });

    it('continues a restarted processor from its committed offsets: no duplicate, no gap', async () => {
      const [input, out] = await topics('in', 'out');
      const prefix = h.name('restart');
      const rt1 = await runtime(prefix);
      await log.produce(Array.from({ length: 30 }, (_, i) => ({ topic: input!, key: `k${i}`, value: `a${i}` })));
      const h1 = await rt1.run({ name: 'copy', sources: [input!], sinks: [out!], process: upper(out!) });
      const c = await collect(log, out!);
      await c.atLeast(30);
      await eventually(async () => (await rt1.status()).find((s) => s.name === 'copy')?.consumerLag === 0, 'committed');
      await h1.stop();
      expect((await rt1.status()).find((s) => s.name === 'copy')?.state).toBe('STOPPED');
      await log.produce(Array.from({ length: 20 }, (_, i) => ({ topic: input!, key: `k${i}`, value: `b${i}` })));
      const rt2 = await runtime(prefix);
      await rt2.run({ name: 'copy', sources: [input!], sinks: [out!], process: upper(out!) });
      await c.atLeast(50);
      await eventually(async () => (await rt2.status()).find((s) => s.name === 'copy')?.consumerLag === 0, 'committed again');
      await c.stop();
      const values = c.records.map((r) => text(r.value));
      expect(values).toHaveLength(50);
      expect(new Set(values).size).toBe(50);
    });

    it('refuses a second processor of the same name, and one without sources', async () => {
      const [input, out] = await topics('in', 'out');
      const rt = await runtime();
      const def = { name: 'once', sources: [input!], sinks: [out!], process: upper(out!) };
      await rt.run(def);
      await expect(rt.run(def)).rejects.toThrow(/already running/);
      await expect(rt.run({ ...def, name: 'nothing', sources: [] })).rejects.toThrow(/source/);
    });
  });
}
