/**
 * `KafkaEventLog.tail`: reading a topic from positions to its end and on, live.
 *
 * kafkajs has no manual assignment
 * (https://github.com/tulios/kafkajs/issues/373), so each tail is a consumer
 * group of its own (a unique throwaway id, deleted on stop by the log), auto-commit
 * off, read_committed. The tail tracks its own position and seeks to it
 * after every (re)join, so a rebalance of its one-member group (coordinator
 * move, broker bounce) neither replays nor skips. It runs under a
 * {@link SupervisedConsumer}: a crashed consumer is recreated from the
 * positions it tracked.
 */
import { nextOffset } from '../../domain/offsets.js';
import type { PartitionOffsets, TailOptions } from '../../ports/event-log.js';
import { toLogRecord } from './client.js';
import { translateKafkaError } from './errors.js';
import { InFlight, SupervisedConsumer, supervisedBy, withHeartbeats, type ConsumerHost } from './supervised-consumer.js';

/**
 * Starts a tail of `topic` as the consumer group `groupId` (the caller's to
 * delete once stopped); `readOffsets` gives the topic's ends for `from: 'latest'`.
 * Resolves once it runs, to the function that stops it.
 */
export async function startTail(
  host: ConsumerHost,
  groupId: string,
  { topic, from, onBatch, onPosition }: TailOptions,
  readOffsets: (topic: string) => Promise<readonly PartitionOffsets[]>,
): Promise<() => Promise<void>> {
  const log = host.logger.child({ topic, groupId });
  /** partition → next offset to read; seeded from `from`, moved by every batch. */
  const position = new Map<number, string>();
  if (from === 'latest') for (const o of await readOffsets(topic)) position.set(o.partition, o.high);
  else if (from !== 'earliest') for (const [p, o] of from) position.set(p, o);
  /** The reader is past `lastOffset` on `partition`: everything up to it was handed over (or was markers). */
  const advance = (partition: number, lastOffset: string): void => {
    const next = nextOffset(lastOffset);
    position.set(partition, next);
    onPosition?.(partition, next);
  };

  const inflight = new InFlight();
  const supervisor = new SupervisedConsumer({
    ...supervisedBy(host, log, groupId, inflight),
    create: () => {
      const consumer = host.client.consumer({ groupId, readUncommitted: false, allowAutoTopicCreation: false, ...host.consumerDefaults });
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
                await withHeartbeats(heartbeat, host.heartbeatEveryMs(), async () => onBatch(records));
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
  return async () => {
    await supervisor.stop();
    host.consumerHealth(groupId, true);
  };
}
