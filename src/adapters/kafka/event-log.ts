/**
 * The EventLog port on kafkajs.
 *
 * - `produce`: one idempotent producer (acks=-1, maxInFlightRequests=1, which
 *   kafkajs needs to keep sequence numbers in order:
 *   https://github.com/tulios/kafkajs/issues/598), Java-compatible murmur2
 *   partitioner; concurrent `produce` calls send one at a time (`inTurn`:
 *   kafkajs hands a failed request's sequence numbers to the next send, and
 *   the broker silently drops that one as a duplicate).
 * - `offsets`: `admin.fetchTopicOffsets`. kafkajs sends ListOffsets without
 *   an isolation level from the admin client, and its request builder then
 *   defaults to READ_COMMITTED, so `high` is the last stable offset (LSO), the
 *   end a read_committed reader can reach, not the high watermark. Both are
 *   equal when no transaction is open. `offsets(topic, 'uncommitted')` asks
 *   READ_UNCOMMITTED through a second admin (see `uncommittedAdmin`) and gets
 *   the high watermark.
 * - `tail`: kafkajs has no manual assignment
 *   (https://github.com/tulios/kafkajs/issues/373), so each tail is a consumer
 *   group of its own (a unique throwaway id, deleted on stop), auto-commit
 *   off, read_committed. The tail tracks its own position and seeks to it
 *   after every (re)join, so a rebalance of its one-member group (coordinator
 *   move, broker bounce) neither replays nor skips.
 * - `consume`: a group consumer on `eachBatch`; offsets are committed only
 *   after the handler resolved; on a throw the partition is paused, rewound to
 *   the batch's first offset and resumed after a jittered backoff (pausing
 *   inside eachBatch works since kafkajs 2.1: https://github.com/tulios/kafkajs/pull/1382).
 *   The handler never throws into kafkajs, whose own retry would restart the
 *   whole consumer (https://github.com/tulios/kafkajs/issues/945).
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
import { Partitioners, type Admin, type Batch, type Kafka, type Producer } from 'kafkajs';
import { UnavailableError } from '../../errors.js';
import { silentLogger, type Logger } from '../../logger.js';
import type {
  ConsumeOptions,
  EventLog,
  LogRecord,
  OutRecord,
  PartitionOffsets,
  Stoppable,
  TailOptions,
  TopicSpec,
} from '../../ports/event-log.js';
import { backoffDelay, retry, sleep } from '../../retry.js';
import { byTopic, createKafkaClient, toLogRecord, uncommittedAdmin, type KafkaSasl, type KafkaTls } from './client.js';
import { kafkaAccessError, translateKafkaError, type KafkaSecurityInfo } from './errors.js';
import { InFlight, SupervisedConsumer, withHeartbeats } from './supervised-consumer.js';

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
  readonly consumerDefaults: { readonly sessionTimeout: number; readonly heartbeatInterval: number; readonly maxWaitTimeInMs: number; readonly maxBytesPerPartition: number };
  private readonly partitions: number;
  private readonly replicationFactor: number;
  private readonly concurrency: number;
  private readonly retryInitialDelayMs: number;
  private readonly retryMaxDelayMs: number;
  private readonly pingTimeoutMs: number;
  private readonly security: KafkaSecurityInfo;
  /** A client like `client` but with few retries, for `checkAccess`; null when `client` was given. */
  private readonly makeCheckClient: (() => Kafka) | null;
  private adminPromise: Promise<Admin> | null = null;
  private uncommittedAdminPromise: Promise<Admin> | null = null;
  private producerPromise: Promise<Producer> | null = null;
  /** The producer `producerPromise` resolved to, while it is in use. */
  private currentProducer: Producer | null = null;
  /** Sends in flight per producer, and producers taken out of use, disconnected once idle. */
  private readonly sending = new Map<Producer, number>();
  private readonly retired = new Set<Producer>();
  private readonly loops = new Set<Stoppable>();
  /** Per producer, the end of its queue of sends (see {@link inTurn}). */
  private readonly sendQueues = new Map<Producer, Promise<void>>();
  /** Consumers of this log (tails, group consumers, stream processors) that crashed and are not back yet: id → why. */
  private readonly down = new Map<string, string>();
  private closed = false;

  constructor(o: KafkaEventLogOptions) {
    this.logger = o.logger ?? silentLogger;
    this.clientId = o.clientId;
    this.client = o.client ?? createKafkaClient({ brokers: o.brokers, clientId: o.clientId, logger: this.logger, sasl: o.sasl ?? null, ssl: o.ssl ?? null });
    this.partitions = o.partitions ?? 3;
    this.replicationFactor = o.replicationFactor ?? 1;
    this.concurrency = o.partitionsConsumedConcurrently ?? 3;
    this.retryInitialDelayMs = o.retryInitialDelayMs ?? 200;
    this.retryMaxDelayMs = o.retryMaxDelayMs ?? 10_000;
    this.pingTimeoutMs = o.pingTimeoutMs ?? 2_000;
    this.makeCheckClient = o.client ? null : () => createKafkaClient({ brokers: o.brokers, clientId: o.clientId, logger: this.logger, sasl: o.sasl ?? null, ssl: o.ssl ?? null, retries: 2 });
    this.security = { mechanism: o.sasl?.mechanism ?? null, username: o.sasl?.username ?? null, tls: Boolean(o.ssl) };
    this.consumerDefaults = {
      sessionTimeout: o.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: o.heartbeatIntervalMs ?? 3_000,
      maxWaitTimeInMs: o.maxWaitTimeMs ?? 500,
      maxBytesPerPartition: o.maxBytesPerPartition ?? 1_048_576,
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

  private producer(): Promise<Producer> {
    this.assertOpen();
    if (!this.producerPromise) {
      const producer = this.client.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
      this.producerPromise = producer.connect().then(
        () => {
          this.currentProducer = producer;
          return producer;
        },
        (e: unknown) => {
          this.producerPromise = null;
          throw translateKafkaError(e, 'connecting the producer');
        },
      );
    }
    return this.producerPromise;
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

  async produce(records: readonly OutRecord[]): Promise<void> {
    if (records.length === 0) return;
    const what = `producing to ${[...new Set(records.map((r) => r.topic))].join(', ')}`;
    for (let attempt = 1; ; attempt++) {
      const producer = await this.producer();
      this.sending.set(producer, (this.sending.get(producer) ?? 0) + 1);
      try {
        await this.inTurn(producer, () => producer.sendBatch({ acks: -1, topicMessages: byTopic(records) }));
        return;
      } catch (e) {
        // kafkajs' idempotent producer can lose track of its sequence numbers
        // when a request to a just-created partition is retried internally;
        // the broker then refuses every later batch with
        // OUT_OF_ORDER_SEQUENCE_NUMBER, non-retriable in kafkajs
        // (https://github.com/tulios/kafkajs/issues/598). A new producer gets
        // a new producer id and starts at sequence 0; the refused batch was
        // not written (other partitions' batches of the same send may have
        // been, so this retry is at-least-once, like any produce retry).
        // A concurrent send replaced the producer this one used (its sequence
        // broke for all of them): send again on the new one.
        if ((isOutOfOrderSequence(e) || this.retired.has(producer)) && attempt < 3) {
          this.logger.warn({ err: e, attempt }, 'idempotent producer out of sequence; replacing it and sending again');
          this.retireProducer(producer);
          continue;
        }
        throw translateKafkaError(e, what);
      } finally {
        this.doneSending(producer);
      }
    }
  }

  /**
   * Runs `send` once every earlier send on `producer` has ended: one
   * `sendBatch` at a time per idempotent producer. kafkajs 2.2.4 takes a
   * batch's sequence numbers under a per-broker lock, but when the produce
   * request throws (a timeout, a just-created partition's leader not known
   * yet) it hands them back (sendMessages.js, `updateSequence(-n)`) and
   * releases the lock before its retry, although the broker may have written
   * that batch. A concurrent send then takes the same sequence numbers; when
   * its record count on a partition equals the written batch's, the broker
   * answers DUPLICATE_SEQUENCE_NUMBER as a success and never writes it, so
   * records are lost without an error (CI: one 40-record CDC send of
   * test/integration/stream-join-readiness.test.ts vanished, and the batch
   * written before it twice). With one send at a time the retry gets its own
   * sequence numbers back: the broker de-duplicates it, and no other batch
   * can be mistaken for it.
   */
  private inTurn(producer: Producer, send: () => Promise<unknown>): Promise<unknown> {
    const previous = this.sendQueues.get(producer) ?? Promise.resolve();
    const mine = previous.then(send);
    const done = mine.then(
      () => undefined,
      () => undefined,
    );
    this.sendQueues.set(producer, done);
    void done.then(() => {
      if (this.sendQueues.get(producer) === done) this.sendQueues.delete(producer);
    });
    return mine;
  }

  /**
   * Takes `broken` out of use: the next send gets a new producer. It is
   * disconnected once no send on it is in flight; disconnecting it under
   * concurrent sends would fail them with kafkajs internals' TypeErrors
   * ("Cannot set properties of undefined") instead of a retriable error.
   */
  private retireProducer(broken: Producer): void {
    if (this.retired.has(broken)) return;
    this.retired.add(broken);
    if (this.currentProducer === broken) {
      this.currentProducer = null;
      this.producerPromise = null;
    }
    if (!this.sending.get(broken)) void this.disconnectRetired(broken);
  }

  private doneSending(producer: Producer): void {
    const left = (this.sending.get(producer) ?? 1) - 1;
    if (left > 0) return void this.sending.set(producer, left);
    this.sending.delete(producer);
    if (this.retired.has(producer)) void this.disconnectRetired(producer);
  }

  private async disconnectRetired(producer: Producer): Promise<void> {
    this.retired.delete(producer);
    await producer.disconnect().catch(() => undefined);
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

  async tail({ topic, from, onBatch, onPosition }: TailOptions): Promise<Stoppable> {
    this.assertOpen();
    const groupId = `${this.clientId}-tail-${randomUUID()}`;
    const log = this.logger.child({ topic, groupId });
    /** partition → next offset to read; seeded from `from`, moved by every batch. */
    const position = new Map<number, string>();
    if (from === 'latest') for (const o of await this.offsets(topic)) position.set(o.partition, o.high);
    else if (from !== 'earliest') for (const [p, o] of from) position.set(p, o);
    /** The reader is past `lastOffset` on `partition`: everything up to it was handed over (or was markers). */
    const advance = (partition: number, lastOffset: string): void => {
      const next = (BigInt(lastOffset) + 1n).toString();
      position.set(partition, next);
      onPosition?.(partition, next);
    };

    const inflight = new InFlight();
    const supervisor = new SupervisedConsumer({
      logger: log,
      retryInitialDelayMs: this.retryInitialDelayMs,
      retryMaxDelayMs: this.retryMaxDelayMs,
      drain: () => inflight.idle(),
      onHealth: (healthy, err) => this.consumerHealth(groupId, healthy, err),
      create: () => {
        const consumer = this.client.consumer({ groupId, readUncommitted: false, allowAutoTopicCreation: false, ...this.consumerDefaults });
        consumer.on(consumer.events.GROUP_JOIN, (e) => {
          // Runs synchronously inside joinAndSync, before the first fetch of the generation;
          // also after a crashed consumer was replaced: the tail goes on where it was.
          for (const p of e.payload.memberAssignment[topic] ?? []) {
            const at = position.get(p);
            if (at !== undefined) consumer.seek({ topic, partition: p, offset: at });
          }
        });
        consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
          // Batches of only transaction markers or aborted records skip eachBatch; the
          // others move the position in eachBatch, and only once their records were
          // handed over: kafkajs fires this event for a stale batch (fetched before a
          // rejoin's seek) too, which would claim records that were never delivered.
          if (e.payload.batchSize === 0) advance(e.payload.partition, e.payload.lastOffset);
        });
        return consumer;
      },
      run: async (consumer) => {
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          partitionsConsumedConcurrently: 1,
          eachBatch: ({ batch, isStale, heartbeat }) =>
            inflight.track(
              (async () => {
                if (isStale()) return;
                const records = batch.messages.map((m) => toLogRecord(topic, batch.partition, m));
                try {
                  // A slow handler must not cost the group its member (session timeout, rebalance).
                  await withHeartbeats(heartbeat, this.heartbeatEveryMs(), async () => onBatch(records));
                } catch (err) {
                  log.error({ err, partition: batch.partition, offset: records[0]?.offset }, 'tail handler failed; batch skipped');
                }
                advance(batch.partition, batch.lastOffset());
              })(),
            ),
        });
      },
    });
    try {
      await supervisor.start();
    } catch (e) {
      throw translateKafkaError(e, `tailing ${topic}`);
    }
    return this.track(async () => {
      await supervisor.stop();
      this.consumerHealth(groupId, true);
      // The group was ours alone; leave nothing behind in __consumer_offsets.
      if (this.adminPromise) await (await this.adminPromise).deleteGroups([groupId]).catch(() => undefined);
    });
  }

  async consume({ groupId, topics, fromBeginning = true, onBatch }: ConsumeOptions): Promise<Stoppable> {
    this.assertOpen();
    const log = this.logger.child({ groupId });
    const healthId = `${groupId}#${randomUUID()}`;
    const attempts = new Map<string, number>();
    const timers = new Set<NodeJS.Timeout>();
    /** "topic/partition" → the last commit sent for it; commits of a partition go out in order. */
    const commits = new Map<string, Promise<void>>();
    const inflight = new InFlight();
    let stopping = false;
    const commitInOrder = (topic: string, partition: number, offset: string, commit: () => Promise<void>): Promise<void> => {
      const k = `${topic}/${partition}`;
      const next = (commits.get(k) ?? Promise.resolve()).then(commit).catch((err: unknown) => {
        // Not committed: after a rebalance the records may come again (at-least-once).
        log.warn({ err, topic, partition, offset }, 'offset commit failed');
      });
      commits.set(k, next);
      return next;
    };

    const supervisor: SupervisedConsumer = new SupervisedConsumer({
      logger: log,
      retryInitialDelayMs: this.retryInitialDelayMs,
      retryMaxDelayMs: this.retryMaxDelayMs,
      drain: () => inflight.idle(),
      onHealth: (healthy, err) => this.consumerHealth(healthId, healthy, err),
      beforeReplace: () => {
        // The replacement starts from the committed offsets, unpaused: forget the crashed consumer's redelivery timers.
        for (const t of timers) clearTimeout(t);
        timers.clear();
        attempts.clear();
      },
      create: () => {
        const consumer = this.client.consumer({ groupId, readUncommitted: false, allowAutoTopicCreation: false, ...this.consumerDefaults });
        consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
          // A fetch of only transaction markers (or aborted records) never reaches eachBatch; commit past it,
          // or the group stays one offset short of the end of a transactional topic and its lag never reads 0.
          const { topic, partition, lastOffset, batchSize } = e.payload;
          if (batchSize !== 0 || stopping) return;
          const offset = (BigInt(lastOffset) + 1n).toString();
          void commitInOrder(topic, partition, offset, () => consumer.commitOffsets([{ topic, partition, offset }]));
        });
        return consumer;
      },
      run: async (consumer) => {
        const retryLater = (batch: Batch, err: unknown): void => {
          const tp = { topic: batch.topic, partitions: [batch.partition] };
          const k = `${batch.topic}/${batch.partition}`;
          const n = (attempts.get(k) ?? 0) + 1;
          attempts.set(k, n);
          const delayMs = backoffDelay(n, { initialDelayMs: this.retryInitialDelayMs, maxDelayMs: this.retryMaxDelayMs });
          const offset = batch.firstOffset() ?? batch.messages[0]?.offset;
          log.warn({ err, topic: batch.topic, partition: batch.partition, offset, attempt: n, delayMs }, 'handler failed; batch will be redelivered');
          consumer.pause([tp]);
          if (offset !== undefined) consumer.seek({ topic: batch.topic, partition: batch.partition, offset });
          const t = setTimeout(() => {
            timers.delete(t);
            if (!stopping && supervisor.current() === consumer) consumer.resume([tp]);
          }, delayMs);
          timers.add(t);
        };
        await consumer.connect();
        await consumer.subscribe({ topics: [...topics], fromBeginning });
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: this.concurrency,
          eachBatch: ({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, isRunning, isStale }) =>
            inflight.track(
              (async () => {
                if (!isRunning() || isStale()) return;
                const records: LogRecord[] = batch.messages.map((m) => toLogRecord(batch.topic, batch.partition, m));
                const last = records[records.length - 1];
                if (!last) return;
                try {
                  // Handlers may take long (a bulk request with retries, a rate-limited poster): keep the
                  // member alive meanwhile, or the group rebalances, the commit fails and the batch comes again.
                  await withHeartbeats(heartbeat, this.heartbeatEveryMs(), () => onBatch(records));
                } catch (err) {
                  retryLater(batch, err);
                  return;
                }
                attempts.delete(`${batch.topic}/${batch.partition}`);
                // Resolving the last record also resolves a trailing transaction marker (kafkajs runner, PR #511).
                resolveOffset(last.offset);
                const next = (BigInt(batch.lastOffset()) + 1n).toString();
                await commitInOrder(batch.topic, batch.partition, next, () =>
                  commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] }),
                );
                await heartbeat().catch(() => undefined);
              })(),
            ),
        });
      },
    });
    try {
      await supervisor.start();
    } catch (e) {
      throw translateKafkaError(e, `consuming ${topics.join(', ')} as ${groupId}`);
    }
    return this.track(async () => {
      stopping = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await supervisor.stop();
      this.consumerHealth(healthId, true);
    });
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
    const producer = this.producerPromise;
    const admins = [this.adminPromise, this.uncommittedAdminPromise];
    this.producerPromise = null;
    this.adminPromise = null;
    this.uncommittedAdminPromise = null;
    const retired = [...this.retired];
    this.retired.clear();
    await Promise.all([
      producer?.then((p) => p.disconnect()).catch(() => undefined),
      ...retired.map((p) => p.disconnect().catch(() => undefined)),
      ...admins.map((admin) => admin?.then((a) => a.disconnect()).catch(() => undefined)),
    ]);
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

/** kafkajs' OUT_OF_ORDER_SEQUENCE_NUMBER (protocol error code 45). */
function isOutOfOrderSequence(e: unknown): boolean {
  const err = e as { type?: unknown; code?: unknown; cause?: unknown } | null;
  if (!err || typeof err !== 'object') return false;
  if (err.type === 'OUT_OF_ORDER_SEQUENCE_NUMBER' || err.code === 45) return true;
  return err.cause !== undefined && err.cause !== e && isOutOfOrderSequence(err.cause);
}
