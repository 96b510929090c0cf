/**
 * The stream runtime on kafkajs: exactly-once consume-transform-produce.
 *
 * Each processor is a consumer group (`<groupPrefix>-<name>`, read_committed,
 * auto-commit off) on `eachBatch`. With exactly-once on, every batch of one
 * input partition is one Kafka transaction: the processor's output, then the
 * input offsets (`transaction.sendOffsets`), then the commit. On any error the
 * transaction is aborted, the producer dropped, the partition paused and
 * rewound to its first uncommitted record, and the batch redone after a
 * jittered backoff.
 *
 * Fencing. kafkajs implements the pre-KIP-447 protocol only: TxnOffsetCommit
 * carries no group generation, so the broker fences zombies by
 * `transactional.id` alone. Hence one transactional producer PER INPUT
 * PARTITION, `transactional.id = <groupPrefix>-<processor>-<topic>-<partition>`,
 * as Kafka Streams did before 2.6 and Spring Kafka does
 * (https://github.com/spring-projects/spring-kafka/pull/836). On the first
 * batch of a partition after every (re)join, the runtime creates the
 * partition's producer afresh and runs InitProducerId (kafkajs does that in
 * `producer.transaction()`, not in `connect()`): the broker bumps the epoch,
 * which fences a zombie still holding the partition, and aborts its open
 * transaction (kafkajs retries CONCURRENT_TRANSACTIONS meanwhile:
 * https://github.com/tulios/kafkajs/issues/296, PR #299). kafkajs read the
 * partition's committed offset at join time, possibly before that zombie's
 * last transaction completed, so the runtime reads it again after fencing and
 * seeks there if it moved.
 *
 * Other kafkajs pitfalls handled here:
 * - With `eachBatchAutoResolve: false` the consumer re-fetches the same
 *   records until their offsets are resolved, so each committed batch is
 *   resolved (https://github.com/tulios/kafkajs/issues/1665, #679); resolving
 *   the last record also resolves the transaction marker after it (PR #511).
 * - A transaction whose commit or abort failed leaves kafkajs' state machine in
 *   COMMITTING/ABORTING for good (https://github.com/tulios/kafkajs/issues/1282),
 *   so a failed producer is never reused.
 * - Idempotent and transactional producers keep `maxInFlightRequests: 1`
 *   (out-of-order sequence numbers otherwise: https://github.com/tulios/kafkajs/issues/598).
 * - Back-to-back transactions make AddPartitionsToTxn answer
 *   CONCURRENT_TRANSACTIONS while the coordinator writes the previous markers;
 *   kafkajs retries, so producers here retry fast (20 ms first)
 *   (https://github.com/tulios/kafkajs/issues/1315, #1068).
 * - Waiting (a join's grace period) never sleeps inside eachBatch, which would
 *   hold every partition of the broker's fetch: the partition is paused and
 *   rewound, and resumed by a timer or a table change
 *   (pause in eachBatch: https://github.com/tulios/kafkajs/pull/1382).
 *
 * - A consumer kafkajs will not restart after a crash (CRASH with
 *   `restart: false`) is rebuilt by a {@link SupervisedConsumer}: the processor
 *   reports ERROR (and the event log's `ping()` false) until the replacement
 *   joined, then RUNNING; every partition fences again and starts at its
 *   committed offset.
 *
 * With `exactlyOnce: false` (benchmarks) a batch is produced with the
 * idempotent producer and its offsets committed afterwards: at-least-once.
 *
 * Every `statusIntervalMs` the runtime publishes each running processor's
 * status to a compacted topic, keyed `<processor>@<instance>`, for
 * {@link createKafkaPipelineStatusSource} in any process. The instance id is
 * new in every process, so when a processor stops (its handle, or `close`)
 * the runtime tombstones its `<processor>@<instance>` key and leaves one last
 * word, STOPPED with its totals, under the key `<processor>` (one per
 * processor, whichever instance stopped last). Keys of crashed instances are
 * never tombstoned: the topic is `compact,delete` with a one-day retention
 * ({@link statusTopicSpec}), and readers drop reports gone stale.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Partitioners, type Batch, type Consumer, type EachBatchPayload, type Producer } from 'kafkajs';
import { BadInputError, UnavailableError } from '../../src/errors.js';
import { silentLogger, type Logger } from '../../src/logger.js';
import type { OutRecord, TopicSpec } from '../../src/ports/event-log.js';
import {
  ProcessorState,
  type GlobalTable,
  type ProcessorDefinition,
  type ProcessorHandle,
  type ProcessorFailure,
  type ProcessorStatus,
  type StreamRuntime,
  type TableDefinition,
} from '../../src/ports/stream-runtime.js';
import { backoffDelay, sleep } from '../../src/retry.js';
import { ProcessorMeter, StepFailure, instanceStatus, nextOffset, runSteps, startTrackedTable, checkRunnable } from './tasks.js';
import { byTopic, splitByBytes, toLogRecord } from '../../src/adapters/kafka/client.js';
import { TRANSACTION_LOG_HINT, isFencedError, transactionLogUnavailable, translateKafkaError } from '../../src/adapters/kafka/errors.js';
import type { KafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import { InFlight, SupervisedConsumer } from '../../src/adapters/kafka/supervised-consumer.js';

/** Default compacted topic of processor status reports. */
export const DEFAULT_STATUS_TOPIC = '_feedback-pipeline-status';

/** How long status reports stay in the status topic at most (left by crashed instances, or last words). */
export const STATUS_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * The status topic: compacted (the latest report per key) and deleted after a
 * day (keys of instances that crashed without tombstoning theirs), with
 * hourly segments so compaction and deletion reach recent records.
 */
export function statusTopicSpec(name: string): TopicSpec {
  return { name, partitions: 1, compacted: true, retentionMs: STATUS_RETENTION_MS, segmentMs: 60 * 60 * 1000 };
}

export interface CommitHookInfo {
  readonly processor: string;
  readonly topic: string;
  readonly partition: number;
  /** Records produced in this transaction. */
  readonly records: number;
  /** The input offset being committed. */
  readonly offset: string;
}

export interface KafkaStreamRuntimeOptions {
  readonly log: KafkaEventLog;
  /** Prefix of consumer groups and transactional ids. */
  readonly groupPrefix: string;
  /** Kafka transactions (true) or at-least-once (false, benchmarks). @default true */
  readonly exactlyOnce?: boolean;
  readonly logger?: Logger;
  /** Compacted topic the status is published to. @default '_feedback-pipeline-status' */
  readonly statusTopic?: string;
  /** @default 2_000 // ms; 0 publishes nothing */
  readonly statusIntervalMs?: number;
  /** Names this runtime in status reports. @default `<hostname>-<pid>-<random>` */
  readonly instanceId?: string;
  /** Input partitions of one processor handled at the same time. @default 4 */
  readonly partitionsConsumedConcurrently?: number;
  /** Broker-side limit of an open transaction (a crashed one is aborted after this unless fenced first). @default 60_000 // ms */
  readonly transactionTimeoutMs?: number;
  /**
   * Most bytes (keys, values, headers, framing; uncompressed) sent in one produce
   * request of a transaction; a bigger output is sent in several, in order. Keep it
   * below the broker's `message.max.bytes` (and the topics' `max.message.bytes`).
   * @default 524_288 // 512 KiB, half of Kafka's default 1 MiB
   */
  readonly maxSendBytes?: number;
  /** @default 200 // ms */
  readonly retryInitialDelayMs?: number;
  /** @default 10_000 // ms */
  readonly retryMaxDelayMs?: number;
  /** The clock handed to processors. @default Date.now */
  readonly now?: () => number;
  /**
   * Test hook: runs inside every transaction after the records were sent and
   * before the offsets and the commit. Throwing aborts the transaction (the
   * batch is redone); {@link KafkaStreamRuntime.kill} makes a pending hook fail
   * without aborting, as a crash would.
   */
  readonly beforeCommit?: (info: CommitHookInfo) => Promise<void> | void;
}

export function createKafkaStreamRuntime(options: KafkaStreamRuntimeOptions): KafkaStreamRuntime {
  if (!options.groupPrefix) throw new BadInputError('createKafkaStreamRuntime: groupPrefix is required (it names consumer groups and transactional ids)');
  return new KafkaStreamRuntime(options);
}

class Killed extends Error {
  constructor() {
    super('the stream runtime was killed');
    this.name = 'Killed';
  }
}

interface PartitionTask {
  readonly topic: string;
  readonly partition: number;
  readonly transactionalId: string;
  producer: Producer | null;
  /** The group generation this partition's producer was initialised (and fenced) for; -1: none. */
  generation: number;
  attempts: number;
  waitTimer: NodeJS.Timeout | null;
  retryTimer: NodeJS.Timeout | null;
  /** Work on the partition outside eachBatch (committing past transaction markers); the next batch waits for it. */
  chain: Promise<void>;
}

interface RuntimeShared {
  readonly log: KafkaEventLog;
  readonly logger: Logger;
  readonly exactlyOnce: boolean;
  readonly concurrency: number;
  readonly transactionTimeoutMs: number;
  readonly maxSendBytes: number;
  readonly retryInitialDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly now: () => number;
  readonly beforeCommit: KafkaStreamRuntimeOptions['beforeCommit'];
  readonly killed: () => boolean;
  readonly killSignal: Promise<never>;
  readonly instanceId: string;
}

class KafkaProcessor {
  readonly meter: ProcessorMeter;
  private supervisor: SupervisedConsumer | null = null;
  private healthId: string | null = null;
  private generation = 0;
  /** Table changes seen; a wait decided before the latest change is offered again at once. */
  private tableChanges = 0;
  private readonly tasks = new Map<string, PartitionTask>();
  /** `topic/partition` keys assigned to this member in the current generation. */
  private assigned = new Set<string>();
  private stopping = false;
  private signalStop!: () => void;
  private readonly stopped = new Promise<void>((resolve) => {
    this.signalStop = resolve;
  });
  private readonly disposers: (() => void)[] = [];
  private started: Promise<void> = Promise.resolve();
  private readonly log: Logger;

  constructor(
    readonly def: ProcessorDefinition,
    readonly groupId: string,
    private readonly transactionalPrefix: string,
    private readonly rt: RuntimeShared,
  ) {
    this.meter = new ProcessorMeter(rt.now());
    this.log = rt.logger.child({ processor: def.name, groupId });
  }

  start(): void {
    for (const t of this.def.tables ?? []) this.disposers.push(t.onChange(() => this.wakeAll()));
    this.started = this.run();
  }

  private async run(): Promise<void> {
    const tables = this.def.tables ?? [];
    if (tables.some((t) => !t.isReady())) {
      this.meter.state = ProcessorState.Bootstrapping;
      this.log.info({ tables: tables.map((t) => t.name) }, 'waiting for tables to bootstrap');
      try {
        await Promise.race([Promise.all(tables.map((t) => t.ready())), this.stopped]);
      } catch (err) {
        if (!this.stopping) this.meter.failure(err);
        return;
      }
      if (this.stopping) return;
    }
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        await this.startConsumer();
        this.meter.state = ProcessorState.Running;
        this.log.info({ sources: this.def.sources, exactlyOnce: this.rt.exactlyOnce }, 'processor running');
        return;
      } catch (err) {
        if (this.stopping) return;
        this.meter.failure(err);
        const delayMs = backoffDelay(attempt, { initialDelayMs: this.rt.retryInitialDelayMs, maxDelayMs: this.rt.retryMaxDelayMs });
        this.log.warn({ err, attempt, delayMs }, 'processor could not start; retrying');
        await Promise.race([sleep(delayMs), this.stopped]);
      }
    }
  }

  private async startConsumer(): Promise<void> {
    const inflight = new InFlight();
    const healthId = `processor:${this.groupId}#${this.rt.instanceId}`;
    const supervisor = new SupervisedConsumer({
      logger: this.log,
      retryInitialDelayMs: this.rt.retryInitialDelayMs,
      retryMaxDelayMs: this.rt.retryMaxDelayMs,
      drain: () => inflight.idle(),
      onHealth: (healthy, err) => {
        this.rt.log.consumerHealth(healthId, healthy, err);
        // ERROR while the consumer is down (kafkajs restarting it, or a replacement on its way), RUNNING once it joined again.
        if (!healthy) this.meter.failure(err);
        else this.meter.recovered();
      },
      beforeReplace: async () => {
        // The replacement joins afresh: every partition fences again and starts at its committed offset.
        for (const t of this.tasks.values()) {
          this.clearTimers(t);
          t.attempts = 0;
        }
        this.assigned = new Set();
        await this.settleChains();
        await Promise.all([...this.tasks.values()].map((t) => this.dropProducer(t)));
        this.tasks.clear();
      },
      create: () => {
        const consumer = this.rt.log.client.consumer({ groupId: this.groupId, readUncommitted: false, allowAutoTopicCreation: false, ...this.rt.log.consumerDefaults });
        consumer.on(consumer.events.GROUP_JOIN, (e) => this.joined(e.payload.memberAssignment));
        consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
          // A fetch of only transaction markers (or aborted records) never reaches eachBatch.
          if (e.payload.batchSize === 0) this.commitPastMarkers(e.payload.topic, e.payload.partition, e.payload.firstOffset, e.payload.lastOffset);
        });
        return consumer;
      },
      run: async (consumer) => {
        await consumer.connect();
        await consumer.subscribe({ topics: [...this.def.sources], fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: this.rt.concurrency,
          eachBatch: (payload) => inflight.track(this.onBatch(payload)),
        });
      },
    });
    try {
      await supervisor.start();
    } catch (e) {
      throw translateKafkaError(e, `starting processor ${this.def.name}`);
    }
    this.supervisor = supervisor;
    this.healthId = healthId;
  }

  /** The consumer running now; null before the start, after the stop and while a crashed one is replaced. */
  private get consumer(): Consumer | null {
    return this.supervisor?.current() ?? null;
  }

  /** A new generation: every partition must fence again; revoked partitions lose their producer and timers. */
  private joined(assignment: Record<string, number[]>): void {
    this.generation++;
    const assigned = new Set(Object.entries(assignment).flatMap(([topic, ps]) => ps.map((p) => `${topic}/${p}`)));
    this.assigned = assigned;
    this.log.info({ generation: this.generation, assignment }, 'partitions assigned');
    for (const [key, task] of this.tasks) {
      if (assigned.has(key)) continue;
      this.clearTimers(task);
      this.consumer?.resume([{ topic: task.topic, partitions: [task.partition] }]);
      void this.dropProducer(task);
      this.tasks.delete(key);
    }
  }

  private task(topic: string, partition: number): PartitionTask {
    const key = `${topic}/${partition}`;
    let t = this.tasks.get(key);
    if (!t) {
      t = {
        topic,
        partition,
        transactionalId: `${this.transactionalPrefix}-${topic}-${partition}`,
        producer: null,
        generation: -1,
        attempts: 0,
        waitTimer: null,
        retryTimer: null,
        chain: Promise.resolve(),
      };
      this.tasks.set(key, t);
    }
    return t;
  }

  private async onBatch({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (!isRunning() || isStale() || this.stopping || this.rt.killed()) return;
    const records = batch.messages.map((m) => toLogRecord(batch.topic, batch.partition, m));
    if (records.length === 0) return;
    const task = this.task(batch.topic, batch.partition);
    await task.chain;
    try {
      if (this.rt.exactlyOnce && task.generation !== this.generation) {
        const fetched = (batch as Batch & { fetchedOffset?: string }).fetchedOffset ?? batch.firstOffset();
        if (!(await this.fence(task, fetched))) return;
      }
      if (this.def.prepare) await this.def.prepare(records);
      const now = this.rt.now();
      const changesSeen = this.tableChanges;
      const steps = runSteps(this.def, records, now);
      if (steps.last) {
        // The whole batch consumed: commit past any transaction marker that ends it.
        const next = steps.wait ? steps.wait.record.offset : steps.last === records[records.length - 1] ? nextOffset(batch.lastOffset()) : nextOffset(steps.last.offset);
        if (this.rt.exactlyOnce) await this.commitTransaction(task, steps.emit, next);
        else await this.commitAtLeastOnce(task, steps.emit, next, commitOffsetsIfNecessary);
        resolveOffset(steps.last.offset);
        this.meter.record(steps.processed, steps.failed, steps.unmatched, this.rt.now());
      }
      task.attempts = 0;
      this.meter.recovered();
      // A table change while this batch was committed must not be lost: then the wait ends at once.
      if (steps.wait) this.waitAt(task, steps.wait.record.offset, this.tableChanges === changesSeen ? steps.wait.until : this.rt.now());
    } catch (err) {
      if (this.rt.killed() || err instanceof Killed) return;
      this.retryLater(task, records[0]?.offset ?? batch.lastOffset(), err);
    }
    await heartbeat().catch(() => undefined);
  }

  /**
   * Initialises the partition's transactional producer for this generation
   * (fencing any zombie with the same transactional.id) and checks the
   * committed offset again. False when what was fetched (from `fetched`) is
   * not where the group committed: the consumer was sent to the committed
   * offset instead.
   */
  private async fence(task: PartitionTask, fetched: string | null): Promise<boolean> {
    await this.dropProducer(task);
    const producer = this.rt.log.client.producer({
      transactionalId: task.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: this.rt.transactionTimeoutMs,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { initialRetryTime: 20, maxRetryTime: 1_000, retries: 15 },
    });
    try {
      await producer.connect();
      // InitProducerId happens in transaction(); aborting an empty transaction sends nothing.
      const tx = await producer.transaction();
      await tx.abort();
    } catch (e) {
      await producer.disconnect().catch(() => undefined);
      if (transactionLogUnavailable(e)) {
        // Not a blip: kafkajs retried the coordinator for seconds. Said at once, with what to fix (retryLater reports it).
        throw new UnavailableError(`Kafka cannot run transactions (initialising transactional id ${task.transactionalId}): ${TRANSACTION_LOG_HINT}`, {
          cause: e,
          retriable: true,
          details: { transactionLog: true },
        });
      }
      throw translateKafkaError(e, `initialising transactional id ${task.transactionalId}`);
    }
    task.producer = producer;
    task.generation = this.generation;
    const committed = await this.committedOffset(task.topic, task.partition);
    this.log.debug({ topic: task.topic, partition: task.partition, transactionalId: task.transactionalId, committed, fetched }, 'transactional producer initialised');
    if (committed !== null && fetched !== null && committed !== fetched) {
      this.log.info({ topic: task.topic, partition: task.partition, committed, fetched }, 'committed offset moved while fencing; seeking to it');
      this.consumer?.seek({ topic: task.topic, partition: task.partition, offset: committed });
      return false;
    }
    return true;
  }

  private async committedOffset(topic: string, partition: number): Promise<string | null> {
    const admin = await this.rt.log.admin();
    try {
      const res = await admin.fetchOffsets({ groupId: this.groupId, topics: [topic] });
      const o = res.find((r) => r.topic === topic)?.partitions.find((p) => p.partition === partition)?.offset;
      return o === undefined || BigInt(o) < 0n ? null : o;
    } catch (e) {
      throw translateKafkaError(e, `reading the committed offsets of ${this.groupId}`);
    }
  }

  private async commitTransaction(task: PartitionTask, emit: readonly OutRecord[], next: string): Promise<void> {
    const producer = task.producer;
    if (!producer) throw new Error(`no transactional producer for ${task.topic}/${task.partition}`);
    const tx = await producer.transaction();
    try {
      // In runs of bounded size: one run over the broker's message.max.bytes would be refused every time (a stall).
      for (const run of splitByBytes(emit, this.rt.maxSendBytes)) await tx.sendBatch({ acks: -1, topicMessages: byTopic(run) });
      if (this.rt.beforeCommit) {
        const info = { processor: this.def.name, topic: task.topic, partition: task.partition, records: emit.length, offset: next };
        await Promise.race([Promise.resolve(this.rt.beforeCommit(info)), this.rt.killSignal]);
      }
      await tx.sendOffsets({ consumerGroupId: this.groupId, topics: [{ topic: task.topic, partitions: [{ partition: task.partition, offset: next }] }] });
      await tx.commit();
    } catch (err) {
      // A crash leaves the transaction open; the next owner's InitProducerId aborts it.
      if (this.rt.killed()) throw new Killed();
      await tx.abort().catch(() => undefined);
      task.generation = -1;
      await this.dropProducer(task);
      throw translateKafkaError(err, `committing a transaction of ${this.def.name} for ${task.topic}/${task.partition}`);
    }
  }

  private async commitAtLeastOnce(task: PartitionTask, emit: readonly OutRecord[], next: string, commit: EachBatchPayload['commitOffsetsIfNecessary']): Promise<void> {
    for (const run of splitByBytes(emit, this.rt.maxSendBytes)) await this.rt.log.produce(run);
    try {
      await commit({ topics: [{ topic: task.topic, partitions: [{ partition: task.partition, offset: next }] }] });
    } catch (e) {
      throw translateKafkaError(e, `committing offsets of ${this.groupId}`);
    }
  }

  /**
   * Commits the position past a fetch that held only transaction markers:
   * otherwise the group's committed offset stays one short of the end of a
   * transactional input until more data comes, and the lag never reads 0.
   * An offset-only transaction (or a plain commit when at-least-once).
   *
   * Also right after a (re)join, before any data batch of the partition: the
   * group committed up to a trailing marker, the member restarted (a broker
   * bounce, a crash), and only that marker is left to read. The partition is
   * fenced first, as for a data batch; the commit happens only if the fetch
   * began where the group committed.
   */
  private commitPastMarkers(topic: string, partition: number, firstOffset: string | null, lastOffset: string): void {
    if (this.stopping || this.rt.killed()) return;
    const key = `${topic}/${partition}`;
    // Only a partition this member owns now (a task is made for one not seen since the join).
    if (!this.assigned.has(key)) return;
    const task = this.task(topic, partition);
    if (task.waitTimer || task.retryTimer) return;
    const generation = this.generation;
    /** Still this member's partition, in the same generation, and not stopping: otherwise fence and commit nothing. */
    const current = (): boolean => !this.stopping && !this.rt.killed() && this.generation === generation && this.tasks.get(key) === task;
    const next = nextOffset(lastOffset);
    task.chain = task.chain.then(async () => {
      try {
        if (!current()) return;
        if (!this.rt.exactlyOnce) {
          await this.consumer?.commitOffsets([{ topic, partition, offset: next }]);
          return;
        }
        if (!task.producer || task.generation !== this.generation) {
          if (firstOffset === null || !(await this.fence(task, firstOffset))) return;
          if (!current()) return await this.dropProducer(task);
        }
        await this.commitTransaction(task, [], next);
      } catch (err) {
        this.log.debug({ err, topic, partition, offset: next }, 'could not commit past transaction markers; the next batch will');
      }
    });
  }

  /** Stops the partition at `offset` until `until` or a table change. */
  private waitAt(task: PartitionTask, offset: string, until: number): void {
    const consumer = this.consumer;
    if (!consumer) return;
    const tp = { topic: task.topic, partitions: [task.partition] };
    consumer.pause([tp]);
    consumer.seek({ topic: task.topic, partition: task.partition, offset });
    if (task.waitTimer) clearTimeout(task.waitTimer);
    task.waitTimer = setTimeout(() => this.resume(task), Math.max(0, until - this.rt.now()));
    this.log.debug({ topic: task.topic, partition: task.partition, offset, until }, 'partition waits');
  }

  private retryLater(task: PartitionTask, offset: string, err: unknown): void {
    const consumer = this.consumer;
    task.attempts++;
    const delayMs = backoffDelay(task.attempts, { initialDelayMs: this.rt.retryInitialDelayMs, maxDelayMs: this.rt.retryMaxDelayMs });
    if (isFencedError(err)) {
      // Another member initialised this partition's transactional id: we lost it in a rebalance and our transaction was aborted.
      this.log.info({ topic: task.topic, partition: task.partition, offset }, 'fenced by the partition’s new owner; our transaction was aborted');
    } else {
      const level = err instanceof StepFailure || task.attempts >= 3 ? 'error' : 'warn';
      this.log[level]({ err, topic: task.topic, partition: task.partition, offset, attempt: task.attempts, delayMs }, 'batch failed; it will be redone');
    }
    // A broker that cannot run transactions is reported at once: nothing will commit until the broker is fixed.
    const transactionLog = err instanceof UnavailableError && err.details?.transactionLog === true;
    if (task.attempts >= 3 || err instanceof StepFailure || transactionLog) this.meter.failure(err);
    if (!consumer) return;
    const tp = { topic: task.topic, partitions: [task.partition] };
    consumer.pause([tp]);
    consumer.seek({ topic: task.topic, partition: task.partition, offset });
    if (task.retryTimer) clearTimeout(task.retryTimer);
    task.retryTimer = setTimeout(() => {
      task.retryTimer = null;
      this.resume(task);
    }, delayMs);
  }

  private resume(task: PartitionTask): void {
    if (task.waitTimer) clearTimeout(task.waitTimer);
    task.waitTimer = null;
    if (task.retryTimer || this.stopping || this.rt.killed()) return;
    this.consumer?.resume([{ topic: task.topic, partitions: [task.partition] }]);
  }

  /** A table changed: partitions waiting for it are offered their record again. */
  private wakeAll(): void {
    this.tableChanges++;
    for (const task of this.tasks.values()) if (task.waitTimer) this.resume(task);
  }

  private clearTimers(task: PartitionTask): void {
    if (task.waitTimer) clearTimeout(task.waitTimer);
    if (task.retryTimer) clearTimeout(task.retryTimer);
    task.waitTimer = null;
    task.retryTimer = null;
  }

  private async dropProducer(task: PartitionTask): Promise<void> {
    const p = task.producer;
    task.producer = null;
    if (p) await p.disconnect().catch(() => undefined);
  }

  /** Waits for the partitions' queued work (commits past markers), which checks for a stop before doing anything. */
  private async settleChains(): Promise<void> {
    await Promise.all([...this.tasks.values()].map((t) => t.chain.catch(() => undefined)));
  }

  /** Stops after the batches in flight; commits nothing more. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.signalStop();
    for (const d of this.disposers.splice(0)) d();
    for (const t of this.tasks.values()) this.clearTimers(t);
    await this.started;
    const supervisor = this.supervisor;
    this.supervisor = null;
    await supervisor?.stop();
    this.assigned = new Set();
    await this.settleChains();
    if (this.healthId) this.rt.log.consumerHealth(this.healthId, true);
    await Promise.all([...this.tasks.values()].map((t) => this.dropProducer(t)));
    this.tasks.clear();
    this.meter.state = ProcessorState.Stopped;
  }
}

export class KafkaStreamRuntime implements StreamRuntime {
  readonly kind = 'kafka' as const;
  readonly exactlyOnce: boolean;
  readonly instanceId: string;
  readonly statusTopic: string;
  private readonly log: KafkaEventLog;
  private readonly logger: Logger;
  private readonly groupPrefix: string;
  private readonly shared: RuntimeShared;
  private readonly processors = new Map<string, KafkaProcessor>();
  private readonly tables: { stop(): Promise<void> }[] = [];
  private readonly statusIntervalMs: number;
  private statusTimer: NodeJS.Timeout | null = null;
  private statusTopicReady: Promise<void> | null = null;
  private publishing: Promise<void> = Promise.resolve();
  private closed = false;
  private killedFlag = false;
  private rejectKill!: (e: Error) => void;

  constructor(o: KafkaStreamRuntimeOptions) {
    this.log = o.log;
    this.logger = o.logger ?? o.log.logger ?? silentLogger;
    this.groupPrefix = o.groupPrefix;
    this.exactlyOnce = o.exactlyOnce ?? true;
    this.instanceId = o.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.statusTopic = o.statusTopic ?? DEFAULT_STATUS_TOPIC;
    this.statusIntervalMs = o.statusIntervalMs ?? 2_000;
    const killSignal = new Promise<never>((_, reject) => {
      this.rejectKill = reject;
    });
    killSignal.catch(() => undefined);
    this.shared = {
      log: o.log,
      logger: this.logger,
      exactlyOnce: this.exactlyOnce,
      concurrency: o.partitionsConsumedConcurrently ?? 4,
      transactionTimeoutMs: o.transactionTimeoutMs ?? 60_000,
      maxSendBytes: o.maxSendBytes ?? 512 * 1024,
      retryInitialDelayMs: o.retryInitialDelayMs ?? 200,
      retryMaxDelayMs: o.retryMaxDelayMs ?? 10_000,
      now: o.now ?? Date.now,
      beforeCommit: o.beforeCommit,
      killed: () => this.killedFlag,
      killSignal,
      instanceId: this.instanceId,
    };
  }

  groupId(processorName: string): string {
    return `${this.groupPrefix}-${processorName}`;
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    await this.log.ensureTopics(specs);
  }

  table(definition: TableDefinition): Promise<GlobalTable> {
    return startTrackedTable(this.log, definition, this.logger, this.tables);
  }

  async run(definition: ProcessorDefinition): Promise<ProcessorHandle> {
    checkRunnable(definition, this.closed, this.processors.get(definition.name));
    const p = new KafkaProcessor(definition, this.groupId(definition.name), `${this.groupPrefix}-${definition.name}`, this.shared);
    this.processors.set(definition.name, p);
    p.start();
    this.startPublishing();
    let stopped: Promise<void> | null = null;
    return {
      name: definition.name,
      stop: () =>
        (stopped ??= p.stop().then(() => {
          this.publishing = this.publishing.then(() => this.publishLastWord([p]));
          return this.publishing;
        })),
    };
  }

  /** The processors of this instance, with live consumer lag. */
  failing(): readonly ProcessorFailure[] {
    return [...this.processors.values()].filter((p) => p.meter.state === ProcessorState.Error).map((p) => ({ name: p.def.name, lastError: p.meter.lastError }));
  }

  async status(): Promise<readonly ProcessorStatus[]> {
    const now = this.shared.now();
    return Promise.all(
      [...this.processors.values()].map(async (p) => ({
        ...instanceStatus(p.def, p.groupId, p.meter, now),
        consumerLag: await groupLag(this.log, p.groupId, p.def.sources),
        instances: p.meter.state === ProcessorState.Stopped ? 0 : 1,
      })),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.statusTimer) clearInterval(this.statusTimer);
    await Promise.all([...this.processors.values()].map((p) => p.stop()));
    await Promise.all(this.tables.splice(0).map((t) => t.stop()));
    // Last word: every processor of this instance STOPPED, and its instance key tombstoned.
    this.publishing = this.publishing.then(() => this.publishLastWord([...this.processors.values()]));
    await this.publishing;
  }

  /**
   * Simulates a crash (tests): stops consuming and drops every connection
   * without committing offsets, aborting open transactions, or leaving a
   * last status. A transaction held in the `beforeCommit` hook stays open on
   * the broker until the next owner of its partition fences it.
   */
  async kill(): Promise<void> {
    if (this.closed) return;
    this.killedFlag = true;
    this.closed = true;
    this.rejectKill(new Killed());
    if (this.statusTimer) clearInterval(this.statusTimer);
    await Promise.all([...this.processors.values()].map((p) => p.stop()));
    await Promise.all(this.tables.splice(0).map((t) => t.stop()));
  }

  private startPublishing(): void {
    if (this.statusTimer || this.statusIntervalMs <= 0) return;
    const tick = (): void => {
      this.publishing = this.publishing.then(() => this.publish([...this.processors.values()]));
    };
    this.statusTimer = setInterval(tick, this.statusIntervalMs);
    this.statusTimer.unref();
    tick();
  }

  /** The running processors' reports, under their instance keys. */
  private publish(processors: readonly KafkaProcessor[]): Promise<void> {
    const now = Date.now();
    return this.produceStatus(
      processors
        .filter((p) => p.meter.state !== ProcessorState.Stopped)
        .map((p) => ({ topic: this.statusTopic, key: this.statusKey(p), value: this.report(p, now) })),
    );
  }

  /** Stopped processors: the STOPPED report under the processor's own key, and a tombstone for the instance key. */
  private publishLastWord(processors: readonly KafkaProcessor[]): Promise<void> {
    const now = Date.now();
    return this.produceStatus(
      processors.flatMap((p) => [
        { topic: this.statusTopic, key: p.def.name, value: this.report(p, now) },
        { topic: this.statusTopic, key: this.statusKey(p), value: null },
      ]),
    );
  }

  private statusKey(p: KafkaProcessor): string {
    return `${p.def.name}@${this.instanceId}`;
  }

  private report(p: KafkaProcessor, now: number): string {
    return JSON.stringify({ ...instanceStatus(p.def, p.groupId, p.meter, now), instance: this.instanceId, updatedAt: now });
  }

  private async produceStatus(records: readonly OutRecord[]): Promise<void> {
    if (this.statusIntervalMs <= 0 || this.killedFlag || records.length === 0) return;
    try {
      this.statusTopicReady ??= this.log.ensureTopics([statusTopicSpec(this.statusTopic)]).catch((e: unknown) => {
        this.statusTopicReady = null;
        throw e;
      });
      await this.statusTopicReady;
      await this.log.produce(records);
    } catch (err) {
      this.logger.debug({ err, topic: this.statusTopic }, 'could not publish the pipeline status');
    }
  }
}

/** Summed lag of a group over topics; null when it could not be read. */
export async function groupLag(log: { lag(groupId: string, topic: string): Promise<number> }, groupId: string, topics: readonly string[]): Promise<number | null> {
  try {
    const lags = await Promise.all(topics.map((t) => log.lag(groupId, t)));
    return lags.reduce((a, b) => a + b, 0);
  } catch {
    return null;
  }
}
