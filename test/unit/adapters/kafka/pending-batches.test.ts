import { describe, expect, it } from 'vitest';
import { PendingBatches } from '../../../../src/adapters/kafka/pending-batches.js';
import { deferred } from '../../../support/wait.js';

function harness() {
  const commits: string[] = [];
  const rewinds: string[] = [];
  const pending = new PendingBatches({
    commit: (topic, partition, offset) => commits.push(`${topic}/${partition}@${offset}`),
    rewind: (topic, partition, offset) => rewinds.push(`${topic}/${partition}@${offset}`),
  });
  /** A batch of `records` records holding `bytes` bytes (100 a record unless given). */
  const take = (partition: number, first: number, records: number, bytes = records * 100) => {
    const d = deferred();
    const added = pending.add('t', partition, pending.epoch('t', partition), { first: String(first), next: String(first + records), records, bytes, done: d.promise });
    return { ...d, added };
  };
  /** Lets the settlements (promise callbacks) run. */
  const settle = () => new Promise<void>((r) => setImmediate(r));
  return { pending, commits, rewinds, take, settle };
}

describe('PendingBatches', () => {
  it('commits a partition in order: a batch done before an earlier one waits for it, then both commit at once', async () => {
    const { pending, commits, take, settle } = harness();
    const a = take(0, 0, 10);
    const b = take(0, 10, 5);
    const other = take(1, 0, 3);
    expect(pending.records).toBe(18);
    b.resolve();
    other.resolve();
    await settle();
    expect(commits).toEqual(['t/1@3']);
    a.resolve();
    await settle();
    expect(commits).toEqual(['t/1@3', 't/0@15']);
    expect(pending.records).toBe(0);
    expect(pending.has('t', 0)).toBe(false);
  });

  it('on the oldest batch failing: commits what finished before it, drops the rest and rewinds to it', async () => {
    const { pending, commits, rewinds, take, settle } = harness();
    const a = take(0, 0, 10);
    const b = take(0, 10, 10);
    const c = take(0, 20, 10);
    c.resolve();
    b.reject(new Error('index down'));
    await settle();
    expect(rewinds).toEqual([]); // b is not the oldest: a may still fail or finish
    a.resolve();
    await settle();
    expect(commits).toEqual(['t/0@10']);
    expect(rewinds).toEqual(['t/0@10']);
    expect(pending.records).toBe(0);
    expect(pending.oldest('t', 0)).toBeUndefined();
  });

  it('refuses a batch taken in before a rewind (its records come again) and ignores the settlements of dropped ones', async () => {
    const { pending, commits, take, settle } = harness();
    const epochBefore = pending.epoch('t', 0);
    const a = take(0, 0, 10);
    pending.resetPartition('t', 0);
    const late = deferred();
    expect(pending.add('t', 0, epochBefore, { first: '10', next: '20', records: 10, bytes: 1_000, done: late.promise })).toBe(false);
    a.resolve();
    late.reject(new Error('not unhandled'));
    await settle();
    expect(commits).toEqual([]);
    expect(pending.records).toBe(0);
    expect(pending.bytes).toBe(0);
  });

  it('below(n) waits while more than n records are pending', async () => {
    const { pending, take, settle } = harness();
    const a = take(0, 0, 600);
    take(1, 0, 500).resolve();
    let through = false;
    const waiting = pending.below(500).then(() => (through = true));
    await settle();
    expect(through).toBe(false);
    a.resolve();
    await waiting;
    expect(pending.records).toBe(0);
  });

  it('below(n, bytes) also waits while more than that many bytes are pending, however few the records', async () => {
    const { pending, take, settle } = harness();
    const big = take(0, 0, 2, 8_000_000); // two 4 MB records
    const small = take(1, 0, 10);
    expect(pending.bytes).toBe(8_001_000);
    let through = false;
    const waiting = pending.below(20_000, 5_000_000).then(() => (through = true));
    small.resolve();
    await settle();
    expect(through).toBe(false); // 2 records, far under 20,000, but 8 MB over 5 MB
    big.resolve();
    await waiting;
    expect(pending.bytes).toBe(0);
    // Dropped by a rewind: the bytes are released too.
    take(0, 2, 3, 9_000_000);
    pending.resetPartition('t', 0);
    expect(pending.bytes).toBe(0);
    await pending.below(20_000, 5_000_000);
  });
});
