/**
 * The only reader of `process.env`. Parses and validates every setting in one
 * place and returns a frozen, typed object. A bad value throws a ConfigError
 * whose message names the variable and what it expects; `main.ts` prints it
 * as one line and exits with status 78 (EX_CONFIG).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';
import { DEFAULT_INDICES, DEFAULT_TOPICS, type IndexNames, type TopicNames } from './topics.js';
import type { ComplaintRule } from './domain/complaint.js';
import { OUTPUT_FORMATS, RECORD_FORMATS, type OutputFormat, type RecordFormat } from './domain/wire-format.js';

export const ROLES = ['stream', 'sink', 'api', 'slack'] as const;
export type Role = (typeof ROLES)[number];

export const API_ROLES = ['viewer', 'agent'] as const;
export type ApiRole = (typeof API_ROLES)[number];

export interface ApiKey {
  readonly key: string;
  readonly role: ApiRole;
  readonly name: string;
}

export interface SlackConfig {
  readonly botToken: string;
  readonly signingSecret: string;
  /** Socket Mode when set. */
  readonly appToken: string | null;
  readonly channel: string;
  /** Base URL of the Web API, ending in `/`. */
  readonly apiUrl: string;
  /** Complaints raised longer ago are not posted (0: all). @default 24 hours */
  readonly postMaxAgeMs: number;
  /**
   * SLACK_CLAIM_TIMEOUT_MS: a post or reminder claimed by an instance that
   * stopped renewing it for this long (it crashed) is taken over. @default 60_000 // ms
   */
  readonly claimTimeoutMs?: number;
}

export interface LifecycleConfig {
  /** REMIND_AFTER: first reminder this long after a complaint was raised, then again as long after each; 0: off. @default 900_000 // 15 minutes */
  readonly remindAfterMs: number;
  /** REMIND_MAX: reminders at most. @default 3 */
  readonly remindMax: number;
  /** ESCALATION_CHANNEL: where the one escalation post goes after the last reminder; null: no escalation. */
  readonly escalationChannel: string | null;
  /** ESCALATION_MENTION as Slack mrkdwn (`<!subteam^S…>` or `<@U…>`), or null. */
  readonly escalationMention: string | null;
}

/** How the product authenticates to Elasticsearch (never logged). */
export type ElasticsearchAuth =
  /** `ELASTICSEARCH_API_KEY`: the `encoded` value Elasticsearch returns, or `id:api_key`. */
  | { readonly apiKey: string | { readonly id: string; readonly api_key: string } }
  | { readonly username: string; readonly password: string };

export interface ElasticsearchConfig {
  readonly url: string;
  readonly requestTimeoutMs: number;
  /** null: none configured (credentials may still be in the URL). */
  readonly auth: ElasticsearchAuth | null;
  /** `ELASTICSEARCH_CA_FILE`: the CA certificate(s) that signed the cluster's HTTP certificate, PEM text. */
  readonly ca: string | null;
  /** `ELASTICSEARCH_CA_FINGERPRINT`: SHA-256 of the CA certificate, upper-case hex pairs joined by `:`. */
  readonly caFingerprint: string | null;
}

export const KAFKA_SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

/** SASL credentials for every Kafka client. `password` is not enumerable, so logging the config never shows it. */
export interface KafkaSaslConfig {
  readonly mechanism: KafkaSaslMechanism;
  readonly username: string;
  readonly password: string;
}

/**
 * TLS for every Kafka client: the PEM contents of the files named by
 * KAFKA_SSL_CA_FILE / KAFKA_SSL_CERT_FILE / KAFKA_SSL_KEY_FILE, read at start-up.
 * `ca: null` trusts the system's CAs. `key` is not enumerable.
 */
export interface KafkaSslConfig {
  readonly ca: string | null;
  readonly cert: string | null;
  readonly key: string | null;
}

export interface SchemaRegistryConfig {
  /** Base URL of a Confluent-compatible API (Apicurio: `.../apis/ccompat/v7`). */
  readonly url: string;
  readonly username: string | null;
  readonly password: string | null;
  /** PEM contents of SCHEMA_REGISTRY_CA_FILE, trusted for an https URL. */
  readonly ca: string | null;
  /** @default 5_000 // ms */
  readonly requestTimeoutMs: number;
}

export interface Config {
  readonly production: boolean;
  readonly port: number;
  readonly host: string;
  readonly logLevel: string;
  /** `embedded` when neither KAFKA_BROKERS nor ELASTICSEARCH_URL is set. */
  readonly mode: 'embedded' | 'external';
  readonly kafka: {
    readonly brokers: readonly string[];
    readonly clientId: string;
    /** Prefix for consumer groups and transactional ids. */
    readonly groupPrefix: string;
    /** Partitions for topics the product creates. @default 3 */
    readonly partitions: number;
    readonly replicationFactor: number;
    readonly exactlyOnce: boolean;
    /**
     * Consumer group session timeout: how long the group waits for a member
     * that stopped heartbeating (a crashed process) before its partitions move.
     * Kafka's default bounds: 6 s to 5 min. @default 30_000 // ms
     */
    readonly sessionTimeoutMs: number;
    /** KAFKA_SASL_*: null for none. */
    readonly sasl: KafkaSaslConfig | null;
    /** KAFKA_SSL and KAFKA_SSL_*_FILE: null for plaintext. */
    readonly ssl: KafkaSslConfig | null;
  } | null;
  readonly elasticsearch: ElasticsearchConfig | null;
  readonly topics: TopicNames;
  readonly indices: IndexNames;
  /**
   * How the input topics are read and the enriched topic written: `auto`
   * reads the Schema Registry wire format (magic byte 0) as Avro and anything
   * else as JSON.
   */
  readonly formats: { readonly ratings: RecordFormat; readonly customers: RecordFormat; readonly enriched: OutputFormat };
  readonly schemaRegistry: SchemaRegistryConfig | null;
  readonly roles: ReadonlySet<Role>;
  readonly apiKeys: readonly ApiKey[];
  readonly complaintRule: ComplaintRule;
  /** How long a rating with an unknown customer waits for the customer. @default 10_000 // ms */
  readonly joinGraceMs: number;
  readonly sink: { readonly batchSize: number; readonly flushMs: number };
  readonly api: {
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
    /** Bearer token `GET /metrics` requires; null: open. */
    readonly metricsToken: string | null;
    /**
     * ALLOW_OPEN_ACCESS=on: serve the API with no API_KEYS on a non-loopback
     * HOST (everyone is an agent; warned at every start). @default false
     */
    readonly allowOpenAccess: boolean;
    /** Operations (HTTP requests, WebSocket subscribe messages) per API key and role; null: no limit. */
    readonly rateLimits: Readonly<Record<ApiRole, RateLimit | null>>;
  };
  readonly slack: SlackConfig | null;
  /** Reminders and escalation of unacknowledged complaints (docs/lifecycle.md). */
  readonly lifecycle: LifecycleConfig;
  /**
   * The gateway's public base URL (PUBLIC_URL, no trailing slash), e.g.
   * `https://feedback.example.com`; null when not set.
   */
  readonly publicUrl: string | null;
  /**
   * Base URL of a dashboard; complaints link to `${dashboardUrl}/complaints/<id>`.
   * @default publicUrl (the gateway serves the dashboard at `/`)
   */
  readonly dashboardUrl: string | null;
  readonly demo: {
    readonly enabled: boolean;
    readonly ratingsPerSecond: number;
    readonly dataDir: string;
    /**
     * `DEMO_DB_URL` (`mysql://user:password@host:port/demo`): the demo generator writes
     * customer changes into this MariaDB/MySQL `CUSTOMERS` table (Debezium captures them)
     * instead of to the CDC topic. null: to the topic.
     */
    readonly dbUrl: string | null;
  };
  /** Embedded default only: records kept per partition of the in-memory event log. @default 100_000 */
  readonly memoryRetentionRecords: number;
}

/** A token bucket: `count` operations per `perMs`, refilled continuously (bursts up to `count`). */
export interface RateLimit {
  readonly count: number;
  readonly perMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

function str(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const v = str(env, name);
  if (v === undefined) return def;
  if (!/^\d+$/.test(v)) throw new ConfigError(name, `expected an integer between ${min} and ${max}, got ${JSON.stringify(v)}`);
  const n = Number(v);
  if (n < min || n > max) throw new ConfigError(name, `expected an integer between ${min} and ${max}, got ${n}`);
  return n;
}

function num(env: Env, name: string, def: number, min: number, max: number): number {
  const v = str(env, name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new ConfigError(name, `expected a number between ${min} and ${max}, got ${JSON.stringify(v)}`);
  return n;
}

function onOff(env: Env, name: string, def: boolean): boolean {
  const v = str(env, name)?.toLowerCase();
  if (v === undefined) return def;
  if (['on', 'true', '1', 'yes'].includes(v)) return true;
  if (['off', 'false', '0', 'no'].includes(v)) return false;
  throw new ConfigError(name, `expected on or off, got ${JSON.stringify(v)}`);
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
      throw new ConfigError('CORS_ORIGINS', `entry ${i + 1} must be an origin like https://dashboards.example.com (scheme, host, optional port; no path), or the whole value *; got ${JSON.stringify(entry)}`);
    }
    return u.origin;
  });
}

/** A URL fit for logs: user and password replaced by `***`. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.username || u.password) {
      u.username = '***';
      u.password = '';
    }
    return u.toString().replace(/\/$/, raw.endsWith('/') ? '/' : '');
  } catch {
    return raw.replace(/\/\/[^/@]*@/, '//***@');
  }
}

function url(env: Env, name: string): string | undefined {
  const v = str(env, name);
  if (v === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(name, `expected an http(s) URL, got ${JSON.stringify(redactUrl(v))}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(name, `expected an http(s) URL, got ${JSON.stringify(redactUrl(v))}`);
  return v;
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

function mysqlUrl(env: Env, name: string): string | undefined {
  const v = str(env, name);
  if (v === undefined) return undefined;
  const expected = 'a mysql://user:password@host:port/database URL';
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(name, `expected ${expected}, got ${JSON.stringify(redactUrl(v))}`);
  }
  if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:') throw new ConfigError(name, `expected ${expected}, got ${JSON.stringify(redactUrl(v))}`);
  if (u.hostname === '' || u.pathname.replace(/^\//, '') === '') throw new ConfigError(name, `expected ${expected} (host and database), got ${JSON.stringify(redactUrl(v))}`);
  return v;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function brokers(env: Env): string[] | undefined {
  const v = str(env, 'KAFKA_BROKERS');
  if (v === undefined) return undefined;
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const b of list) {
    if (!/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/.test(b)) throw new ConfigError('KAFKA_BROKERS', `expected a comma-separated list of host:port, got ${JSON.stringify(b)}`);
  }
  if (list.length === 0) throw new ConfigError('KAFKA_BROKERS', 'expected at least one host:port');
  return list;
}

/** Defines `key` on `o` as a read-only property that JSON, pino and `Object.values` skip. */
function hidden<T extends object, K extends string, V>(o: T, key: K, value: V): T & { readonly [P in K]: V } {
  return Object.defineProperty(o, key, { value, enumerable: false, writable: false }) as T & { readonly [P in K]: V };
}

/** The contents of a PEM file named by `name`; a missing, unreadable or non-PEM file is a ConfigError. */
function pemFile(env: Env, name: string, what: string): string | null {
  const path = str(env, name);
  if (path === undefined) return null;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new ConfigError(name, `cannot read ${JSON.stringify(path)} (${typeof code === 'string' ? code : 'unreadable'}); expected a readable PEM file with ${what}`);
  }
  if (!text.includes('-----BEGIN ')) throw new ConfigError(name, `${JSON.stringify(path)} is not a PEM file; expected ${what} (-----BEGIN ...)`);
  return text;
}

function kafkaSasl(env: Env): KafkaSaslConfig | null {
  const raw = str(env, 'KAFKA_SASL_MECHANISM')?.toLowerCase();
  const username = str(env, 'KAFKA_SASL_USERNAME');
  // Passwords are taken as they are: spaces may be part of them.
  const password = env.KAFKA_SASL_PASSWORD === undefined || env.KAFKA_SASL_PASSWORD === '' ? undefined : env.KAFKA_SASL_PASSWORD;
  if (raw === undefined) {
    if (username !== undefined || password !== undefined) {
      throw new ConfigError('KAFKA_SASL_MECHANISM', `is required when KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is set; expected one of ${KAFKA_SASL_MECHANISMS.join(', ')}`);
    }
    return null;
  }
  if (!(KAFKA_SASL_MECHANISMS as readonly string[]).includes(raw)) {
    throw new ConfigError('KAFKA_SASL_MECHANISM', `expected one of ${KAFKA_SASL_MECHANISMS.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  if (username === undefined) throw new ConfigError('KAFKA_SASL_USERNAME', `is required when KAFKA_SASL_MECHANISM is set`);
  if (password === undefined) throw new ConfigError('KAFKA_SASL_PASSWORD', `is required when KAFKA_SASL_MECHANISM is set`);
  return hidden({ mechanism: raw as KafkaSaslMechanism, username }, 'password', password);
}

function kafkaSsl(env: Env): KafkaSslConfig | null {
  const files = ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'].filter((n) => str(env, n) !== undefined);
  // On by default when a file is given; KAFKA_SSL=off with files is a contradiction.
  const on = onOff(env, 'KAFKA_SSL', files.length > 0);
  if (!on) {
    if (files.length > 0) throw new ConfigError('KAFKA_SSL', `is off but ${files.join(', ')} is set; set KAFKA_SSL=on or remove it`);
    return null;
  }
  const hasCert = str(env, 'KAFKA_SSL_CERT_FILE') !== undefined;
  const hasKey = str(env, 'KAFKA_SSL_KEY_FILE') !== undefined;
  if (hasCert !== hasKey) {
    throw new ConfigError(hasCert ? 'KAFKA_SSL_KEY_FILE' : 'KAFKA_SSL_CERT_FILE', 'mutual TLS needs both KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE (or neither)');
  }
  const ca = pemFile(env, 'KAFKA_SSL_CA_FILE', 'the CA certificate(s) that signed the brokers\' certificates');
  const cert = pemFile(env, 'KAFKA_SSL_CERT_FILE', 'the client certificate');
  const key = pemFile(env, 'KAFKA_SSL_KEY_FILE', 'the client private key');
  return hidden({ ca, cert }, 'key', key);
}

export function parseApiKeys(raw: string | undefined): ApiKey[] {
  if (raw === undefined) return [];
  const keys: ApiKey[] = [];
  const seen = new Set<string>();
  for (const [i, entry] of raw.split(',').map((s) => s.trim()).filter(Boolean).entries()) {
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

function roles(env: Env): Set<Role> {
  const v = str(env, 'ROLES');
  if (v === undefined) return new Set(ROLES);
  const out = new Set<Role>();
  for (const r of v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)) {
    if (!(ROLES as readonly string[]).includes(r)) throw new ConfigError('ROLES', `unknown role ${JSON.stringify(r)}; expected a comma list of ${ROLES.join(', ')}`);
    out.add(r as Role);
  }
  if (out.size === 0) throw new ConfigError('ROLES', `expected a comma list of ${ROLES.join(', ')}`);
  return out;
}

function topicName(env: Env, name: string, def: string): string {
  const v = str(env, name) ?? def;
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(v)) throw new ConfigError(name, `not a valid Kafka topic name: ${JSON.stringify(v)}`);
  return v;
}

function indexName(env: Env, name: string, def: string): string {
  const v = str(env, name) ?? def;
  if (!/^[a-z0-9][a-z0-9._-]{0,200}$/.test(v)) throw new ConfigError(name, `not a valid Elasticsearch index name (lower case, no spaces): ${JSON.stringify(v)}`);
  return v;
}

function slack(env: Env): SlackConfig | null {
  const botToken = str(env, 'SLACK_BOT_TOKEN');
  const signingSecret = str(env, 'SLACK_SIGNING_SECRET');
  const channel = str(env, 'SLACK_CHANNEL');
  const appToken = str(env, 'SLACK_APP_TOKEN') ?? null;
  const apiUrl = url(env, 'SLACK_API_URL') ?? 'https://slack.com/api/';
  if (botToken === undefined && signingSecret === undefined && channel === undefined && appToken === null) return null;
  if (botToken === undefined) throw new ConfigError('SLACK_BOT_TOKEN', 'is required when any SLACK_* variable is set (xoxb-...)');
  if (signingSecret === undefined) throw new ConfigError('SLACK_SIGNING_SECRET', 'is required when SLACK_BOT_TOKEN is set');
  if (channel === undefined) throw new ConfigError('SLACK_CHANNEL', 'is required when SLACK_BOT_TOKEN is set (a channel id such as C0123456789)');
  if (appToken !== null && !appToken.startsWith('xapp-')) throw new ConfigError('SLACK_APP_TOKEN', 'expected an app-level token starting with xapp-');
  const postMaxAgeMs = int(env, 'SLACK_POST_MAX_AGE_HOURS', 24, 0, 24 * 365) * 3_600_000;
  const claimTimeoutMs = int(env, 'SLACK_CLAIM_TIMEOUT_MS', 60_000, 1_000, 3_600_000);
  return { botToken, signingSecret, appToken, channel, apiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`, postMaxAgeMs, claimTimeoutMs };
}

/** `30s`, `15m`, `1h`, `2d` (or `0`) in ms. */
export function parseDuration(name: string, v: string): number {
  const m = /^(\d{1,9})(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m || (m[2] === undefined && m[1] !== '0')) throw new ConfigError(name, `expected a duration such as 30s, 15m or 1h (or 0 for off), got ${JSON.stringify(v)}`);
  const units: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  return Number(m[1]) * (units[m[2] ?? 'ms'] ?? 1);
}

function lifecycle(env: Env): LifecycleConfig {
  const raw = str(env, 'REMIND_AFTER');
  const remindAfterMs = raw === undefined ? 900_000 : parseDuration('REMIND_AFTER', raw);
  if (remindAfterMs !== 0 && (remindAfterMs < 1_000 || remindAfterMs > 7 * 86_400_000)) throw new ConfigError('REMIND_AFTER', `expected 0 (off) or a duration between 1s and 7d, got ${JSON.stringify(raw)}`);
  const escalationChannel = str(env, 'ESCALATION_CHANNEL') ?? null;
  if (escalationChannel !== null && !/^[A-Z0-9]{2,32}$/.test(escalationChannel)) throw new ConfigError('ESCALATION_CHANNEL', `expected a Slack channel id such as C0123456789, got ${JSON.stringify(escalationChannel)}`);
  const mention = str(env, 'ESCALATION_MENTION') ?? null;
  let escalationMention: string | null = null;
  if (mention !== null) {
    if (/^S[A-Z0-9]{2,}$/.test(mention)) escalationMention = `<!subteam^${mention}>`;
    else if (/^[UW][A-Z0-9]{2,}$/.test(mention)) escalationMention = `<@${mention}>`;
    else throw new ConfigError('ESCALATION_MENTION', `expected a Slack user group id (S…) or user id (U…/W…), got ${JSON.stringify(mention)}`);
  }
  return { remindAfterMs, remindMax: int(env, 'REMIND_MAX', 3, 0, 100), escalationChannel, escalationMention };
}

/**
 * The elasticsearch section: URL, timeout, credentials (`ELASTICSEARCH_API_KEY`,
 * or `ELASTICSEARCH_USERNAME` + `ELASTICSEARCH_PASSWORD`) and trust
 * (`ELASTICSEARCH_CA_FILE` or `ELASTICSEARCH_CA_FINGERPRINT`). Messages never
 * repeat a secret.
 */
function elasticsearch(env: Env, esUrl: string | undefined): ElasticsearchConfig | null {
  const apiKey = str(env, 'ELASTICSEARCH_API_KEY');
  const username = str(env, 'ELASTICSEARCH_USERNAME');
  const password = env.ELASTICSEARCH_PASSWORD === undefined || env.ELASTICSEARCH_PASSWORD === '' ? undefined : env.ELASTICSEARCH_PASSWORD;
  const caFile = str(env, 'ELASTICSEARCH_CA_FILE');
  const fingerprint = str(env, 'ELASTICSEARCH_CA_FINGERPRINT');
  if (esUrl === undefined) {
    const stray = [['ELASTICSEARCH_API_KEY', apiKey], ['ELASTICSEARCH_USERNAME', username], ['ELASTICSEARCH_PASSWORD', password], ['ELASTICSEARCH_CA_FILE', caFile], ['ELASTICSEARCH_CA_FINGERPRINT', fingerprint]].find(([, v]) => v !== undefined);
    if (stray) throw new ConfigError(stray[0]!, 'is set but ELASTICSEARCH_URL is not: set ELASTICSEARCH_URL (and KAFKA_BROKERS) to use an external Elasticsearch');
    return null;
  }
  const u = new URL(esUrl);
  let auth: ElasticsearchAuth | null = null;
  if (apiKey !== undefined) {
    if (username !== undefined || password !== undefined) {
      throw new ConfigError('ELASTICSEARCH_API_KEY', 'set either ELASTICSEARCH_API_KEY or ELASTICSEARCH_USERNAME + ELASTICSEARCH_PASSWORD, not both');
    }
    if (/\s/.test(apiKey)) throw new ConfigError('ELASTICSEARCH_API_KEY', 'expected the encoded API key (base64, as `encoded` in the create API key answer) or id:api_key, without spaces');
    const colon = apiKey.indexOf(':');
    if (colon >= 0) {
      const id = apiKey.slice(0, colon);
      const key = apiKey.slice(colon + 1);
      if (id === '' || key === '' || key.includes(':')) throw new ConfigError('ELASTICSEARCH_API_KEY', 'expected the encoded API key or id:api_key (one colon, both parts non-empty)');
      auth = { apiKey: { id, api_key: key } };
    } else {
      if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(apiKey)) throw new ConfigError('ELASTICSEARCH_API_KEY', 'expected the encoded API key (base64, as `encoded` in the create API key answer) or id:api_key');
      auth = { apiKey };
    }
  } else if (username !== undefined || password !== undefined) {
    if (username === undefined) throw new ConfigError('ELASTICSEARCH_USERNAME', 'is required when ELASTICSEARCH_PASSWORD is set');
    if (password === undefined) throw new ConfigError('ELASTICSEARCH_PASSWORD', 'is required when ELASTICSEARCH_USERNAME is set');
    auth = { username, password };
  }
  if (auth !== null && (u.username || u.password)) {
    throw new ConfigError('ELASTICSEARCH_URL', `has credentials in it and ${'apiKey' in auth ? 'ELASTICSEARCH_API_KEY' : 'ELASTICSEARCH_USERNAME'} is set too: keep one`);
  }
  if (caFile !== undefined && fingerprint !== undefined) {
    throw new ConfigError('ELASTICSEARCH_CA_FINGERPRINT', 'set either ELASTICSEARCH_CA_FILE or ELASTICSEARCH_CA_FINGERPRINT, not both');
  }
  let ca: string | null = null;
  if (caFile !== undefined) {
    if (u.protocol !== 'https:') throw new ConfigError('ELASTICSEARCH_CA_FILE', 'needs an https:// ELASTICSEARCH_URL');
    let text: string;
    try {
      text = readFileSync(caFile, 'utf8');
    } catch (e) {
      throw new ConfigError('ELASTICSEARCH_CA_FILE', `cannot read ${JSON.stringify(caFile)} (${(e as NodeJS.ErrnoException).code ?? String(e)}); expected a PEM file with the CA certificate`);
    }
    if (!/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(text)) {
      throw new ConfigError('ELASTICSEARCH_CA_FILE', `${JSON.stringify(caFile)} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    }
    try {
      new X509Certificate(text);
    } catch {
      throw new ConfigError('ELASTICSEARCH_CA_FILE', `${JSON.stringify(caFile)} holds a PEM block that is not a valid certificate`);
    }
    ca = text;
  }
  let caFingerprint: string | null = null;
  if (fingerprint !== undefined) {
    if (u.protocol !== 'https:') throw new ConfigError('ELASTICSEARCH_CA_FINGERPRINT', 'needs an https:// ELASTICSEARCH_URL');
    const hex = fingerprint.replace(/:/g, '');
    const pairs = fingerprint.includes(':') ? /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){31}$/.test(fingerprint) : /^[0-9A-Fa-f]{64}$/.test(fingerprint);
    if (!pairs) throw new ConfigError('ELASTICSEARCH_CA_FINGERPRINT', `expected the CA certificate's SHA-256 fingerprint: 64 hex digits, optionally as 32 pairs joined by colons, got ${JSON.stringify(fingerprint)}`);
    caFingerprint = hex.toUpperCase().replace(/(..)(?!$)/g, '$1:');
  }
  return {
    url: esUrl,
    requestTimeoutMs: int(env, 'ELASTICSEARCH_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
    auth,
    ca,
    caFingerprint,
  };
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], def: T): T {
  const v = str(env, name)?.toLowerCase();
  if (v === undefined) return def;
  if (!(allowed as readonly string[]).includes(v)) throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

function formats(env: Env): Config['formats'] {
  return {
    ratings: oneOf(env, 'RATINGS_FORMAT', RECORD_FORMATS, 'auto'),
    customers: oneOf(env, 'CUSTOMERS_FORMAT', RECORD_FORMATS, 'auto'),
    enriched: oneOf(env, 'ENRICHED_FORMAT', OUTPUT_FORMATS, 'json'),
  };
}

function schemaRegistry(env: Env, f: Config['formats']): SchemaRegistryConfig | null {
  const registryUrl = url(env, 'SCHEMA_REGISTRY_URL');
  const username = str(env, 'SCHEMA_REGISTRY_USERNAME') ?? null;
  const password = str(env, 'SCHEMA_REGISTRY_PASSWORD') ?? null;
  const caFile = str(env, 'SCHEMA_REGISTRY_CA_FILE');
  if (registryUrl === undefined) {
    const needs = f.ratings === 'avro' ? 'RATINGS_FORMAT=avro' : f.customers === 'avro' ? 'CUSTOMERS_FORMAT=avro' : f.enriched === 'avro' ? 'ENRICHED_FORMAT=avro' : null;
    if (needs !== null) throw new ConfigError('SCHEMA_REGISTRY_URL', `is required with ${needs} (the base URL of a Confluent-compatible Schema Registry)`);
    const stray = username !== null ? 'SCHEMA_REGISTRY_USERNAME' : password !== null ? 'SCHEMA_REGISTRY_PASSWORD' : caFile !== undefined ? 'SCHEMA_REGISTRY_CA_FILE' : null;
    if (stray !== null) throw new ConfigError('SCHEMA_REGISTRY_URL', `is required when ${stray} is set`);
    return null;
  }
  if ((username === null) !== (password === null)) {
    throw new ConfigError(username === null ? 'SCHEMA_REGISTRY_USERNAME' : 'SCHEMA_REGISTRY_PASSWORD', 'set both SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD for basic auth, or neither');
  }
  let ca: string | null = null;
  if (caFile !== undefined) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (e) {
      throw new ConfigError('SCHEMA_REGISTRY_CA_FILE', `cannot read ${JSON.stringify(caFile)} (${(e as NodeJS.ErrnoException).code ?? 'error'}); expected a PEM file of CA certificates`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError('SCHEMA_REGISTRY_CA_FILE', `${JSON.stringify(caFile)} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  return { url: registryUrl, username, password, ca, requestTimeoutMs: int(env, 'SCHEMA_REGISTRY_TIMEOUT_MS', 5_000, 100, 600_000) };
}

function logLevel(env: Env): string {
  const v = str(env, 'LOG_LEVEL')?.toLowerCase() ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(v)) throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(v)}`);
  return v;
}

export function loadConfig(env: Env = process.env): Config {
  const production = str(env, 'NODE_ENV') === 'production';
  const kafkaBrokers = brokers(env);
  const esUrl = url(env, 'ELASTICSEARCH_URL');
  if ((kafkaBrokers === undefined) !== (esUrl === undefined)) {
    const missing = kafkaBrokers === undefined ? 'KAFKA_BROKERS' : 'ELASTICSEARCH_URL';
    throw new ConfigError(missing, `set both KAFKA_BROKERS and ELASTICSEARCH_URL to use external backends, or neither for the embedded default`);
  }
  const mode = kafkaBrokers === undefined ? 'embedded' : 'external';
  const apiKeys = parseApiKeys(str(env, 'API_KEYS'));
  const roleSet = roles(env);
  if (production && apiKeys.length === 0 && roleSet.has('api')) {
    throw new ConfigError('API_KEYS', 'is required when NODE_ENV=production (key:role:name,...); the API refuses to run open in production');
  }
  const allowOpenAccess = onOff(env, 'ALLOW_OPEN_ACCESS', false);
  // Secure by default: with no keys the API listens on loopback only.
  const host = str(env, 'HOST') ?? (apiKeys.length > 0 ? '0.0.0.0' : '127.0.0.1');
  if (apiKeys.length === 0 && roleSet.has('api') && !isLoopbackHost(host) && !allowOpenAccess) {
    throw new ConfigError('API_KEYS', `is required to listen on HOST=${host} (not a loopback address); set API_KEYS=key:role:name,..., or ALLOW_OPEN_ACCESS=on to let anyone in as an agent`);
  }
  const statuses = (str(env, 'COMPLAINT_CLUB_STATUSES') ?? 'platinum').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (statuses.length === 0) throw new ConfigError('COMPLAINT_CLUB_STATUSES', 'expected a comma list of club statuses, e.g. platinum,gold');
  const clientId = str(env, 'KAFKA_CLIENT_ID') ?? 'feedback-gateway';
  const kafkaSecurity = { sasl: kafkaSasl(env), ssl: kafkaSsl(env) };
  if (kafkaBrokers === undefined && (kafkaSecurity.sasl !== null || kafkaSecurity.ssl !== null)) {
    throw new ConfigError(kafkaSecurity.sasl ? 'KAFKA_SASL_MECHANISM' : 'KAFKA_SSL', 'applies to an external Kafka only: set KAFKA_BROKERS (and ELASTICSEARCH_URL) too');
  }
  const publicUrl = url(env, 'PUBLIC_URL')?.replace(/\/+$/, '');
  const recordFormats = formats(env);

  const config: Config = {
    production,
    port: int(env, 'PORT', 4000, 0, 65535),
    host,
    logLevel: logLevel(env),
    mode,
    kafka:
      kafkaBrokers === undefined
        ? null
        : {
            brokers: kafkaBrokers,
            clientId,
            groupPrefix: str(env, 'KAFKA_GROUP_PREFIX') ?? clientId,
            partitions: int(env, 'TOPIC_PARTITIONS', 3, 1, 1000),
            replicationFactor: int(env, 'TOPIC_REPLICATION_FACTOR', 1, 1, 10),
            exactlyOnce: onOff(env, 'EXACTLY_ONCE', true),
            sessionTimeoutMs: int(env, 'KAFKA_SESSION_TIMEOUT_MS', 30_000, 6_000, 300_000),
            ...kafkaSecurity,
          },
    elasticsearch: elasticsearch(env, esUrl),
    topics: {
      ratings: topicName(env, 'TOPIC_RATINGS', DEFAULT_TOPICS.ratings),
      customersCdc: topicName(env, 'TOPIC_CUSTOMERS_CDC', DEFAULT_TOPICS.customersCdc),
      customersRekeyed: topicName(env, 'TOPIC_CUSTOMERS_REKEYED', DEFAULT_TOPICS.customersRekeyed),
      ratingsEnriched: topicName(env, 'TOPIC_RATINGS_ENRICHED', DEFAULT_TOPICS.ratingsEnriched),
      complaints: topicName(env, 'TOPIC_COMPLAINTS', DEFAULT_TOPICS.complaints),
      acknowledgements: topicName(env, 'TOPIC_ACKNOWLEDGEMENTS', DEFAULT_TOPICS.acknowledgements),
      transitions: topicName(env, 'TOPIC_TRANSITIONS', DEFAULT_TOPICS.transitions),
      deadLetters: topicName(env, 'TOPIC_DEAD_LETTERS', DEFAULT_TOPICS.deadLetters),
    },
    indices: {
      ratings: indexName(env, 'INDEX_RATINGS', DEFAULT_INDICES.ratings),
      complaints: indexName(env, 'INDEX_COMPLAINTS', DEFAULT_INDICES.complaints),
      customers: indexName(env, 'INDEX_CUSTOMERS', DEFAULT_INDICES.customers),
    },
    formats: recordFormats,
    schemaRegistry: schemaRegistry(env, recordFormats),
    roles: roleSet,
    apiKeys,
    complaintRule: { starsBelow: int(env, 'COMPLAINT_STARS_BELOW', 3, 1, 6), clubStatuses: statuses },
    joinGraceMs: int(env, 'JOIN_GRACE_MS', 10_000, 0, 86_400_000),
    sink: { batchSize: int(env, 'SINK_BATCH_SIZE', 500, 1, 10_000), flushMs: int(env, 'SINK_FLUSH_MS', 200, 1, 60_000) },
    api: {
      subscriberBufferSize: int(env, 'SUBSCRIBER_BUFFER', 1_000, 1, 1_000_000),
      maxSubscriptionsPerConnection: int(env, 'MAX_SUBSCRIPTIONS_PER_CONNECTION', 20, 1, 10_000),
      maxBodyBytes: int(env, 'MAX_BODY_BYTES', 100_000, 1_000, 50_000_000),
      introspection: onOff(env, 'INTROSPECTION', !production),
      corsOrigins: corsOrigins(str(env, 'CORS_ORIGINS')),
      maxConcurrentReplays: int(env, 'MAX_CONCURRENT_REPLAYS', 4, 1, 1_000),
      maxReplaysPerConnection: int(env, 'MAX_REPLAYS_PER_CONNECTION', 2, 1, 1_000),
      maxHistogramBuckets: int(env, 'MAX_HISTOGRAM_BUCKETS', 10_000, 10, 1_000_000),
      slackMaxBodyBytes: int(env, 'SLACK_MAX_BODY_BYTES', 1_048_576, 1_024, 50_000_000),
      metricsToken: metricsToken(env),
      allowOpenAccess,
      rateLimits: {
        viewer: rateLimit(env, 'RATE_LIMIT_VIEWER', { count: 100, perMs: 1_000 }),
        agent: rateLimit(env, 'RATE_LIMIT_AGENT', { count: 100, perMs: 1_000 }),
      },
    },
    slack: slack(env),
    lifecycle: lifecycle(env),
    publicUrl: publicUrl ?? null,
    dashboardUrl: (url(env, 'DASHBOARD_URL') ?? publicUrl)?.replace(/\/+$/, '') ?? null,
    demo: {
      enabled: onOff(env, 'DEMO', mode === 'embedded'),
      ratingsPerSecond: num(env, 'DEMO_RATINGS_PER_SECOND', 5, 0.1, 10_000),
      dataDir: str(env, 'DEMO_DATA_DIR') ?? '',
      dbUrl: mysqlUrl(env, 'DEMO_DB_URL') ?? null,
    },
    memoryRetentionRecords: int(env, 'MEMORY_RETENTION_RECORDS', 100_000, 1_000, 10_000_000),
  };
  return deepFreeze(config);
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o) && !(o instanceof Set)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
