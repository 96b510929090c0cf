/**
 * The only reader of `process.env`. Parses and validates every setting in one
 * place and returns a frozen, typed object. A bad value throws a ConfigError
 * whose message names the variable and what it expects; `main.ts` prints it
 * as one line and exits with status 78 (EX_CONFIG).
 *
 * One file a section: `env.ts` (the typed readers), `kafka.ts`, `formats.ts`
 * (record formats, Schema Registry), `elasticsearch.ts`, `api.ts`, `slack.ts`,
 * `lifecycle.ts`; this file reads them in a fixed order, so the first bad
 * variable is the one reported.
 */
import { ConfigError } from '../errors.js';
import type { IndexNames, TopicNames } from '../topics.js';
import type { ComplaintRule } from '../domain/complaint.js';
import { api, isLoopbackHost, parseApiKeys, type ApiConfig, type ApiKey } from './api.js';
import { elasticsearch, indices, type ElasticsearchConfig } from './elasticsearch.js';
import { deepFreeze, int, num, oneOf, onOff, parseUrl, redactUrl, str, url, type Env } from './env.js';
import { formats, schemaRegistry, type RecordFormats, type SchemaRegistryConfig } from './formats.js';
import { brokers, DEFAULT_GROUP_PREFIX, kafka, kafkaSasl, kafkaSsl, topics, type KafkaConfig } from './kafka.js';
import { lifecycle, type LifecycleConfig } from './lifecycle.js';
import { slack, type SlackConfig } from './slack.js';

export { API_ROLES, isLoopbackHost, parseApiKeys, type ApiConfig, type ApiKey, type ApiRole, type RateLimit } from './api.js';
export type { ElasticsearchAuth, ElasticsearchConfig } from './elasticsearch.js';
export { parseDuration, redactUrl } from './env.js';
export type { RecordFormats, SchemaRegistryConfig } from './formats.js';
export { DEFAULT_GROUP_PREFIX, KAFKA_SASL_MECHANISMS, type KafkaConfig, type KafkaSaslConfig, type KafkaSaslMechanism, type KafkaSslConfig } from './kafka.js';
export type { LifecycleConfig } from './lifecycle.js';
export type { SlackConfig } from './slack.js';

export const ROLES = ['stream', 'sink', 'api', 'slack'] as const;
export type Role = (typeof ROLES)[number];

export interface Config {
  readonly production: boolean;
  readonly port: number;
  readonly host: string;
  readonly logLevel: string;
  /** `embedded` when neither KAFKA_BROKERS nor ELASTICSEARCH_URL is set. */
  readonly mode: 'embedded' | 'external';
  readonly kafka: KafkaConfig | null;
  readonly elasticsearch: ElasticsearchConfig | null;
  readonly topics: TopicNames;
  readonly indices: IndexNames;
  readonly formats: RecordFormats;
  readonly schemaRegistry: SchemaRegistryConfig | null;
  readonly roles: ReadonlySet<Role>;
  readonly apiKeys: readonly ApiKey[];
  readonly complaintRule: ComplaintRule;
  /** How long a rating with an unknown customer waits for the customer. @default 10_000 // ms */
  readonly joinGraceMs: number;
  readonly sink: { readonly batchSize: number; readonly flushMs: number; readonly maxInFlight: number; readonly maxBufferedRecords: number; readonly maxBufferedBytes: number };
  readonly api: ApiConfig;
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

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function mysqlUrl(env: Env, name: string): string | undefined {
  const v = str(env, name);
  if (v === undefined) return undefined;
  const expected = 'a mysql://user:password@host:port/database URL';
  const u = parseUrl(name, v, ['mysql:', 'mariadb:'], expected);
  if (u.hostname === '' || u.pathname.replace(/^\//, '') === '') throw new ConfigError(name, `expected ${expected} (host and database), got ${JSON.stringify(redactUrl(v))}`);
  return v;
}

function roles(env: Env): Set<Role> {
  const v = str(env, 'ROLES');
  if (v === undefined) return new Set(ROLES);
  const out = new Set<Role>();
  for (const r of v
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)) {
    if (!(ROLES as readonly string[]).includes(r)) throw new ConfigError('ROLES', `unknown role ${JSON.stringify(r)}; expected a comma list of ${ROLES.join(', ')}`);
    out.add(r as Role);
  }
  if (out.size === 0) throw new ConfigError('ROLES', `expected a comma list of ${ROLES.join(', ')}`);
  return out;
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
  const statuses = (str(env, 'COMPLAINT_CLUB_STATUSES') ?? 'platinum')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (statuses.length === 0) throw new ConfigError('COMPLAINT_CLUB_STATUSES', 'expected a comma list of club statuses, e.g. platinum,gold');
  const clientId = str(env, 'KAFKA_CLIENT_ID') ?? DEFAULT_GROUP_PREFIX;
  const kafkaSecurity = { sasl: kafkaSasl(env), ssl: kafkaSsl(env) };
  if (kafkaBrokers === undefined && (kafkaSecurity.sasl !== null || kafkaSecurity.ssl !== null)) {
    throw new ConfigError(kafkaSecurity.sasl ? 'KAFKA_SASL_MECHANISM' : 'KAFKA_SSL', 'applies to an external Kafka only: set KAFKA_BROKERS (and ELASTICSEARCH_URL) too');
  }
  const publicUrl = url(env, 'PUBLIC_URL')?.replace(/\/+$/, '');
  const recordFormats = formats(env);

  // Sections are read in this order: the first bad variable is the one reported.
  const config: Config = {
    production,
    port: int(env, 'PORT', 4000, 0, 65535),
    host,
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    mode,
    kafka: kafkaBrokers === undefined ? null : kafka(env, kafkaBrokers, clientId, kafkaSecurity),
    elasticsearch: elasticsearch(env, esUrl),
    topics: topics(env),
    indices: indices(env),
    formats: recordFormats,
    schemaRegistry: schemaRegistry(env, recordFormats),
    roles: roleSet,
    apiKeys,
    complaintRule: { starsBelow: int(env, 'COMPLAINT_STARS_BELOW', 3, 1, 6), clubStatuses: statuses },
    joinGraceMs: int(env, 'JOIN_GRACE_MS', 10_000, 0, 86_400_000),
    sink: {
      batchSize: int(env, 'SINK_BATCH_SIZE', 500, 1, 10_000),
      flushMs: int(env, 'SINK_FLUSH_MS', 200, 1, 60_000),
      maxInFlight: int(env, 'SINK_MAX_IN_FLIGHT', 4, 1, 32),
      maxBufferedRecords: int(env, 'SINK_MAX_BUFFERED_RECORDS', 20_000, 1, 1_000_000),
      maxBufferedBytes: int(env, 'SINK_MAX_BUFFERED_BYTES', 67_108_864, 1_048_576, 8_589_934_592),
    },
    api: api(env, production, allowOpenAccess),
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
