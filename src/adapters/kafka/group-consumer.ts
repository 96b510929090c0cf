/**
 * `KafkaEventLog.consume`: a group consumer on `eachBatch`; offsets are
 * committed only after the handler resolved (or, when it took the batch in
 * to finish in the background, once that is done: `pending-batches.ts`); on
 * a throw the partition is paused, rewound to the batch's first offset and
 * resumed after a jittered backoff (pausing inside eachBatch works since kafkajs 2.1:
 * https://github.com/tulios/kafkajs/pull/1382). The handler never throws into
 * kafkajs, whose own retry would restart the whole consumer
 * (https://github.com/tulios/kafkajs/issues/945). It runs under a
 * {@link SupervisedConsumer}: a crashed consumer is recreated, from the
 * committed offsets.
 */
import { randomUUID } from 'node:crypto';
import { nextOffset } from '../../domain/offsets.js';
import { DEFAULT_MAX_PENDING_BYTES, DEFAULT_MAX_PENDING_RECORDS, isBatchTaken, type ConsumeOptions, type LogRecord } from '../../ports/event-log.js';
import { backoffDelay } from '../../retry.js';
import { toLogRecord } from './client.js';
import { translateKafkaError } from './errors.js';
import { PendingBatches } from './pending-batches.js';
import { InFlight, SupervisedConsumer, supervisedBy, withHeartbeats, type ConsumerHost } from './supervised-consumer.js';

/** Starts consuming `topics` as the group `groupId`; resolves once it runs, to the function that stops it. */
export async function startGroupConsumer(
  host: ConsumerHost,
  { groupId, topics, fromBeginning = true, onBatch, maxPendingRecords = DEFAULT_MAX_PENDING_RECORDS, maxPendingBytes = DEFAULT_MAX_PENDING_BYTES }: ConsumeOptions,
): Promise<() => Promise<void>> {
  const log = host.logger.child({ groupId });
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

  /**
   * Pauses the partition, rewinds it to `offset` (or to the oldest batch of it still being finished, which
   * must come again too) and resumes it after a jittered backoff.
   */
  const redeliver = (topic: string, partition: number, failed: string | undefined, err: unknown): void => {
    const consumer = supervisor.current();
    const offset = pending.oldest(topic, partition) ?? failed;
    pending.resetPartition(topic, partition);
    if (stopping || consumer === null) return;
    const tp = { topic, partitions: [partition] };
    const k = `${topic}/${partition}`;
    const n = (attempts.get(k) ?? 0) + 1;
    attempts.set(k, n);
    const delayMs = backoffDelay(n, { initialDelayMs: host.retryInitialDelayMs, maxDelayMs: host.retryMaxDelayMs });
    log.warn({ err, topic, partition, offset, attempt: n, delayMs }, 'handler failed; batch will be redelivered');
    consumer.pause([tp]);
    if (offset !== undefined) consumer.seek({ topic, partition, offset });
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopping && supervisor.current() === consumer) consumer.resume([tp]);
    }, delayMs);
    timers.add(t);
  };
  const pending = new PendingBatches({
    commit: (topic, partition, offset) => {
      attempts.delete(`${topic}/${partition}`);
      const consumer = supervisor.current();
      if (consumer !== null) void commitInOrder(topic, partition, offset, () => consumer.commitOffsets([{ topic, partition, offset }]));
    },
    rewind: redeliver,
  });

  const supervisor: SupervisedConsumer = new SupervisedConsumer({
    ...supervisedBy(host, log, healthId, inflight),
    beforeReplace: () => {
      pending.reset();
      // The replacement starts from the committed offsets, unpaused: forget the crashed consumer's redelivery timers.
      for (const t of timers) clearTimeout(t);
      timers.clear();
      attempts.clear();
    },
    create: () => {
      const consumer = host.client.consumer({ groupId, readUncommitted: false, allowAutoTopicCreation: false, ...host.consumerDefaults });
      consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
        // A fetch of only transaction markers (or aborted records) never reaches eachBatch; commit past it,
        // or the group stays one offset short of the end of a transactional topic and its lag never reads 0.
        const { topic, partition, lastOffset, batchSize } = e.payload;
        if (batchSize !== 0 || stopping) return;
        const offset = nextOffset(lastOffset);
        // Behind batches still being finished, it is committed after them.
        if (pending.has(topic, partition)) {
          pending.add(topic, partition, pending.epoch(topic, partition), { first: offset, next: offset, records: 0, bytes: 0, done: Promise.resolve() });
          return;
        }
        void commitInOrder(topic, partition, offset, () => consumer.commitOffsets([{ topic, partition, offset }]));
      });
      return consumer;
    },
    run: async (consumer) => {
      await consumer.connect();
      await consumer.subscribe({ topics: [...topics], fromBeginning });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: host.concurrency,
        eachBatch: ({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, isRunning, isStale }) =>
          inflight.track(
            (async () => {
              if (!isRunning() || isStale()) return;
              const records: LogRecord[] = batch.messages.map((m) => toLogRecord(batch.topic, batch.partition, m));
              const last = records[records.length - 1];
              if (!last) return;
              const epoch = pending.epoch(batch.topic, batch.partition);
              let result: Awaited<ReturnType<typeof onBatch>>;
              try {
                // Handlers may take long (a bulk request with retries, a rate-limited poster): keep the
                // member alive meanwhile, or the group rebalances, the commit fails and the batch comes again.
                result = await withHeartbeats(heartbeat, host.heartbeatEveryMs(), () => onBatch(records));
              } catch (err) {
                redeliver(batch.topic, batch.partition, batch.firstOffset() ?? batch.messages[0]?.offset, err);
                return;
              }
              if (isBatchTaken(result)) {
                // Taken in: fetch on at once; committed when done (pending-batches.ts), unless rewound meanwhile.
                const first = records[0]?.offset ?? last.offset;
                if (!pending.add(batch.topic, batch.partition, epoch, { first, next: nextOffset(batch.lastOffset()), records: records.length, bytes: recordBytes(records), done: result.done })) return;
                resolveOffset(last.offset);
                await withHeartbeats(heartbeat, host.heartbeatEveryMs(), () => pending.below(maxPendingRecords, maxPendingBytes));
                return;
              }
              attempts.delete(`${batch.topic}/${batch.partition}`);
              // Resolving the last record also resolves a trailing transaction marker (kafkajs runner, PR #511).
              resolveOffset(last.offset);
              const next = nextOffset(batch.lastOffset());
              await commitInOrder(batch.topic, batch.partition, next, () => commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] }));
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
  return async () => {
    stopping = true;
    // Batches being finished are committed before the consumer leaves: stop fetching, then wait for them
    // (a handler that is stopping finishes them at once, one way or the other; a failed one is just dropped).
    const consumer = supervisor.current();
    if (consumer !== null && pending.records > 0) {
      consumer.pause(topics.map((topic) => ({ topic })));
      await pending.below(0);
    }
    for (const t of timers) clearTimeout(t);
    timers.clear();
    await supervisor.stop();
    host.consumerHealth(healthId, true);
  };
}

/** Bytes of the keys and values of `records` (what a pending batch holds on to). */
function recordBytes(records: readonly LogRecord[]): number {
  let n = 0;
  for (const r of records) n += (r.key?.length ?? 0) + (r.value?.length ?? 0);
  return n;
}
