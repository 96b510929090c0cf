import { describe, expect, it } from 'vitest';
import { AppError, ErrorCode } from '../../../src/errors.js';
import { ReplaySlots } from '../../../src/api/replay-slots.js';

const timedOut = (): AppError => new AppError(ErrorCode.Unavailable, 'timed out', { retriable: true });
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('ReplaySlots (async-mutex Semaphore with a deadline)', () => {
  it('grants up to max at once, then serves waiters first come first served, a freed slot going to the first waiter', async () => {
    const slots = new ReplaySlots(2, 10_000);
    const a = await slots.acquire(timedOut);
    const b = await slots.acquire(timedOut);
    const order: string[] = [];
    const c = slots.acquire(timedOut).then((r) => (order.push('c'), r));
    const d = slots.acquire(timedOut).then((r) => (order.push('d'), r));
    await pause(5);
    expect(order).toEqual([]);
    expect(slots.inUse).toBe(4);
    a();
    a(); // idempotent: frees one slot only
    const releaseC = await c;
    await pause(5);
    expect(order).toEqual(['c']);
    expect(slots.inUse).toBe(3);
    b();
    const releaseD = await d;
    expect(order).toEqual(['c', 'd']);
    releaseC();
    releaseD();
    expect(slots.inUse).toBe(0);
  });

  it('refuses a waiter after the deadline, and the slot it would have had goes to the next one', async () => {
    const slots = new ReplaySlots(1, 20);
    const holder = await slots.acquire(timedOut);
    await expect(slots.acquire(timedOut)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: 'timed out' });
    expect(slots.inUse).toBe(1);
    const next = slots.acquire(timedOut);
    holder();
    const release = await next;
    expect(slots.inUse).toBe(1);
    release();
    expect(slots.inUse).toBe(0);
    // Free again: granted at once.
    (await slots.acquire(timedOut))();
  });

  it('rejectWaiting refuses every waiter with its error; held slots stay held', async () => {
    const slots = new ReplaySlots(1, 10_000);
    const holder = await slots.acquire(timedOut);
    const waiters = [slots.acquire(timedOut), slots.acquire(timedOut)];
    slots.rejectWaiting(() => new AppError(ErrorCode.Unavailable, 'shutting down', { retriable: true }));
    for (const w of waiters) await expect(w).rejects.toMatchObject({ message: 'shutting down' });
    expect(slots.inUse).toBe(1);
    holder();
    expect(slots.inUse).toBe(0);
  });
});
