/**
 * The only reader of `process.env`. Parses and validates every setting in one
 * place and returns a frozen, typed object. A bad value throws a ConfigError
 * whose message names the variable and what it expects; `main.ts` prints it
 * as one line and exits with status 78 (EX_CONFIG).
 */
import { ConfigError } from './errors.js';
import { DEFAULT_INDICES, DEFAULT_TOPICS, type IndexNames, type TopicNames } from './topics.js';
import type { ComplaintRule } from './domain/complaint.js';

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
  } | null;
  readonly elasticsearch: { readonly url: string; readonly requestTimeoutMs: number } | null;
  readonly topics: TopicNames;
  readonly indices: IndexNames;
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
  };
  readonly slack: SlackConfig | null;
  /** Reminders and escalation of unacknowledged complaints (docs/lifecycle.md). */
  readonly lifecycle: LifecycleConfig;
  /** Base URL of a dashboard; complaints link to `${dashboardUrl}/complaints/<id>`. */
  readonly dashboardUrl: string | null;
  readonly demo: { readonly enabled: boolean; readonly ratingsPerSecond: number; readonly dataDir: string };
  /** Embedded default only: records kept per partition of the in-memory event log. @default 100_000 */
  readonly memoryRetentionRecords: number;
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
  const statuses = (str(env, 'COMPLAINT_CLUB_STATUSES') ?? 'platinum').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (statuses.length === 0) throw new ConfigError('COMPLAINT_CLUB_STATUSES', 'expected a comma list of club statuses, e.g. platinum,gold');
  const clientId = str(env, 'KAFKA_CLIENT_ID') ?? 'feedback-gateway';

  const config: Config = {
    production,
    port: int(env, 'PORT', 4000, 0, 65535),
    host: str(env, 'HOST') ?? '0.0.0.0',
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
          },
    elasticsearch: esUrl === undefined ? null : { url: esUrl, requestTimeoutMs: int(env, 'ELASTICSEARCH_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000) },
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
    },
    slack: slack(env),
    lifecycle: lifecycle(env),
    dashboardUrl: url(env, 'DASHBOARD_URL') ?? null,
    demo: {
      enabled: onOff(env, 'DEMO', mode === 'embedded'),
      ratingsPerSecond: num(env, 'DEMO_RATINGS_PER_SECOND', 5, 0.1, 10_000),
      dataDir: str(env, 'DEMO_DATA_DIR') ?? '',
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
