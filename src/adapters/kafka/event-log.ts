/**
 * The EventLog port on kafkajs.
 *
 * - `produce`: one idempotent producer at a time, replaced when its sequence
 *   breaks ({@link ProducerPool}, `producers.ts`).
 * - `offsets`: `admin.fetchTopicOffsets`. kafkajs sends ListOffsets without
 *   an isolation level from the admin client, and its request builder then
 *   defaults to READ_COMMITTED, so `high` is the last stable offset (LSO), the
 *   end a read_committed reader can reach, not the high watermark. Both are
 *   equal when no transaction is open. `offsets(topic, 'uncommitted')` asks
 *   READ_UNCOMMITTED through a second admin (see `uncommittedAdmin`) and gets
 *   the high watermark.
 * - `tail`: a throwaway consumer group of its own that seeks to the
 *   positions it tracked after every (re)join (`tail.ts`).
 * - `consume`: a group consumer that commits only after the handler resolved
 *   and redelivers a batch whose handler threw after a backoff (`group-consumer.ts`).
 * - Heartbeats: kafkajs heartbeats only between batches, so a handler that runs
 *   longer than the session timeout (a bulk request with retries, a
 *   rate-limited Slack poster) gets its member dropped: the commit fails, the
 *   batch comes again, and again (a rebalance loop). While a tail or consume
 *   handler runs, a timer calls the batch's `heartbeat()` every half heartbeat
 *   interval (kafkajs sends one only when due).
 * - Crashes: kafkajs restarts a crashed consumer only after a retriable error;
 *   after any other (CRASH with `restart: false`) the consumer is gone. Tails
 *   and group consumers run under a {@link SupervisedConsumer}, which recreates
 *   it with jittered backoff: a tail from the positions it tracked, a group
 *   consumer from its committed offsets. `ping()` is false while any consumer
 *   of this log (the stream runtime's included) is down, so /readyz shows it.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { UnavailableError } from '../../errors.js';
import { silentLogger, type Logger } from '../../logger.js';
import type { ConsumeOptions, EventLog, OutRecord, PartitionOffsets, Stoppable, TailOptions, TopicSpec } from '../../ports/event-log.js';
import { retry, sleep } from '../../retry.js';
import { createKafkaClient, uncommittedAdmin, type KafkaSasl, type KafkaTls } from './client.js';
import { kafkaAccessError, translateKafkaError, type KafkaSecurityInfo } from './errors.js';
import { startGroupConsumer } from './group-consumer.js';
import { ProducerPool } from './producers.js';
import type { ConsumerDefaults, ConsumerHost } from './supervised-consumer.js';
import { startTail } from './tail.js';

export interface KafkaEventLogOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Partitions of topics created without a count. @default 3 */
  readonly partitions?: number;
  /** @default 1 */
  readonly replicationFactor?: number;
  readonly logger?: Logger;
  /** Consumer group session timeout; a crashed member's partitions move after this. @default 30_000 // ms */
  readonly sessionTimeoutMs?: number;
  /** @default 3_000 // ms */
  readonly heartbeatIntervalMs?: number;
  /** Longest a fetch waits on the broker when there is nothing new. @default 500 // ms */
  readonly maxWaitTimeMs?: number;
  /** Most bytes one fetch returns per partition: bounds a batch (and a stream transaction). @default 1_048_576 // 1 MiB */
  readonly maxBytesPerPartition?: number;
  /** Partitions of one consumer handled at the same time. @default 3 */
  readonly partitionsConsumedConcurrently?: number;
  /** First redelivery delay after a consume handler threw. @default 200 // ms */
  readonly retryInitialDelayMs?: number;
  /** @default 10_000 // ms */
  readonly retryMaxDelayMs?: number;
  /** How long `ping` waits for the broker. @default 2_000 // ms */
  readonly pingTimeoutMs?: number;
  /** SASL credentials for the client created here. @default none */
  readonly sasl?: KafkaSasl | null;
  /** TLS for the client created here. @default plaintext */
  readonly ssl?: KafkaTls | null;
  /** Reuse a kafkajs client (otherwise one is created from brokers, clientId, sasl and ssl). */
  readonly client?: Kafka;
}

export function createKafkaEventLog(options: KafkaEventLogOptions): KafkaEventLog {
  if (options.brokers.length === 0) throw new UnavailableError('createKafkaEventLog: brokers must list at least one host:port', { retriable: false });
  return new KafkaEventLog(options);
}

export class KafkaEventLog implements EventLog {
  readonly kind = 'kafka' as const;
  /** The kafkajs client, for the stream runtime's consumers and transactional producers. */
  readonly client: Kafka;
  readonly logger: Logger;
  readonly clientId: string;
  readonly consumerDefaults: ConsumerDefaults;
  private readonly partitions: number;
  private readonly replicationFactor: number;
  private readonly pingTimeoutMs: number;
  private readonly security: KafkaSecurityInfo;
  /** A client like `client` but with few retries, for `checkAccess`; null when `client` was given. */
  private readonly makeCheckClient: (() => Kafka) | null;
  private adminPromise: Promise<Admin> | null = null;
  private uncommittedAdminPromise: Promise<Admin> | null = null;
  /** The idempotent producer(s) behind `produce`. */
  private readonly producers: ProducerPool;
  /** What tails and group consumers use of this log. */
  private readonly host: ConsumerHost;
  private readonly loops = new Set<Stoppable>();
  /** Consumers of this log (tails, group consumers, stream processors) that crashed and are not back yet: id → why. */
  private readonly down = new Map<string, string>();
  private closed = false;

  constructor(o: KafkaEventLogOptions) {
    this.logger = o.logger ?? silentLogger;
    this.clientId = o.clientId;
    this.client = o.client ?? createKafkaClient({ brokers: o.brokers, clientId: o.clientId, logger: this.logger, sasl: o.sasl ?? null, ssl: o.ssl ?? null });
    this.partitions = o.partitions ?? 3;
    this.replicationFactor = o.replicationFactor ?? 1;
    this.pingTimeoutMs = o.pingTimeoutMs ?? 2_000;
    this.makeCheckClient = o.client ? null : () => createKafkaClient({ brokers: o.brokers, clientId: o.clientId, logger: this.logger, sasl: o.sasl ?? null, ssl: o.ssl ?? null, retries: 2 });
    this.security = { mechanism: o.sasl?.mechanism ?? null, username: o.sasl?.username ?? null, tls: Boolean(o.ssl), clientCertificate: Boolean(o.ssl?.cert) };
    this.consumerDefaults = {
      sessionTimeout: o.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: o.heartbeatIntervalMs ?? 3_000,
      maxWaitTimeInMs: o.maxWaitTimeMs ?? 500,
      maxBytesPerPartition: o.maxBytesPerPartition ?? 1_048_576,
    };
    this.producers = new ProducerPool(this.client, this.logger, () => this.assertOpen());
    this.host = {
      client: this.client,
      logger: this.logger,
      consumerDefaults: this.consumerDefaults,
      retryInitialDelayMs: o.retryInitialDelayMs ?? 200,
      retryMaxDelayMs: o.retryMaxDelayMs ?? 10_000,
      concurrency: o.partitionsConsumedConcurrently ?? 3,
      heartbeatEveryMs: () => this.heartbeatEveryMs(),
      consumerHealth: (id, healthy, error) => this.consumerHealth(id, healthy, error),
    };
  }

  /**
   * Start-up check of credentials and TLS: an admin client of its own (from a client
   * with few retries, so a refusal is known in seconds) connects and describes the cluster, then disconnects.
   *
   * @throws AccessError when the brokers refuse the credentials or the TLS, with
   *   one line naming the variables to fix; any other failure (no broker yet) is
   *   logged and left to the retries of whatever uses Kafka next.
   */
  async checkAccess(): Promise<void> {
    const client = this.makeCheckClient?.() ?? this.client;
    for (let attempt = 1; ; attempt++) {
      const admin = client.admin();
      try {
        await admin.connect();
        await admin.describeCluster();
        return;
      } catch (e) {
        const access = kafkaAccessError(e, this.security);
        // A connection closed on the first request is inferred to be a SASL/TLS mismatch:
        // confirmed by more attempts, as a broker restarting closes connections too.
        if (access && (access.details?.inferred !== true || attempt >= 3)) throw access;
        if (!access) {
          this.logger.warn({ err: translateKafkaError(e, 'checking access') }, 'Kafka is not reachable yet; going on, with retries');
          return;
        }
        await sleep(1_000);
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    }
  }

  /** The shared admin client, connected on first use. */
  admin(): Promise<Admin> {
    this.assertOpen();
    this.adminPromise ??= connectAdmin(this.client.admin(), () => (this.adminPromise = null));
    return this.adminPromise;
  }

  /**
   * Creates the topics that do not exist yet and returns once every partition
   * of every named topic has a leader. Right after a create, a broker under
   * load can still answer metadata with UNKNOWN_TOPIC_OR_PARTITION or
   * LEADER_NOT_AVAILABLE (kafkajs' own wait gives up on the former), so the
   * whole step is retried a few times with backoff; creating is idempotent
   * (a topic another instance created meanwhile counts as created).
   */
  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    if (specs.length === 0) return;
    const names = specs.map((s) => s.name);
    const what = `creating topics ${names.join(', ')}`;
    await retry(
      async () => {
        const admin = await this.admin();
        try {
          const existing = new Set(await admin.listTopics());
          const missing = specs.filter((s) => !existing.has(s.name));
          if (missing.length > 0) {
            await admin
              .createTopics({
                waitForLeaders: false,
                topics: missing.map((s) => ({
                  topic: s.name,
                  numPartitions: s.partitions ?? this.partitions,
                  replicationFactor: this.replicationFactor,
                  configEntries: topicConfig(s),
                })),
              })
              .catch((e: unknown) => {
                if (!isTopicExists(e)) throw e;
              });
          }
          const { topics } = await admin.fetchTopicMetadata({ topics: names });
          const leaderless = topics.filter((t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0)).map((t) => t.name);
          if (leaderless.length > 0) throw new UnavailableError(`Kafka has no leader yet for ${leaderless.join(', ')}`, { retriable: true });
        } catch (e) {
          throw translateKafkaError(e, what);
        }
      },
      {
        maxAttempts: 8,
        initialDelayMs: 100,
        maxDelayMs: 2_000,
        onRetry: (err, attempt, delayMs) => this.logger.warn({ err, attempt, delayMs, topics: names }, 'topics not ready yet; trying again'),
      },
    );
  }

  produce(records: readonly OutRecord[]): Promise<void> {
    return this.producers.send(records);
  }

  async offsets(topic: string, isolation: 'committed' | 'uncommitted' = 'committed'): Promise<readonly PartitionOffsets[]> {
    const admin = isolation === 'uncommitted' ? await this.uncommittedAdmin() : await this.admin();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.map((o) => ({ partition: o.partition, low: o.low, high: o.high })).sort((a, b) => a.partition - b.partition);
    } catch (e) {
      throw translateKafkaError(e, `reading the offsets of ${topic}`);
    }
  }

  /** The admin client whose offsets are high watermarks, connected on first use (see {@link uncommittedAdmin}). */
  private uncommittedAdmin(): Promise<Admin> {
    this.assertOpen();
    if (!this.uncommittedAdminPromise) {
      const admin = uncommittedAdmin(this.client);
      if (admin === null) return Promise.reject(new UnavailableError('this kafkajs client cannot read high watermarks (no READ_UNCOMMITTED admin)', { retriable: false }));
      this.uncommittedAdminPromise = connectAdmin(admin, () => (this.uncommittedAdminPromise = null));
    }
    return this.uncommittedAdminPromise;
  }

  async tail(options: TailOptions): Promise<Stoppable> {
    this.assertOpen();
    const groupId = `${this.clientId}-tail-${randomUUID()}`;
    const stop = await startTail(this.host, groupId, options, (topic) => this.offsets(topic));
    return this.track(async () => {
      await stop();
      // The group was ours alone; leave nothing behind in __consumer_offsets.
      if (this.adminPromise) await (await this.adminPromise).deleteGroups([groupId]).catch(() => undefined);
    });
  }

  async consume(options: ConsumeOptions): Promise<Stoppable> {
    this.assertOpen();
    return this.track(await startGroupConsumer(this.host, options));
  }

  async lag(groupId: string, topic: string): Promise<number> {
    const admin = await this.admin();
    try {
      const [ends, groups] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
      const committed = new Map<number, bigint>();
      for (const g of groups) for (const p of g.partitions) committed.set(p.partition, BigInt(p.offset));
      let lag = 0n;
      for (const e of ends) {
        const high = BigInt(e.high);
        const low = BigInt(e.low);
        const c = committed.get(e.partition) ?? -1n;
        const at = c >= 0n ? (c > low ? c : low) : low;
        if (high > at) lag += high - at;
      }
      return Number(lag);
    } catch (e) {
      throw translateKafkaError(e, `reading the lag of ${groupId} on ${topic}`);
    }
  }

  async committed(groupId: string, topic: string): Promise<ReadonlyMap<number, string>> {
    const admin = await this.admin();
    try {
      const res = await admin.fetchOffsets({ groupId, topics: [topic] });
      const out = new Map<number, string>();
      for (const t of res) if (t.topic === topic) for (const p of t.partitions) if (BigInt(p.offset) >= 0n) out.set(p.partition, p.offset);
      return out;
    } catch (e) {
      throw translateKafkaError(e, `reading the committed offsets of ${groupId} on ${topic}`);
    }
  }

  /**
   * Whether the broker answers and every consumer of this log is up: false
   * while a tail, a group consumer or a stream processor of this log crashed
   * and is not back yet (so /readyz shows it), even when the broker is fine.
   */
  async ping(): Promise<boolean> {
    if (this.closed || !this.consumersHealthy()) return false;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('ping timed out')), this.pingTimeoutMs);
      });
      await Promise.race([this.admin().then((a) => a.describeCluster()), timeout]);
      return true;
    } catch {
      return false;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.loops].map((l) => l.stop()));
    const admins = [this.adminPromise, this.uncommittedAdminPromise];
    this.adminPromise = null;
    this.uncommittedAdminPromise = null;
    await Promise.all([this.producers.close(), ...admins.map((admin) => admin?.then((a) => a.disconnect()).catch(() => undefined))]);
  }

  /** Whether no consumer of this log is down now (crashed and not yet back). */
  consumersHealthy(): boolean {
    return this.down.size === 0;
  }

  /** The consumers that are down now, with the error that brought each down. */
  downConsumers(): ReadonlyMap<string, string> {
    return this.down;
  }

  /**
   * Records a consumer's health (for {@link ping}): the stream runtime reports
   * its processors' consumers here, too. `id` is unique per consumer.
   */
  consumerHealth(id: string, healthy: boolean, error?: unknown): void {
    if (healthy) {
      if (this.down.delete(id)) this.logger.info({ consumer: id }, 'consumer is back');
    } else {
      this.down.set(id, error instanceof Error ? error.message : String(error ?? 'crashed'));
    }
  }

  /** How often a long handler heartbeats: half the heartbeat interval, so one goes out about when due. */
  heartbeatEveryMs(): number {
    return Math.max(100, Math.floor(this.consumerDefaults.heartbeatInterval / 2));
  }

  /** Whether `close` was called. */
  isClosed(): boolean {
    return this.closed;
  }

  private assertOpen(): void {
    if (this.closed) throw new UnavailableError('event log is closed', { retriable: false });
  }

  /** Registers a stop function so `close` stops it; stop is idempotent. */
  private track(stopFn: () => Promise<void>): Stoppable {
    let stopped: Promise<void> | null = null;
    const handle: Stoppable = {
      stop: () => {
        if (!stopped) {
          this.loops.delete(handle);
          stopped = stopFn();
        }
        return stopped;
      },
    };
    this.loops.add(handle);
    return handle;
  }
}

/** The topic-level configuration a spec asks for. */
export function topicConfig(s: TopicSpec): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  if (s.compacted) out.push({ name: 'cleanup.policy', value: s.retentionMs !== undefined ? 'compact,delete' : 'compact' });
  if (s.retentionMs !== undefined) out.push({ name: 'retention.ms', value: String(Math.round(s.retentionMs)) });
  if (s.segmentMs !== undefined) out.push({ name: 'segment.ms', value: String(Math.round(s.segmentMs)) });
  return out;
}

/** Connects `admin`; on failure calls `forget` (so the next caller tries afresh) and throws a typed error. */
function connectAdmin(admin: Admin, forget: () => void): Promise<Admin> {
  return admin.connect().then(
    () => admin,
    (e: unknown) => {
      forget();
      throw translateKafkaError(e, 'connecting the admin client');
    },
  );
}

function isTopicExists(e: unknown): boolean {
  const o = e as { type?: unknown; errors?: { type?: unknown }[] } | null;
  if (o?.type === 'TOPIC_ALREADY_EXISTS') return true;
  return Array.isArray(o?.errors) && o.errors.length > 0 && o.errors.every((x) => x?.type === 'TOPIC_ALREADY_EXISTS');
}
