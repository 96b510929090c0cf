/**
 * Replay slots of the live feed (`src/api/live-feed.ts`). Each cursor replay
 * is a reader of its own (a Kafka consumer), so at most `max` run at once per
 * instance: after a restart, the many clients resuming at once queue for a
 * slot, first come first served, and one that waited `timeoutMs` in vain is
 * refused.
 *
 * The counting, the queue and the deadline are async-mutex's: its `Semaphore`
 * grants at once while a slot is free and otherwise queues in call order (all
 * at one priority), a released slot goes straight to the first waiter, a
 * releaser works once, and `cancel()` rejects every waiter; `withTimeout`
 * rejects a waiter after the deadline and gives back, at once, the slot it is
 * granted later. A slot is held for as long as a replay runs, well past one
 * call, so it is taken with `acquire()`, not `runExclusive()`.
 */
import { E_CANCELED, E_TIMEOUT, Semaphore, withTimeout, type SemaphoreInterface } from 'async-mutex';
import type { AppError } from '../errors.js';

export class ReplaySlots {
  private readonly slots: SemaphoreInterface;
  /** Slots held plus live waiters (not those that timed out or were refused). */
  private count = 0;
  /** The error of waiters refused by {@link ReplaySlots.rejectWaiting}. */
  private refusal: (() => AppError) | null = null;

  constructor(max: number, timeoutMs: number) {
    this.slots = withTimeout(new Semaphore(max), timeoutMs);
  }

  /** Slots held plus waiters. */
  get inUse(): number {
    return this.count;
  }

  /**
   * Resolves with an idempotent release once a slot is free; rejects with
   * `timeoutError()` after the deadline, or with the error of
   * {@link ReplaySlots.rejectWaiting}.
   */
  async acquire(timeoutError: () => AppError): Promise<() => void> {
    this.count++;
    let release: () => void;
    try {
      [, release] = await this.slots.acquire();
    } catch (e) {
      this.count--;
      if (e === E_TIMEOUT) throw timeoutError();
      if (e === E_CANCELED && this.refusal) throw this.refusal();
      throw e;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.count--;
      release();
    };
  }

  /** Refuses every subscriber waiting for a slot (shutdown); slots held stay held until released. */
  rejectWaiting(error: () => AppError): void {
    this.refusal = error;
    this.slots.cancel();
  }
}
