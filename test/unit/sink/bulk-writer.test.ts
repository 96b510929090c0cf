/**
 * The bulk writer's concurrency: up to `maxInFlight` bulk requests at once, and
 * a request that writes a document an earlier request writes waits for it (two
 * writes of one document never race; the later one lands last).
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/logger.js';
import type { SearchWriter, WriteOp, WriteResult } from '../../../src/ports/search.js';
import { createBulkWriter, type BulkWriterOptions } from '../../../src/sink/bulk-writer.js';
import { customer } from '../../contract/search.contract.js';

/** A writer whose requests complete only when the test says so. */
function heldWriter() {
  const requests: { ids: number[]; release: () => void }[] = [];
  const landed: number[][] = [];
  const writer = {
    write(ops: readonly WriteOp[]): Promise<readonly WriteResult[]> {
      const ids = ops.map((op) => (op.kind === 'upsertCustomer' ? op.customer.id : -1));
      return new Promise((resolve) => {
        requests.push({
          ids,
          release: () => {
            landed.push(ids);
            resolve(ops.map(() => ({ ok: true as const })));
          },
        });
      });
    },
  } as unknown as SearchWriter;
  return { writer, requests, landed };
}

const upsert = (id: number, email = `${id}@x`) => ({ op: { kind: 'upsertCustomer', customer: customer(id, 'gold', { email }) } as WriteOp, bytes: 100 });

function writerWith(writer: SearchWriter, o: Partial<BulkWriterOptions> = {}) {
  return createBulkWriter({ writer, batchSize: 2, flushMs: 60_000, maxBatchBytes: 1 << 20, maxRetryMs: 10_000, retryInitialDelayMs: 1, retryMaxDelayMs: 1, logger: silentLogger, ...o });
}

/** Lets queued promise callbacks run (no timers involved). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('bulk writer concurrency', () => {
  it('sends up to maxInFlight requests at once when they write different documents', async () => {
    const w = heldWriter();
    const bulk = writerWith(w.writer, { maxInFlight: 2 });
    const done = [bulk.submit([upsert(1), upsert(2)]), bulk.submit([upsert(3), upsert(4)]), bulk.submit([upsert(5), upsert(6)])];
    await settle();
    expect(w.requests.map((r) => r.ids)).toEqual([
      [1, 2],
      [3, 4],
    ]); // the third waits for a slot
    w.requests[1]!.release();
    await settle();
    expect(w.requests.map((r) => r.ids)).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    w.requests[0]!.release();
    w.requests[2]!.release();
    await expect(Promise.all(done)).resolves.toEqual([
      [null, null],
      [null, null],
      [null, null],
    ]);
    await bulk.idle();
  });

  it('holds a request that writes a document of an earlier one until that one completed', async () => {
    const w = heldWriter();
    const bulk = writerWith(w.writer, { maxInFlight: 4 });
    const first = bulk.submit([upsert(1, 'old@x'), upsert(2)]);
    const second = bulk.submit([upsert(3), upsert(1, 'new@x')]); // customer 1 again
    const third = bulk.submit([upsert(5), upsert(6)]); // unrelated: goes at once
    await settle();
    expect(w.requests.map((r) => r.ids)).toEqual([
      [1, 2],
      [5, 6],
    ]);
    w.requests[1]!.release();
    await settle();
    expect(w.requests).toHaveLength(2); // the second still waits for the first
    w.requests[0]!.release();
    await settle();
    expect(w.requests.map((r) => r.ids)).toEqual([
      [1, 2],
      [5, 6],
      [3, 1],
    ]);
    w.requests[2]!.release();
    await Promise.all([first, second, third]);
    expect(w.landed).toEqual([
      [5, 6],
      [1, 2],
      [3, 1],
    ]); // customer 1's later write landed last
    await bulk.idle();
  });

  it('with maxInFlight 1 sends one request at a time, in order', async () => {
    const w = heldWriter();
    const bulk = writerWith(w.writer, { maxInFlight: 1 });
    const done = [bulk.submit([upsert(1), upsert(2)]), bulk.submit([upsert(3), upsert(4)])];
    await settle();
    expect(w.requests).toHaveLength(1);
    w.requests[0]!.release();
    await settle();
    expect(w.requests).toHaveLength(2);
    w.requests[1]!.release();
    await Promise.all(done);
    expect(w.landed).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('refuses a maxInFlight below 1', () => {
    expect(() => writerWith(heldWriter().writer, { maxInFlight: 0 })).toThrow(/maxInFlight must be a positive integer/);
  });
});
