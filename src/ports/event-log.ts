/**
 * The event log port: what the sink, the API and the Slack app need from
 * Kafka. Implemented by `src/adapters/kafka/event-log.ts` (kafkajs) and
 * `src/adapters/memory/event-log.ts` (embedded default); one contract test
 * suite runs against both.
 *
 * Offsets are decimal strings (as in kafkajs): the offset of a record, or, in
 * {@link PartitionOffsets.high} and `from` maps, the next offset to read.
 */

export interface LogRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  /** null for a tombstone. */
  readonly value: Buffer | null;
  /** Record timestamp, epoch ms. */
  readonly timestamp: number;
  readonly headers: Readonly<Record<string, string>>;
}

export interface OutRecord {
  readonly topic: string;
  readonly key: string | Buffer | null;
  readonly value: string | Buffer | null;
  /** Epoch ms. @default now */
  readonly timestamp?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** @default chosen by key hash (murmur2, as the Java client), or round robin without a key */
  readonly partition?: number;
}

export interface TopicSpec {
  readonly name: string;
  /** @default the adapter's configured partition count */
  readonly partitions?: number;
  /** cleanup.policy=compact (with {@link retentionMs}: compact,delete). @default false */
  readonly compacted?: boolean;
  /** retention.ms: records older than this are deleted (on a compacted topic, too). @default the broker's (7 days) */
  readonly retentionMs?: number;
  /** segment.ms: how often the active segment rolls, so retention and compaction can reach recent records. @default the broker's (7 days) */
  readonly segmentMs?: number;
}

export interface PartitionOffsets {
  readonly partition: number;
  /** First offset still readable (retention may have moved it). */
  readonly low: string;
  /** Next offset to be written (the high watermark / last stable offset). */
  readonly high: string;
}

/** A starting position: `earliest`, `latest`, or the next offset per partition (unlisted partitions start at earliest). */
export type StartFrom = 'earliest' | 'latest' | ReadonlyMap<number, string>;

export interface TailOptions {
  readonly topic: string;
  readonly from: StartFrom;
  /**
   * Receives records in offset order per partition. Not committed anywhere:
   * a tail is for fan-out, where each gateway instance sees every record.
   * A throw is logged and the batch is skipped (fan-out must not stall).
   */
  readonly onBatch: (records: readonly LogRecord[]) => Promise<void> | void;
  /**
   * Called after the reader moved on a partition, with the next offset it will
   * read there; also when it only passed transaction markers or aborted
   * records, which never reach `onBatch` but take up offsets. Lets a reader
   * tell when it reached offsets taken earlier (end offsets, for a bootstrap).
   */
  readonly onPosition?: (partition: number, next: string) => void;
}

export interface ConsumeOptions {
  /** Consumer group; each group sees every record once, shared among its members. */
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Where a group with no committed offsets starts. @default true */
  readonly fromBeginning?: boolean;
  /**
   * Receives one batch of one topic-partition, in offset order. The offsets
   * are committed only after it resolves. When it throws, nothing is
   * committed and the same records are delivered again after a jittered
   * backoff (the partition is paused meanwhile); the error decides nothing
   * else, so handlers dead-letter what can never succeed themselves.
   *
   * A handler that works on batches in the background (the sink: bulk
   * requests in flight while the next records are fetched) resolves with
   * {@link BatchTaken} once it has taken the batch in: the consumer goes on
   * fetching, and commits past the batch when its `done` resolves and every
   * earlier batch of the partition is done. A `done` that rejects counts as
   * a throw: the partition is rewound to that batch and everything from it
   * on is delivered again (later batches already taken in included).
   */
  readonly onBatch: (records: readonly LogRecord[]) => Promise<void | BatchTaken>;
  /**
   * Records taken in ({@link BatchTaken}) and not done yet, at most: above it
   * the consumer waits for the oldest before fetching more. @default 20_000
   */
  readonly maxPendingRecords?: number;
  /**
   * Bytes (keys and values) of the records taken in and not done yet, at
   * most: the same wait, so that large records are bounded too. @default 67_108_864 (64 MiB)
   */
  readonly maxPendingBytes?: number;
}

/** {@link ConsumeOptions.maxPendingRecords} when not given. */
export const DEFAULT_MAX_PENDING_RECORDS = 20_000;
/** {@link ConsumeOptions.maxPendingBytes} when not given: 64 MiB. */
export const DEFAULT_MAX_PENDING_BYTES = 64 * 1_048_576;

/** A batch a consume handler took in and finishes in the background. */
export interface BatchTaken {
  /** Resolves once the batch is handled (its offsets may be committed); rejects to have it delivered again. */
  readonly done: Promise<void>;
}

/** Whether a consume handler's result is a {@link BatchTaken}. */
export function isBatchTaken(result: unknown): result is BatchTaken {
  return typeof result === 'object' && result !== null && 'done' in result && (result as BatchTaken).done instanceof Promise;
}

export interface Stoppable {
  /** Idempotent; resolves once nothing more will be delivered. */
  stop(): Promise<void>;
}

export interface EventLog {
  readonly kind: 'kafka' | 'memory';
  /** Creates missing topics; existing ones are left as they are. */
  ensureTopics(specs: readonly TopicSpec[]): Promise<void>;
  /** Durable when it resolves (acks=all, idempotent producer). */
  produce(records: readonly OutRecord[]): Promise<void>;
  /**
   * Each partition's first readable offset and end. With `committed` (the
   * default) the end is what a read_committed reader can reach now (Kafka's
   * last stable offset); with `uncommitted` it is the high watermark, which
   * also counts records of transactions still open (or whose commit markers
   * are not written yet): reading up to it means those transactions ended.
   */
  offsets(topic: string, isolation?: 'committed' | 'uncommitted'): Promise<readonly PartitionOffsets[]>;
  tail(options: TailOptions): Promise<Stoppable>;
  consume(options: ConsumeOptions): Promise<Stoppable>;
  /** Records not yet committed by a group, summed over the topic's partitions. */
  lag(groupId: string, topic: string): Promise<number>;
  /**
   * The offsets a group has committed on a topic: partition → the next offset
   * it reads there. Partitions it committed nothing on are left out (an
   * unknown group gives an empty map).
   */
  committed(groupId: string, topic: string): Promise<ReadonlyMap<number, string>>;
  /** Whether the log is reachable now. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
