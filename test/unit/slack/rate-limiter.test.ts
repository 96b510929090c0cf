import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRateLimiter } from '../../../slack-app/rate-limiter.js';

// Fake timers: the limiter's clock (Date.now) and its sleeps (setTimeout) move
// only when a test advances them, so every assertion on time is exact.
describe('createRateLimiter', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00.000Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs calls with one key one at a time, in order, the interval apart', async () => {
    const limiter = createRateLimiter();
    const t0 = Date.now();
    const starts: number[] = [];
    const order: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const all = Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        limiter.run({ key: 'post:C1', gate: 'chat.postMessage', intervalMs: 30 }, async () => {
          starts.push(Date.now() - t0);
          order.push(i);
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await new Promise((r) => setTimeout(r, 2));
          inFlight--;
          return i;
        }),
      ),
    );
    await vi.runAllTimersAsync();
    expect(await all).toEqual([0, 1, 2, 3, 4]);
    expect(maxInFlight).toBe(1);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(starts).toEqual([0, 30, 60, 90, 120]);
  });

  it('does not make other keys wait', async () => {
    const limiter = createRateLimiter();
    await limiter.run({ key: 'a', gate: 'g', intervalMs: 10_000 }, async () => undefined);
    let ran = false;
    const b = limiter.run({ key: 'b', gate: 'g', intervalMs: 10_000 }, async () => {
      ran = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(ran).toBe(true);
    await b;
    // Key a itself still waits its interval.
    let again = false;
    const a = limiter.run({ key: 'a', gate: 'g', intervalMs: 10_000 }, async () => {
      again = true;
    });
    await vi.advanceTimersByTimeAsync(9_999);
    expect(again).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await a;
    expect(again).toBe(true);
  });

  it('starts nothing through a paused gate before the pause ends, and never shortens a pause', async () => {
    const limiter = createRateLimiter();
    const until = Date.now() + 120;
    limiter.pause('chat.postMessage', until);
    limiter.pause('chat.postMessage', Date.now() + 10);
    expect(limiter.pausedUntil('chat.postMessage')).toBe(until);
    let startedAt = 0;
    const x = limiter.run({ key: 'x', gate: 'chat.postMessage' }, async () => {
      startedAt = Date.now();
    });
    await vi.advanceTimersByTimeAsync(119);
    expect(startedAt).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await x;
    expect(startedAt).toBe(until);
    expect(limiter.pausedUntil('chat.postMessage')).toBe(0);
    // Another gate is not affected.
    limiter.pause('chat.postMessage', Date.now() + 10_000);
    let ran = false;
    const y = limiter.run({ key: 'y', gate: 'chat.update' }, async () => {
      ran = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(ran).toBe(true);
    await y;
  });

  it('gives the turn to the next caller when a waiting caller is aborted or a call fails', async () => {
    const limiter = createRateLimiter();
    const slot = { key: 'k', gate: 'g', intervalMs: 0 };
    let release!: () => void;
    const first = limiter.run(slot, () => new Promise<void>((r) => (release = r)));
    const controller = new AbortController();
    const aborted = limiter.run(slot, async () => 'never', controller.signal);
    const failing = limiter.run(slot, async () => {
      throw new Error('boom');
    });
    const last = limiter.run(slot, async () => 'ran');
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    release();
    await first;
    await expect(failing).rejects.toThrow('boom');
    await expect(last).resolves.toBe('ran');
  });
});
