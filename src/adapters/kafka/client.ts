/**
 * The kafkajs client, with its logs routed into ours (pino) and its known
 * noise turned down.
 */
import { Kafka, logLevel, type LogEntry, type logCreator, type SASLOptions } from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';
import type { Logger } from '../../logger.js';
import type { Admin, IHeaders, KafkaMessage, Message } from 'kafkajs';
import type { LogRecord, OutRecord } from '../../ports/event-log.js';

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
  /** TCP connect timeout. @default 3_000 // ms */
  readonly connectionTimeoutMs?: number;
  /** @default 30_000 // ms */
  readonly requestTimeoutMs?: number;
  /** SASL for every connection (KAFKA_SASL_*). @default none */
  readonly sasl?: KafkaSasl | null;
  /** TLS for every connection (KAFKA_SSL*): PEM contents. @default plaintext */
  readonly ssl?: KafkaTls | null;
  /** Retries of kafkajs' own retrier. @default 8 */
  readonly retries?: number;
}

export interface KafkaSasl {
  readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  readonly username: string;
  readonly password: string;
}

export interface KafkaTls {
  /** CA certificate(s), PEM; null trusts the system's CAs. */
  readonly ca: string | null;
  /** Client certificate and key, PEM, for mutual TLS. */
  readonly cert: string | null;
  readonly key: string | null;
}

/** kafkajs' `ssl` option: `true` (system CAs) or Node's TLS options; false for plaintext. */
export function kafkaTlsOption(tls: KafkaTls | null | undefined): boolean | ConnectionOptions {
  if (!tls) return false;
  if (tls.ca === null && tls.cert === null) return true;
  return {
    ...(tls.ca !== null ? { ca: [tls.ca] } : {}),
    ...(tls.cert !== null && tls.key !== null ? { cert: tls.cert, key: tls.key } : {}),
  };
}

/** kafkajs' `sasl` option (a fresh object: kafkajs keeps a reference to it). */
export function kafkaSaslOption(sasl: KafkaSasl | null | undefined): SASLOptions | undefined {
  if (!sasl) return undefined;
  return { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions;
}

/**
 * Messages kafkajs logs at ERROR/WARN that are expected in normal operation:
 * - CONCURRENT_TRANSACTIONS: the next transaction's AddPartitionsToTxn races
 *   the coordinator finishing the previous one; kafkajs retries it
 *   (https://github.com/tulios/kafkajs/issues/1315, PR #299);
 * - the warning about limited retries on an idempotent producer: our
 *   transactional producers abort and redo the whole batch instead;
 * - the default partitioner change notice of kafkajs 2.0 (we pass it explicitly);
 * - a rebalance in progress.
 *
 * Not here on purpose: "The coordinator is not aware of this member" means the
 * member was dropped from its group (a session timeout: a handler that ran
 * longer than the session without heartbeats, or a stalled process) and is
 * re-joining, which redelivers uncommitted batches; repeated, it is a
 * rebalance loop, so it stays a warning.
 */
const EXPECTED = [
  'another concurrent operation on the same transaction',
  'CONCURRENT_TRANSACTIONS',
  'Limiting retries for the idempotent producer',
  'KafkaJS v2.0.0 switched default partitioner',
  'The group is rebalancing',
];

/** kafkajs' own log lines, on the event log's logger (its `component`), with kafkajs' `namespace` (Consumer, Producer, Runner…). */
export function kafkaLogCreator(logger: Logger): logCreator {
  const log = logger;
  return () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const { message, timestamp: _t, ...extra } = entry;
      const text = `${message} ${typeof extra.error === 'string' ? extra.error : ''}`;
      const expected = EXPECTED.some((e) => text.includes(e));
      const fields = { namespace, ...extra };
      if (level === logLevel.ERROR && !expected) log.warn(fields, message);
      else if (level === logLevel.WARN && !expected) log.warn(fields, message);
      else log.debug(fields, message);
    };
}

/**
 * The one place the product creates a kafkajs client. Every admin, producer and
 * consumer is made from it (the uncommitted admin of `uncommittedAdmin` too, through
 * the same cluster factory), so they all get its `ssl` and `sasl`.
 */
export function createKafkaClient(o: KafkaClientOptions): Kafka {
  const sasl = kafkaSaslOption(o.sasl);
  return new Kafka({
    clientId: o.clientId,
    brokers: [...o.brokers],
    ssl: kafkaTlsOption(o.ssl),
    ...(sasl ? { sasl } : {}),
    connectionTimeout: o.connectionTimeoutMs ?? 3_000,
    requestTimeout: o.requestTimeoutMs ?? 30_000,
    logLevel: logLevel.INFO,
    logCreator: kafkaLogCreator(o.logger),
    retry: { initialRetryTime: 100, maxRetryTime: 5_000, retries: o.retries ?? 8 },
  });
}

/** A kafkajs message as a port record. Headers become strings (UTF-8); a repeated header keeps its last value. */
export function toLogRecord(topic: string, partition: number, m: KafkaMessage): LogRecord {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ?? null,
    value: m.value ?? null,
    timestamp: Number(m.timestamp),
    headers: decodeHeaders(m.headers),
  };
}

function decodeHeaders(h: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  for (const [k, v] of Object.entries(h)) {
    const last = Array.isArray(v) ? v[v.length - 1] : v;
    if (last !== undefined) out[k] = typeof last === 'string' ? last : last.toString('utf8');
  }
  return out;
}

/** A port record as a kafkajs message. */
export function toMessage(r: OutRecord): Message {
  return {
    key: r.key,
    value: r.value,
    ...(r.partition !== undefined ? { partition: r.partition } : {}),
    ...(r.headers ? { headers: { ...r.headers } } : {}),
    timestamp: String(r.timestamp ?? Date.now()),
  };
}

/** Groups records by topic, keeping their order, for `sendBatch`. */
export function byTopic(records: readonly OutRecord[]): { topic: string; messages: Message[] }[] {
  const out = new Map<string, Message[]>();
  for (const r of records) {
    let list = out.get(r.topic);
    if (!list) out.set(r.topic, (list = []));
    list.push(toMessage(r));
  }
  return [...out].map(([topic, messages]) => ({ topic, messages }));
}

/** Kafka's per-record overhead (record batch framing, varints, headers' names), counted generously. */
const RECORD_OVERHEAD_BYTES = 64;

/** Roughly how many bytes `r` takes in a record batch (uncompressed): key, value, headers and framing. */
export function recordBytes(r: OutRecord): number {
  const len = (v: string | Buffer | null | undefined): number => (v === null || v === undefined ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length);
  let n = RECORD_OVERHEAD_BYTES + len(r.key) + len(r.value);
  for (const [k, v] of Object.entries(r.headers ?? {})) n += len(k) + len(v) + 8;
  return n;
}

/**
 * `records` cut, in order, into runs of at most `maxBytes` each (by
 * {@link recordBytes}; a record bigger than that alone). kafkajs sends one
 * record batch per partition per request and never splits it, and the broker
 * refuses a batch above `message.max.bytes` (1 MiB by default) with
 * MESSAGE_TOO_LARGE: a transaction's output is sent in such runs.
 */
export function splitByBytes(records: readonly OutRecord[], maxBytes: number): OutRecord[][] {
  const out: OutRecord[][] = [];
  let run: OutRecord[] = [];
  let bytes = 0;
  for (const r of records) {
    const n = recordBytes(r);
    if (run.length > 0 && bytes + n > maxBytes) {
      out.push(run);
      run = [];
      bytes = 0;
    }
    run.push(r);
    bytes += n;
  }
  if (run.length > 0) out.push(run);
  return out;
}

/**
 * An admin client whose ListOffsets requests are READ_UNCOMMITTED, so
 * `fetchTopicOffsets` answers the high watermark (records of open transactions
 * included) instead of the last stable offset. kafkajs' `admin()` always asks
 * READ_COMMITTED and has no option for it; its consumers do (`readUncommitted`),
 * through the cluster factory kept under a private symbol. This borrows that
 * factory with the isolation level set. kafkajs is frozen at 2.2.4 (pinned in
 * package-lock.json); test/unit/adapters/kafka/client.test.ts fails if the symbol is gone.
 *
 * @returns null when `client` is not a kafkajs Kafka instance that has the factory
 */
export function uncommittedAdmin(client: Kafka): Admin | null {
  const symbol = Object.getOwnPropertySymbols(client).find((s) => s.description === 'private:Kafka:createCluster');
  if (symbol === undefined) return null;
  const createCluster = (client as unknown as Record<symbol, unknown>)[symbol];
  if (typeof createCluster !== 'function') return null;
  const READ_UNCOMMITTED = 0;
  const borrowed = Object.create(client, {
    [symbol]: { value: (o: Record<string, unknown>) => (createCluster as (o: Record<string, unknown>) => unknown)({ ...o, isolationLevel: READ_UNCOMMITTED }) },
  }) as Kafka;
  return borrowed.admin();
}
