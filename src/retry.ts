import { isRetriable } from './errors.js';

export interface RetryOptions {
  /** Attempts in all, the first included. @default Infinity */
  maxAttempts?: number;
  /** First delay. @default 100 // ms */
  initialDelayMs?: number;
  /** Upper bound of one delay. @default 30_000 // 30 seconds */
  maxDelayMs?: number;
  /** Growth per attempt. @default 2 */
  factor?: number;
  /** Decides from the error whether to try again. @default isRetriable */
  shouldRetry?: (error: unknown, attempt: number) => boolean;
  /** A delay the error itself asks for (for example Slack's Retry-After), in ms. */
  delayFromError?: (error: unknown) => number | undefined;
  /** Called before each wait; for logging and metrics. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
}

/**
 * Exponential backoff with "equal jitter": with ceiling = min(maxDelayMs,
 * initialDelayMs * factor^(attempt - 1)), the delay is uniform in
 * [ceiling / 2, ceiling] (rounded to whole ms). Half the ceiling is always
 * waited, so a retry never comes back at once; the random half spreads the
 * clients that failed together.
 */
export function backoffDelay(attempt: number, o: Pick<RetryOptions, 'initialDelayMs' | 'maxDelayMs' | 'factor'> = {}): number {
  const { initialDelayMs = 100, maxDelayMs = 30_000, factor = 2 } = o;
  const ceiling = Math.min(maxDelayMs, initialDelayMs * factor ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The one retry helper. Whether to retry is decided by the error
 * (`retriable`), not by the caller's guess; the last error is rethrown.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { maxAttempts = Number.POSITIVE_INFINITY, shouldRetry = (e) => isRetriable(e) } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= maxAttempts || !shouldRetry(error, attempt) || options.signal?.aborted) throw error;
      const asked = options.delayFromError?.(error);
      const delay = asked !== undefined ? asked : backoffDelay(attempt, options);
      options.onRetry?.(error, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}
