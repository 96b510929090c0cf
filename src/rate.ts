/**
 * Events per second over the last minute: the one rate calculation behind
 * every `messagesPerSecond` of `Query.pipeline` (a stream processor's
 * ProcessorMeter in stream/runtime/tasks.ts, and the sink's in src/sink/sink.ts).
 *
 * Exact over a sliding window of 60 one-second buckets, divided by the time
 * since the meter started while that is shorter than a minute (a meter one
 * second old that counted 10 events says 10/s, not 10/60), rounded to 3
 * decimals.
 */
const WINDOW_SECONDS = 60;

export class MinuteRate {
  private readonly buckets = new Float64Array(WINDOW_SECONDS);
  private readonly bucketSecond = new Float64Array(WINDOW_SECONDS).fill(-1);

  /** @param startedAt epoch ms the counting started (the rate's span until a minute has passed) */
  constructor(private readonly startedAt = Date.now()) {}

  /** Counts `n` events at `now` (epoch ms). */
  add(n: number, now = Date.now()): void {
    const second = Math.floor(now / 1000);
    const i = second % WINDOW_SECONDS;
    if (this.bucketSecond[i] !== second) {
      this.bucketSecond[i] = second;
      this.buckets[i] = 0;
    }
    this.buckets[i] = (this.buckets[i] ?? 0) + n;
  }

  /** Events per second over the minute up to `now`. */
  perSecond(now = Date.now()): number {
    const second = Math.floor(now / 1000);
    let sum = 0;
    for (let i = 0; i < WINDOW_SECONDS; i++) {
      const s = this.bucketSecond[i] ?? -1;
      if (s > second - WINDOW_SECONDS && s <= second) sum += this.buckets[i] ?? 0;
    }
    const span = Math.min(WINDOW_SECONDS, Math.max(1, (now - this.startedAt) / 1000));
    return Math.round((sum / span) * 1000) / 1000;
  }
}
