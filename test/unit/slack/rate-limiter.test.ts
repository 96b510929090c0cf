import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../../slack-app/rate-limiter.js';

describe('createRateLimiter', () => {
  it('runs calls with one key one at a time, in order, at least the interval apart', async () => {
    const limiter = createRateLimiter();
    const starts: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        limiter.run({ key: 'post:C1', gate: 'chat.postMessage', intervalMs: 30 }, async () => {
          starts.push(Date.now());
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await new Promise((r) => setTimeout(r, 2));
          inFlight--;
          return i;
        }),
      ),
    );
    expect(maxInFlight).toBe(1);
    // 1 ms of slack: the clock may tick between the limiter's reading and ours.
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(29);
  });

  it('does not make other keys wait', async () => {
    const limiter = createRateLimiter();
    await limiter.run({ key: 'a', gate: 'g', intervalMs: 10_000 }, async () => undefined);
    const t0 = Date.now();
    await limiter.run({ key: 'b', gate: 'g', intervalMs: 10_000 }, async () => undefined);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('starts nothing through a paused gate before the pause ends, and never shortens a pause', async () => {
    const limiter = createRateLimiter();
    const until = Date.now() + 120;
    limiter.pause('chat.postMessage', until);
    limiter.pause('chat.postMessage', Date.now() + 10);
    expect(limiter.pausedUntil('chat.postMessage')).toBe(until);
    let startedAt = 0;
    await limiter.run({ key: 'x', gate: 'chat.postMessage' }, async () => {
      startedAt = Date.now();
    });
    expect(startedAt).toBeGreaterThanOrEqual(until);
    // Another gate is not affected.
    limiter.pause('chat.postMessage', Date.now() + 10_000);
    const t0 = Date.now();
    await limiter.run({ key: 'y', gate: 'chat.update' }, async () => undefined);
    expect(Date.now() - t0).toBeLessThan(1_000);
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
