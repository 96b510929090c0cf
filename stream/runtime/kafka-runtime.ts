/**
 * The stream runtime on kafkajs: exactly-once consume-transform-produce.
 *
 * Each processor is a consumer group (`<groupPrefix>-<name>`) run by a
 * {@link KafkaProcessor} (kafka-processor.ts): with exactly-once on, every
 * batch of one input partition is one Kafka transaction of that partition's
 * own transactional producer, `transactional.id =
 * <groupPrefix>-<processor>-<topic>-<partition>`, fenced afresh after every
 * (re)join (kafka-transaction.ts says why: kafkajs fences by transactional id
 * only). With `exactlyOnce: false` (benchmarks): at-least-once.
 *
 * This file holds the runtime around them: its options, starting and stopping
 * processors and tables, readiness (`failing`) and status, a simulated crash
 * (`kill`), and the processors' reports to the status topic every
 * `statusIntervalMs` ({@link StatusPublisher}, status-topic.ts), read by
 * `createKafkaPipelineStatusSource` in any process.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { BadInputError } from '../../src/errors.js';
import { silentLogger, type Logger } from '../../src/logger.js';
import type { ProcessorDefinition, ProcessorHandle, StreamRuntime } from '../../src/ports/stream-runtime.js';
import type { KafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import { KafkaProcessor, type RuntimeShared } from './kafka-processor.js';
import { Killed, type CommitHookInfo } from './kafka-transaction.js';
import { RuntimeBase } from './runtime-base.js';
import { DEFAULT_STATUS_TOPIC, StatusPublisher } from './status-topic.js';

export type { CommitHookInfo } from './kafka-transaction.js';

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

export class KafkaStreamRuntime extends RuntimeBase<KafkaProcessor, KafkaEventLog> implements StreamRuntime {
  readonly kind = 'kafka' as const;
  readonly exactlyOnce: boolean;
  readonly instanceId: string;
  readonly statusTopic: string;
  private readonly shared: RuntimeShared;
  private readonly publisher: StatusPublisher;
  private killedFlag = false;
  private rejectKill!: (e: Error) => void;

  constructor(o: KafkaStreamRuntimeOptions) {
    super(o.log, o.groupPrefix, o.logger ?? o.log.logger ?? silentLogger, o.now ?? Date.now);
    this.exactlyOnce = o.exactlyOnce ?? true;
    this.instanceId = o.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.statusTopic = o.statusTopic ?? DEFAULT_STATUS_TOPIC;
    this.publisher = new StatusPublisher({
      log: o.log,
      topic: this.statusTopic,
      intervalMs: o.statusIntervalMs ?? 2_000,
      instanceId: this.instanceId,
      logger: this.logger,
      killed: () => this.killedFlag,
      processors: () => [...this.processors.values()],
    });
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

  async run(definition: ProcessorDefinition): Promise<ProcessorHandle> {
    const p = this.admit(definition, (groupId) => new KafkaProcessor(definition, groupId, this.shared));
    p.start();
    this.publisher.start();
    let stopped: Promise<void> | null = null;
    return {
      name: definition.name,
      stop: () => (stopped ??= p.stop().then(() => this.publisher.lastWord([p]))),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.publisher.stop();
    await this.stopAll();
    // Last word: every processor of this instance STOPPED, and its instance key tombstoned.
    await this.publisher.lastWord([...this.processors.values()]);
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
    this.publisher.stop();
    await this.stopAll();
  }
}
