/**
 * The kafka section: brokers, client id and consumer-group prefix, topic
 * creation settings, SASL and TLS (KAFKA_*), and the topic names (TOPIC_*).
 */
import { ConfigError } from '../errors.js';
import { DEFAULT_TOPICS, type TopicNames } from '../topics.js';
import { hidden, int, name, onOff, readTextFile, secret, str, type Env } from './env.js';

/**
 * KAFKA_CLIENT_ID's default, and so the default prefix of consumer groups,
 * transactional ids and internal topics (KAFKA_GROUP_PREFIX).
 */
export const DEFAULT_GROUP_PREFIX = 'feedback-gateway';

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

export interface KafkaSecurity {
  /** KAFKA_SASL_*: null for none. */
  readonly sasl: KafkaSaslConfig | null;
  /** KAFKA_SSL and KAFKA_SSL_*_FILE: null for plaintext. */
  readonly ssl: KafkaSslConfig | null;
}

export interface KafkaConfig extends KafkaSecurity {
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
}

/** KAFKA_BROKERS: a comma-separated list of host:port; undefined when unset. */
export function brokers(env: Env): string[] | undefined {
  const v = str(env, 'KAFKA_BROKERS');
  if (v === undefined) return undefined;
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const b of list) {
    if (!/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/.test(b)) throw new ConfigError('KAFKA_BROKERS', `expected a comma-separated list of host:port, got ${JSON.stringify(b)}`);
  }
  if (list.length === 0) throw new ConfigError('KAFKA_BROKERS', 'expected at least one host:port');
  return list;
}

/** The rest of the kafka section, given the brokers, client id and security read before it. */
export function kafka(env: Env, brokerList: readonly string[], clientId: string, security: KafkaSecurity): KafkaConfig {
  return {
    brokers: brokerList,
    clientId,
    groupPrefix: str(env, 'KAFKA_GROUP_PREFIX') ?? clientId,
    partitions: int(env, 'TOPIC_PARTITIONS', 3, 1, 1000),
    replicationFactor: int(env, 'TOPIC_REPLICATION_FACTOR', 1, 1, 10),
    exactlyOnce: onOff(env, 'EXACTLY_ONCE', true),
    sessionTimeoutMs: int(env, 'KAFKA_SESSION_TIMEOUT_MS', 30_000, 6_000, 300_000),
    ...security,
  };
}

/** The contents of a PEM file named by `name`; a missing, unreadable or non-PEM file is a ConfigError. */
function pemFile(env: Env, name: string, what: string): string | null {
  const path = str(env, name);
  if (path === undefined) return null;
  const text = readTextFile(name, path, `expected a readable PEM file with ${what}`, () => 'unreadable');
  if (!text.includes('-----BEGIN ')) throw new ConfigError(name, `${JSON.stringify(path)} is not a PEM file; expected ${what} (-----BEGIN ...)`);
  return text;
}

export function kafkaSasl(env: Env): KafkaSaslConfig | null {
  const raw = str(env, 'KAFKA_SASL_MECHANISM')?.toLowerCase();
  const username = str(env, 'KAFKA_SASL_USERNAME');
  const password = secret(env, 'KAFKA_SASL_PASSWORD');
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

export function kafkaSsl(env: Env): KafkaSslConfig | null {
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
  const ca = pemFile(env, 'KAFKA_SSL_CA_FILE', "the CA certificate(s) that signed the brokers' certificates");
  const cert = pemFile(env, 'KAFKA_SSL_CERT_FILE', 'the client certificate');
  const key = pemFile(env, 'KAFKA_SSL_KEY_FILE', 'the client private key');
  return hidden({ ca, cert }, 'key', key);
}

function topicName(env: Env, variable: string, def: string): string {
  return name(env, variable, def, /^[A-Za-z0-9._-]{1,249}$/, 'Kafka topic name');
}

/** TOPIC_*: every topic the product reads or writes. */
export function topics(env: Env): TopicNames {
  return {
    ratings: topicName(env, 'TOPIC_RATINGS', DEFAULT_TOPICS.ratings),
    customersCdc: topicName(env, 'TOPIC_CUSTOMERS_CDC', DEFAULT_TOPICS.customersCdc),
    customersRekeyed: topicName(env, 'TOPIC_CUSTOMERS_REKEYED', DEFAULT_TOPICS.customersRekeyed),
    ratingsEnriched: topicName(env, 'TOPIC_RATINGS_ENRICHED', DEFAULT_TOPICS.ratingsEnriched),
    complaints: topicName(env, 'TOPIC_COMPLAINTS', DEFAULT_TOPICS.complaints),
    acknowledgements: topicName(env, 'TOPIC_ACKNOWLEDGEMENTS', DEFAULT_TOPICS.acknowledgements),
    transitions: topicName(env, 'TOPIC_TRANSITIONS', DEFAULT_TOPICS.transitions),
    deadLetters: topicName(env, 'TOPIC_DEAD_LETTERS', DEFAULT_TOPICS.deadLetters),
  };
}
