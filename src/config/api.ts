/**
 * The api section: API keys and roles (API_KEYS), open access, CORS, limits
 * and rate limits of the GraphQL API, and the /metrics token.
 */
import { ConfigError } from '../errors.js';
import { int, onOff, str, type Env } from './env.js';

export const API_ROLES = ['viewer', 'agent'] as const;
export type ApiRole = (typeof API_ROLES)[number];

export interface ApiKey {
  readonly key: string;
  readonly role: ApiRole;
  readonly name: string;
}

/** A token bucket: `count` operations per `perMs`, refilled continuously (bursts up to `count`). */
export interface RateLimit {
  readonly count: number;
  readonly perMs: number;
}

export interface ApiConfig {
  /** Events queued for one subscriber before it is disconnected. @default 1_000 */
  readonly subscriberBufferSize: number;
  readonly maxSubscriptionsPerConnection: number;
  readonly maxBodyBytes: number;
  readonly introspection: boolean;
  /**
   * Browser origins allowed to call `/graphql` over HTTP (CORS), e.g.
   * `https://dashboards.example.com`; `*` allows any. Empty: no CORS
   * headers, so browsers let only same-origin pages read the answers.
   */
  readonly corsOrigins: readonly string[] | '*';
  /**
   * `complaintRaised(after)` subscribers replaying from a cursor at once on
   * this instance (each replay is a Kafka consumer of its own); more wait,
   * then are refused with a retriable error. @default 4
   */
  readonly maxConcurrentReplays: number;
  /**
   * `complaintRaised(after)` subscriptions open at once on one WebSocket
   * connection; more are refused with RATE_LIMITED. @default 2
   */
  readonly maxReplaysPerConnection: number;
  /** Buckets one `ratingHistogram` may return (time range / interval). @default 10_000 */
  readonly maxHistogramBuckets: number;
  /** `POST /slack/events` bodies larger than this get 413 before any buffering. @default 1_048_576 // 1 MiB */
  readonly slackMaxBodyBytes: number;
  /** `POST /slack/events` requests per remote address (SLACK_RATE_LIMIT); more get 429; null: no limit. @default 50/s */
  readonly slackRateLimit: RateLimit | null;
  /** Bearer token `GET /metrics` requires; null: open. */
  readonly metricsToken: string | null;
  /**
   * ALLOW_OPEN_ACCESS=on: serve the API with no API_KEYS on a non-loopback
   * HOST (everyone is an agent; warned at every start). @default false
   */
  readonly allowOpenAccess: boolean;
  /** Operations (HTTP requests, WebSocket subscribe messages) per API key and role; null: no limit. */
  readonly rateLimits: Readonly<Record<ApiRole, RateLimit | null>>;
}

/** The api section; ALLOW_OPEN_ACCESS is read before (it decides HOST's check). */
export function api(env: Env, production: boolean, allowOpenAccess: boolean): ApiConfig {
  return {
    subscriberBufferSize: int(env, 'SUBSCRIBER_BUFFER', 1_000, 1, 1_000_000),
    maxSubscriptionsPerConnection: int(env, 'MAX_SUBSCRIPTIONS_PER_CONNECTION', 20, 1, 10_000),
    maxBodyBytes: int(env, 'MAX_BODY_BYTES', 100_000, 1_000, 50_000_000),
    introspection: onOff(env, 'INTROSPECTION', !production),
    corsOrigins: corsOrigins(str(env, 'CORS_ORIGINS')),
    maxConcurrentReplays: int(env, 'MAX_CONCURRENT_REPLAYS', 4, 1, 1_000),
    maxReplaysPerConnection: int(env, 'MAX_REPLAYS_PER_CONNECTION', 2, 1, 1_000),
    maxHistogramBuckets: int(env, 'MAX_HISTOGRAM_BUCKETS', 10_000, 10, 1_000_000),
    slackMaxBodyBytes: int(env, 'SLACK_MAX_BODY_BYTES', 1_048_576, 1_024, 50_000_000),
    slackRateLimit: rateLimit(env, 'SLACK_RATE_LIMIT', { count: 50, perMs: 1_000 }),
    metricsToken: metricsToken(env),
    allowOpenAccess,
    rateLimits: {
      viewer: rateLimit(env, 'RATE_LIMIT_VIEWER', { count: 100, perMs: 1_000 }),
      agent: rateLimit(env, 'RATE_LIMIT_AGENT', { count: 100, perMs: 1_000 }),
    },
  };
}

/** `CORS_ORIGINS`: `*`, or a comma-separated list of origins (scheme://host[:port], no path). */
function corsOrigins(v: string | undefined): readonly string[] | '*' {
  if (v === undefined) return [];
  if (v === '*') return '*';
  return v.split(',').map((raw, i) => {
    const entry = raw.trim();
    let u: URL | null = null;
    try {
      u = new URL(entry);
    } catch {
      // reported below
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.origin !== entry.replace(/\/$/, '')) {
      throw new ConfigError(
        'CORS_ORIGINS',
        `entry ${i + 1} must be an origin like https://dashboards.example.com (scheme, host, optional port; no path), or the whole value *; got ${JSON.stringify(entry)}`,
      );
    }
    return u.origin;
  });
}

/** `<n>/s`, `<n>/m` (operations per second or minute), or `off`. */
function rateLimit(env: Env, name: string, def: RateLimit): RateLimit | null {
  const v = str(env, name)?.toLowerCase();
  if (v === undefined) return def;
  if (v === 'off') return null;
  const m = /^(\d{1,7})\/(s|m)$/.exec(v);
  const count = m ? Number(m[1]) : 0;
  if (!m || count < 1) throw new ConfigError(name, `expected <n>/s or <n>/m (operations per second or minute, n >= 1) or off, got ${JSON.stringify(v)}`);
  return { count, perMs: m[2] === 's' ? 1_000 : 60_000 };
}

/** Loopback addresses: what listening with no API keys is allowed on. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export function parseApiKeys(raw: string | undefined): ApiKey[] {
  if (raw === undefined) return [];
  const keys: ApiKey[] = [];
  const seen = new Set<string>();
  for (const [i, entry] of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .entries()) {
    const parts = entry.split(':');
    if (parts.length !== 3 || parts.some((p) => p.trim() === '')) {
      throw new ConfigError('API_KEYS', `entry ${i + 1} must be key:role:name (roles: ${API_ROLES.join(', ')}), got ${JSON.stringify(entry.replace(/^[^:]*/, '***'))}`);
    }
    const [key, role, name] = parts.map((p) => p.trim()) as [string, string, string];
    if (!(API_ROLES as readonly string[]).includes(role)) throw new ConfigError('API_KEYS', `entry ${i + 1} ("${name}") has role ${JSON.stringify(role)}; expected one of ${API_ROLES.join(', ')}`);
    if (key.length < 8) throw new ConfigError('API_KEYS', `entry ${i + 1} ("${name}") has a key shorter than 8 characters`);
    if (seen.has(key)) throw new ConfigError('API_KEYS', `entry ${i + 1} ("${name}") repeats a key`);
    seen.add(key);
    keys.push(Object.freeze({ key, role: role as ApiRole, name }));
  }
  return keys;
}

function metricsToken(env: Env): string | null {
  const v = str(env, 'METRICS_TOKEN');
  if (v === undefined) return null;
  if (v.length < 16 || /\s/.test(v)) throw new ConfigError('METRICS_TOKEN', 'expected a bearer token of at least 16 characters without spaces');
  return v;
}
