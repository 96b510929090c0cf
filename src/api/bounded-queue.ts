/**
 * The per-subscriber buffer of the live feed (`src/api/live-feed.ts`): each
 * subscriber gets its own bounded queue, and delivery to it never waits. A
 * subscriber that does not keep up overflows its queue and is ended with
 * {@link SlowConsumerError} (SLOW_CONSUMER) without slowing anybody else.
 */
import { AppError, ErrorCode } from '../errors.js';
import type { LiveStream } from './feed-hub.js';

export class SlowConsumerError extends AppError {
  constructor(stream: LiveStream, bufferSize: number) {
    super(ErrorCode.SlowConsumer, `SLOW_CONSUMER: more than ${bufferSize} ${stream} events were waiting for this subscriber; it was disconnected, reconnect to continue`, {
      details: { stream, bufferSize },
    });
  }
}

/** A fresh result each time, as before: callers may keep or change what they get. */
const done = (): IteratorResult<never> => ({ value: undefined, done: true });

/**
 * A bounded queue read as an async iterator. `push` never waits: when the
 * reader is `capacity` items behind, the queue fails instead (the reader gets
 * the error on its next `next()`), and its items are dropped at once.
 */
export class BoundedQueue<T> implements AsyncIterableIterator<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  private waiting: ((r: IteratorResult<T>) => void) | null = null;
  /** Producers waiting for the reader to take an item (see `taken`). */
  private takers: (() => void)[] = [];
  private state: 'open' | 'failed' | 'done' = 'open';
  private error: AppError | null = null;

  constructor(
    private readonly capacity: number,
    /** Detaches from the source; called once when the queue fails or ends. */
    private readonly detach: () => void,
    private readonly onOverflow: (error: AppError) => void,
    private readonly overflowError: () => AppError,
  ) {}

  get size(): number {
    return this.items.length - this.head;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Resolves when the reader takes an item, or the queue is no longer open. */
  taken(): Promise<void> {
    if (this.state !== 'open') return Promise.resolve();
    return new Promise((resolve) => this.takers.push(resolve));
  }

  private wakeTakers(): void {
    if (this.takers.length === 0) return;
    const takers = this.takers;
    this.takers = [];
    for (const t of takers) t();
  }

  /** Answers the reader waiting in `next()`, if any. */
  private answerReader(r: IteratorResult<T>): void {
    const w = this.waiting;
    if (w === null) return;
    this.waiting = null;
    w(r);
  }

  push(item: T): void {
    if (this.state !== 'open') return;
    if (this.waiting !== null) return this.answerReader({ value: item, done: false });
    if (this.size >= this.capacity) return this.overflow();
    this.items.push(item);
  }

  overflow(): void {
    if (this.state !== 'open') return;
    this.state = 'failed';
    this.error = this.overflowError();
    this.clear();
    this.detach();
    this.onOverflow(this.error);
  }

  /** The source ended (shutdown): the reader gets what is queued, then done. */
  end(): void {
    if (this.state !== 'open') return;
    this.state = 'done';
    this.wakeTakers();
    this.detach();
    if (this.waiting !== null && this.size === 0) this.answerReader(done());
  }

  next(): Promise<IteratorResult<T>> {
    if (this.size > 0) {
      const value = this.items[this.head] as T;
      this.items[this.head++] = undefined;
      if (this.head > 1_024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      this.wakeTakers();
      return Promise.resolve({ value, done: false });
    }
    if (this.state === 'failed' && this.error) {
      const error = this.error;
      this.error = null;
      this.state = 'done';
      return Promise.reject(error);
    }
    if (this.state !== 'open') return Promise.resolve(done());
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  /** The reader is gone (unsubscribe, disconnect): detach and free everything. */
  return(): Promise<IteratorResult<T>> {
    const wasOpen = this.state === 'open';
    this.state = 'done';
    this.error = null;
    this.clear();
    if (wasOpen) this.detach();
    if (this.waiting !== null) this.answerReader(done());
    return Promise.resolve(done());
  }

  throw(): Promise<IteratorResult<T>> {
    return this.return();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private clear(): void {
    this.items = [];
    this.head = 0;
    this.wakeTakers();
  }
}
