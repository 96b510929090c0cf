/**
 * Per-caller rate limits (RATE_LIMIT_VIEWER, RATE_LIMIT_AGENT): one token
 * bucket per API key on this instance (open access: per remote address),
 * shared by HTTP operations and WebSocket subscribe messages. A bucket holds
 * up to `count` tokens and refills `count` per `perMs`; an operation takes
 * one. Instances do not share buckets: behind N instances a key gets up to N
 * times its limit.
 */
import type { ApiRole, RateLimit } from '../config.js';

export type Clock = () => number;

export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number; readonly limit: RateLimit };

/** Buckets per caller and class of caller (`K`: the API roles, or one door's single class); a class's limit applies to each of its callers. */
export interface RateLimiter<K extends string = ApiRole> {
  /** Takes one token from the bucket of `caller` (limited by its class's limit). */
  take(caller: string, role: K): RateDecision;
}

export interface RateLimiterOptions<K extends string = ApiRole> {
  /** Per class of caller (no `:` in a class name); null: no limit. */
  limits: Readonly<Record<K, RateLimit | null>>;
  /** Milliseconds; injected by tests. @default Date.now */
  now?: Clock;
  /** Buckets kept before full (idle) ones are dropped. @default 10_000 */
  maxBuckets?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const OK: RateDecision = Object.freeze({ ok: true });

export function createRateLimiter<K extends string = ApiRole>({ limits, now = Date.now, maxBuckets = 10_000 }: RateLimiterOptions<K>): RateLimiter<K> {
  const buckets = new Map<string, Bucket>();

  function refill(b: Bucket, limit: RateLimit, t: number): void {
    if (t > b.at) {
      b.tokens = Math.min(limit.count, b.tokens + ((t - b.at) * limit.count) / limit.perMs);
      b.at = t;
    }
  }

  function prune(t: number): void {
    // Full buckets are the same as no bucket: dropping them loses nothing.
    for (const [k, b] of buckets) {
      const role = k.slice(0, k.indexOf(':')) as K;
      const limit = limits[role];
      if (limit === null) buckets.delete(k);
      else {
        refill(b, limit, t);
        if (b.tokens >= limit.count) buckets.delete(k);
      }
    }
  }

  return {
    take(caller, role) {
      const limit = limits[role];
      if (limit === null) return OK;
      const t = now();
      const key = `${role}:${caller}`;
      let b = buckets.get(key);
      if (b === undefined) {
        if (buckets.size >= maxBuckets) prune(t);
        b = { tokens: limit.count, at: t };
        buckets.set(key, b);
      } else refill(b, limit, t);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return OK;
      }
      return { ok: false, retryAfterMs: Math.ceil(((1 - b.tokens) * limit.perMs) / limit.count), limit };
    },
  };
}

/** The message of a RATE_LIMITED error. */
export function rateLimitedMessage(d: Extract<RateDecision, { ok: false }>): string {
  const per = d.limit.perMs === 1_000 ? 'second' : 'minute';
  return `rate limit of ${d.limit.count} operations per ${per} exceeded for this API key; retry in ${Math.ceil(d.retryAfterMs / 1_000)} s`;
}
