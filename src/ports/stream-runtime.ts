/**
 * The stream runtime port: runs named processors (plain functions of record
 * and state, in `stream/`) over input topics with a consumer group, and owns
 * consuming, producing, offsets and transactions. Implemented by
 * `stream/runtime/kafka-runtime.ts` (kafkajs, exactly-once with one
 * transactional producer per input partition) and
 * `stream/runtime/memory-runtime.ts` (embedded default); one contract
 * suite (`test/contract/stream-runtime.contract.ts`) runs against both.
 *
 * Guarantees a runtime gives a processor:
 * - records of one input partition are processed one at a time, in offset order;
 * - what a step emits and the input offset after it are committed together
 *   (one Kafka transaction per batch per partition when exactly-once is on;
 *   after a crash a batch is processed again and its earlier output was aborted);
 * - tables a processor names are read to the end offsets taken when they
 *   started (and, for a table fed by a group of this application, after that
 *   group caught up with the backlog of its own sources) before its first
 *   record is processed; the processor is BOOTSTRAPPING meanwhile.
 */
import type { LogRecord, OutRecord, Stoppable, TopicSpec } from './event-log.js';

export const ProcessorState = {
  /** Consuming. */
  Running: 'RUNNING',
  /** Waiting for its tables to be read to their end offsets. */
  Bootstrapping: 'BOOTSTRAPPING',
  /** Its last attempts failed (broker down, fenced, a processor bug); it keeps retrying with backoff. */
  Error: 'ERROR',
  Stopped: 'STOPPED',
} as const;
export type ProcessorState = (typeof ProcessorState)[keyof typeof ProcessorState];

/**
 * What a processor decided for one input record.
 * - `done`: the record is consumed; `emit` is produced in the same transaction
 *   as its offset. `failed` counts dead letters among `emit`, `unmatched` joins
 *   that found nothing (both for the status).
 * - `wait`: the record cannot be decided yet (a join waiting for its grace
 *   period). The partition stops at this record, whatever came before it is
 *   committed, and the record is offered again at `until` (epoch ms) or as
 *   soon as one of the processor's tables changes, whichever comes first.
 */
export type StepOutcome = { readonly kind: 'done'; readonly emit: readonly OutRecord[]; readonly failed?: number; readonly unmatched?: number } | { readonly kind: 'wait'; readonly until: number };

export interface StepContext {
  /** The runtime's clock for this step, epoch ms. */
  readonly now: number;
}

/**
 * A table read from a (compacted) topic on every partition by every runtime
 * instance, like Kafka Streams' GlobalKTable: a join against it needs no
 * repartitioning. Rebuilt from the topic at each start.
 */
export interface TableDefinition {
  readonly name: string;
  readonly topic: string;
  /**
   * The consumer group that fills `topic` from other topics (a processor of
   * this application, e.g. a re-key). When set, the table is ready only once
   * that group has committed, on each of `topics`, up to the end offsets they
   * had when the table started, and then the table has read `topic` up to its
   * end offsets taken after that: a backlog upstream counts as part of the
   * table, so joins do not start while it is still on its way.
   */
  readonly fedBy?: { readonly groupId: string; readonly topics: readonly string[] };
  /** Applies one record of the topic to the table's state. Must not throw; a bad record is the table's to skip and count. */
  apply(record: LogRecord): void;
}

export interface GlobalTable extends Stoppable {
  readonly name: string;
  readonly topic: string;
  /** Whether the topic has been read up to the end offsets taken when the table started (after its upstream caught up: {@link TableDefinition.fedBy}). */
  isReady(): boolean;
  /** Resolves once ready; rejects when the runtime closes first. */
  ready(): Promise<void>;
  /** Called after each applied batch (after bootstrap, too). Returns a dispose function. */
  onChange(listener: () => void): () => void;
}

export interface ProcessorDefinition {
  /** Unique within the application; names the consumer group and transactional ids. */
  readonly name: string;
  /** Input topics, consumed with the group `<groupPrefix>-<name>`. */
  readonly sources: readonly string[];
  /** Topics it writes to (for the status; the records name their topic). */
  readonly sinks: readonly string[];
  /** Tables to bootstrap before the first record; a change to one wakes partitions that wait. */
  readonly tables?: readonly GlobalTable[];
  /**
   * Awaited before each batch is processed, with the batch's records: fetches
   * what the steps need from outside and then read synchronously (the writer
   * schemas of Avro records, see src/services/record-codec.ts), so `process`
   * stays free of I/O. When it throws, nothing of the batch is processed or
   * committed: the partition pauses and the batch is retried after a jittered
   * backoff (the processor reports ERROR after repeated failures).
   */
  prepare?(records: readonly LogRecord[]): Promise<void>;
  /** One input record in, a decision out. Pure apart from reading tables: no I/O. */
  process(record: LogRecord, ctx: StepContext): StepOutcome;
  /**
   * When `process` throws (a bug, not bad input: parsers return errors), what
   * to do instead, typically a dead letter counted as failed. Without it, or
   * when it throws too, the batch is retried after a jittered backoff and the
   * processor reports ERROR meanwhile.
   */
  onError?(record: LogRecord, error: unknown, ctx: StepContext): StepOutcome;
}

export interface ProcessorHandle extends Stoppable {
  readonly name: string;
}

/** One processor as `Query.pipeline` serves it (KSQL's SHOW QUERIES / DESCRIBE EXTENDED). */
export interface ProcessorStatus {
  readonly name: string;
  readonly sources: readonly string[];
  readonly sinks: readonly string[];
  readonly state: ProcessorState;
  /** Input records per second over the last minute, summed over instances. */
  readonly messagesPerSecond: number;
  /** Input records processed since the instances started. */
  readonly totalMessages: number;
  /** Input records dead-lettered. */
  readonly failedMessages: number;
  /** Join inputs that found no match (anonymous, or no customer within the grace period). */
  readonly unmatchedMessages: number;
  /** Epoch ms when the last input record was processed, or null. */
  readonly lastMessageTime: number | null;
  /** Records of the sources not yet committed by the group; null when it could not be read. */
  readonly consumerLag: number | null;
  readonly consumerGroup: string;
  /** Runtime instances that reported this processor recently. */
  readonly instances: number;
  readonly lastError: string | null;
}

/** Where `Query.pipeline` gets its data; may be another process than the runtime's. */
export interface PipelineStatusSource {
  status(): Promise<readonly ProcessorStatus[]>;
}

export interface StreamRuntime extends PipelineStatusSource {
  readonly kind: 'kafka' | 'memory';
  /** Whether steps are Kafka transactions (false: at-least-once, for benchmarks). */
  readonly exactlyOnce: boolean;
  /** The consumer group a processor of this name uses. */
  groupId(processorName: string): string;
  /** Creates missing topics (existing ones are left as they are). */
  ensureTopics(specs: readonly TopicSpec[]): Promise<void>;
  /** Starts reading a table; resolves at once (see {@link GlobalTable.ready}). */
  table(definition: TableDefinition): Promise<GlobalTable>;
  /**
   * Starts a processor in the background (after its tables are ready) and
   * resolves at once. A processor name runs once per runtime.
   * @throws BadInputError for a name already running or a definition without sources
   */
  run(definition: ProcessorDefinition): Promise<ProcessorHandle>;
  /** Stops every processor and table (committing nothing more) and releases connections. */
  close(): Promise<void>;
  /** This instance's processors in ERROR, with their last error; cheap (no broker call), for /readyz. */
  failing(): readonly ProcessorFailure[];
}

/** A processor in ERROR in this instance, and why. */
export interface ProcessorFailure {
  readonly name: string;
  readonly lastError: string | null;
}
