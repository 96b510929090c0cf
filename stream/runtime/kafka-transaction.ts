/**
 * One input partition's transactional producer in the Kafka stream runtime
 * (kafka-processor.ts runs the consumer side): fencing, the transaction that
 * carries a batch's output and its input offsets, and the at-least-once
 * variant.
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
 * last transaction completed, so the runtime reads it again after fencing
 * ({@link committedOffset}) and seeks there if it moved.
 *
 * kafkajs pitfalls handled here:
 * - A transaction whose commit or abort failed leaves kafkajs' state machine in
 *   COMMITTING/ABORTING for good (https://github.com/tulios/kafkajs/issues/1282),
 *   so a failed producer is never reused.
 * - Idempotent and transactional producers keep `maxInFlightRequests: 1`
 *   (out-of-order sequence numbers otherwise: https://github.com/tulios/kafkajs/issues/598).
 * - Back-to-back transactions make AddPartitionsToTxn answer
 *   CONCURRENT_TRANSACTIONS while the coordinator writes the previous markers;
 *   kafkajs retries the whole send after its retry time, so producers here
 *   start at 5 ms (https://github.com/tulios/kafkajs/issues/1315, #1068).
 *   The markers take a few milliseconds on a local broker: with 20 ms (the
 *   Java client's fixed AddPartitions backoff) back-to-back transactions
 *   measured send p90 30 ms, with 5 ms 14-15 ms (same broker, interleaved).
 */
import { Partitioners, type EachBatchPayload, type Producer } from 'kafkajs';
import { UnavailableError } from '../../src/errors.js';
import type { OutRecord } from '../../src/ports/event-log.js';
import { byTopic, splitByBytes } from '../../src/adapters/kafka/client.js';
import { TRANSACTION_LOG_HINT, transactionLogUnavailable, translateKafkaError } from '../../src/adapters/kafka/errors.js';
import type { KafkaEventLog } from '../../src/adapters/kafka/event-log.js';

export interface CommitHookInfo {
  readonly processor: string;
  readonly topic: string;
  readonly partition: number;
  /** Records produced in this transaction. */
  readonly records: number;
  /** The input offset being committed. */
  readonly offset: string;
}

export class Killed extends Error {
  constructor() {
    super('the stream runtime was killed');
    this.name = 'Killed';
  }
}

export interface PartitionTask {
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

/** What the runtime settles for every transaction. */
export interface TransactionSettings {
  readonly log: KafkaEventLog;
  readonly transactionTimeoutMs: number;
  readonly maxSendBytes: number;
  readonly beforeCommit: ((info: CommitHookInfo) => Promise<void> | void) | undefined;
  readonly killed: () => boolean;
  readonly killSignal: Promise<never>;
}

/** Whose transaction: the processor and its consumer group. */
export interface TransactionOwner {
  readonly processor: string;
  readonly groupId: string;
}

export async function dropProducer(task: PartitionTask): Promise<void> {
  const p = task.producer;
  task.producer = null;
  if (p) await p.disconnect().catch(() => undefined);
}

/**
 * A new transactional producer for the partition, initialised (InitProducerId:
 * any zombie with the same transactional.id is fenced and its open
 * transaction aborted).
 */
export async function initPartitionProducer(rt: Pick<TransactionSettings, 'log' | 'transactionTimeoutMs'>, task: PartitionTask): Promise<Producer> {
  const producer = rt.log.client.producer({
    transactionalId: task.transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: rt.transactionTimeoutMs,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { initialRetryTime: 5, maxRetryTime: 1_000, retries: 15 },
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
  return producer;
}

/** The group's committed offset of one partition; null when it has none. */
export async function committedOffset(log: KafkaEventLog, groupId: string, topic: string, partition: number): Promise<string | null> {
  const admin = await log.admin();
  try {
    const res = await admin.fetchOffsets({ groupId, topics: [topic] });
    const o = res.find((r) => r.topic === topic)?.partitions.find((p) => p.partition === partition)?.offset;
    return o === undefined || BigInt(o) < 0n ? null : o;
  } catch (e) {
    throw translateKafkaError(e, `reading the committed offsets of ${groupId}`);
  }
}

/** One transaction: `emit`, then the input offset `next`, then the commit; on failure aborted and the producer dropped. */
export async function commitTransaction(rt: TransactionSettings, owner: TransactionOwner, task: PartitionTask, emit: readonly OutRecord[], next: string): Promise<void> {
  const producer = task.producer;
  if (!producer) throw new Error(`no transactional producer for ${task.topic}/${task.partition}`);
  const tx = await producer.transaction();
  try {
    // In runs of bounded size: one run over the broker's message.max.bytes would be refused every time (a stall).
    for (const run of splitByBytes(emit, rt.maxSendBytes)) await tx.sendBatch({ acks: -1, topicMessages: byTopic(run) });
    if (rt.beforeCommit) {
      const info = { processor: owner.processor, topic: task.topic, partition: task.partition, records: emit.length, offset: next };
      await Promise.race([Promise.resolve(rt.beforeCommit(info)), rt.killSignal]);
    }
    await tx.sendOffsets({ consumerGroupId: owner.groupId, topics: [{ topic: task.topic, partitions: [{ partition: task.partition, offset: next }] }] });
    await tx.commit();
  } catch (err) {
    // A crash leaves the transaction open; the next owner's InitProducerId aborts it.
    if (rt.killed()) throw new Killed();
    await tx.abort().catch(() => undefined);
    task.generation = -1;
    await dropProducer(task);
    throw translateKafkaError(err, `committing a transaction of ${owner.processor} for ${task.topic}/${task.partition}`);
  }
}

/** At-least-once (exactly-once off): `emit` with the idempotent producer, then the offset `next`. */
export async function commitAtLeastOnce(
  rt: Pick<TransactionSettings, 'log' | 'maxSendBytes'>,
  groupId: string,
  task: PartitionTask,
  emit: readonly OutRecord[],
  next: string,
  commit: EachBatchPayload['commitOffsetsIfNecessary'],
): Promise<void> {
  for (const run of splitByBytes(emit, rt.maxSendBytes)) await rt.log.produce(run);
  try {
    await commit({ topics: [{ topic: task.topic, partitions: [{ partition: task.partition, offset: next }] }] });
  } catch (e) {
    throw translateKafkaError(e, `committing offsets of ${groupId}`);
  }
}
