/**
 * One processor of the Kafka stream runtime (kafka-runtime.ts): a consumer
 * group (`<groupPrefix>-<name>`, read_committed, auto-commit off) on
 * `eachBatch`. With exactly-once on, every batch of one input partition is one
 * Kafka transaction (kafka-transaction.ts): the processor's output, then the
 * input offsets (`transaction.sendOffsets`), then the commit. On any error the
 * transaction is aborted, the producer dropped, the partition paused and
 * rewound to its first uncommitted record, and the batch redone after a
 * jittered backoff. The partition's producer is created and fenced afresh on
 * its first batch after every (re)join.
 *
 * kafkajs pitfalls handled here:
 * - With `eachBatchAutoResolve: false` the consumer re-fetches the same
 *   records until their offsets are resolved, so each committed batch is
 *   resolved (https://github.com/tulios/kafkajs/issues/1665, #679); resolving
 *   the last record also resolves the transaction marker after it (PR #511).
 * - Waiting (a join's grace period) never sleeps inside eachBatch, which would
 *   hold every partition of the broker's fetch: the partition is paused and
 *   rewound, and resumed by a timer or a table change
 *   (pause in eachBatch: https://github.com/tulios/kafkajs/pull/1382).
 * - A consumer kafkajs will not restart after a crash (CRASH with
 *   `restart: false`) is rebuilt by a {@link SupervisedConsumer}: the processor
 *   reports ERROR (and the event log's `ping()` false) until the replacement
 *   joined, then RUNNING; every partition fences again and starts at its
 *   committed offset.
 *
 * With `exactlyOnce: false` (benchmarks) a batch is produced with the
 * idempotent producer and its offsets committed afterwards: at-least-once.
 */
import type { Batch, Consumer, EachBatchPayload } from 'kafkajs';
import { UnavailableError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import { ProcessorState, type ProcessorDefinition } from '../../src/ports/stream-runtime.js';
import { backoffDelay, sleep } from '../../src/retry.js';
import { nextOffset } from '../../src/domain/offsets.js';
import { ProcessorMeter, StepFailure, runSteps } from './tasks.js';
import { toLogRecord } from '../../src/adapters/kafka/client.js';
import { isFencedError, translateKafkaError } from '../../src/adapters/kafka/errors.js';
import { InFlight, SupervisedConsumer } from '../../src/adapters/kafka/supervised-consumer.js';
import {
  Killed,
  commitAtLeastOnce,
  commitTransaction,
  committedOffset,
  dropProducer,
  initPartitionProducer,
  type PartitionTask,
  type TransactionOwner,
  type TransactionSettings,
} from './kafka-transaction.js';

/** What the runtime hands each of its processors. */
export interface RuntimeShared extends TransactionSettings {
  readonly logger: Logger;
  readonly exactlyOnce: boolean;
  readonly concurrency: number;
  readonly retryInitialDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly now: () => number;
  readonly instanceId: string;
}

export class KafkaProcessor {
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
  private readonly owner: TransactionOwner;

  constructor(
    readonly def: ProcessorDefinition,
    readonly groupId: string,
    private readonly rt: RuntimeShared,
  ) {
    this.meter = new ProcessorMeter(rt.now());
    this.log = rt.logger.child({ processor: def.name, groupId });
    this.owner = { processor: def.name, groupId };
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
        await Promise.all([...this.tasks.values()].map((t) => dropProducer(t)));
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
      void dropProducer(task);
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
        // `<groupId>-<topic>-<partition>`, that is `<groupPrefix>-<processor>-<topic>-<partition>`.
        transactionalId: `${this.groupId}-${topic}-${partition}`,
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
        if (this.rt.exactlyOnce) await commitTransaction(this.rt, this.owner, task, steps.emit, next);
        else await commitAtLeastOnce(this.rt, this.groupId, task, steps.emit, next, commitOffsetsIfNecessary);
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
    await dropProducer(task);
    task.producer = await initPartitionProducer(this.rt, task);
    task.generation = this.generation;
    const committed = await committedOffset(this.rt.log, this.groupId, task.topic, task.partition);
    this.log.debug({ topic: task.topic, partition: task.partition, transactionalId: task.transactionalId, committed, fetched }, 'transactional producer initialised');
    if (committed !== null && fetched !== null && committed !== fetched) {
      this.log.info({ topic: task.topic, partition: task.partition, committed, fetched }, 'committed offset moved while fencing; seeking to it');
      this.consumer?.seek({ topic: task.topic, partition: task.partition, offset: committed });
      return false;
    }
    return true;
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
          if (!current()) return await dropProducer(task);
        }
        await commitTransaction(this.rt, this.owner, task, [], next);
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
    await Promise.all([...this.tasks.values()].map((t) => dropProducer(t)));
    this.tasks.clear();
    this.meter.state = ProcessorState.Stopped;
  }
}
