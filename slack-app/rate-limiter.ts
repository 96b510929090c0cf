/**
 * A small limiter for Slack Web API calls:
 *
 * - per key (e.g. `chat.postMessage:C123`): one call at a time, in arrival
 *   order, each starting at least `intervalMs` after the previous one started
 *   (Slack allows about one message per second per channel);
 * - per gate (the API method): after a 429, no call starts before the
 *   `Retry-After` Slack asked for (https://docs.slack.dev/apis/web-api/rate-limits).
 *
 * State lives in this process; several instances posting to one channel
 * each keep their own pace and rely on Retry-After for the rest.
 */
import { sleep } from '../src/retry.js';

export interface RateLimitSlot {
  /** Calls with the same key run one at a time, `intervalMs` apart. */
  readonly key: string;
  /** @default 0 */
  readonly intervalMs?: number;
  /** Calls with the same gate honour the same Retry-After. */
  readonly gate: string;
}

export interface RateLimiter {
  /**
   * Runs `fn` when its turn comes. Rejects with the signal's reason when
   * aborted while waiting (the turn passes to the next caller); a rejection
   * of `fn` is passed on and does not block the queue.
   */
  run<T>(slot: RateLimitSlot, fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** No call through `gate` starts before `untilMs` (epoch ms). Never shortens an existing pause. */
  pause(gate: string, untilMs: number): void;
  /** Epoch ms before which `gate` is closed, or 0. */
  pausedUntil(gate: string): number;
}

export interface RateLimiterOptions {
  now?: () => number;
}

export function createRateLimiter({ now = Date.now }: RateLimiterOptions = {}): RateLimiter {
  const tails = new Map<string, Promise<void>>();
  const lastStart = new Map<string, number>();
  const paused = new Map<string, number>();

  return {
    async run(slot, fn, signal) {
      const previous = tails.get(slot.key) ?? Promise.resolve();
      let release!: () => void;
      const turn = new Promise<void>((resolve) => (release = resolve));
      const tail = previous.then(() => turn);
      tails.set(slot.key, tail);
      try {
        await abortable(previous, signal);
        for (;;) {
          signal?.throwIfAborted();
          const earliest = Math.max((lastStart.get(slot.key) ?? Number.NEGATIVE_INFINITY) + (slot.intervalMs ?? 0), paused.get(slot.gate) ?? 0);
          const wait = earliest - now();
          if (wait <= 0) break;
          // Loop: a 429 seen by another caller may extend the pause while we sleep.
          await sleep(wait, signal);
        }
        lastStart.set(slot.key, now());
        return await fn();
      } finally {
        release();
        if (tails.get(slot.key) === tail) tails.delete(slot.key);
      }
    },
    pause(gate, untilMs) {
      if (untilMs > (paused.get(gate) ?? 0)) paused.set(gate, untilMs);
    },
    pausedUntil(gate) {
      const until = paused.get(gate) ?? 0;
      return until > now() ? until : 0;
    },
  };
}

/** `p`, or a rejection with the signal's reason as soon as it aborts. */
function abortable(p: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
