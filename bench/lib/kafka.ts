/**
 * Bench-side Kafka helpers on kafkajs: topics, bulk pre-filling, and reading
 * a consumer group's progress (how the bench tells when a processor has
 * consumed everything, the same way for the product and for a baseline).
 */
import { Kafka, logLevel, Partitioners, type Admin, type Producer } from 'kafkajs';
import { sleep } from './util.js';

/** UNKNOWN_TOPIC_OR_PARTITION or LEADER_NOT_AVAILABLE, as kafkajs reports them. */
function isUnknownTopic(e: unknown): boolean {
  const text = `${(e as { type?: string } | null)?.type ?? ''} ${e instanceof Error ? e.message : String(e)}`;
  return /UNKNOWN_TOPIC_OR_PARTITION|LEADER_NOT_AVAILABLE|does not host this topic-partition|no leader/i.test(text);
}

export function benchKafka(brokers: readonly string[], clientId = 'bench'): Kafka {
  return new Kafka({ clientId, brokers: [...brokers], logLevel: logLevel.NOTHING, retry: { initialRetryTime: 100, retries: 10 } });
}

export interface BenchKafka {
  readonly kafka: Kafka;
  readonly admin: Admin;
  createTopics(topics: readonly { name: string; partitions: number; compacted?: boolean }[]): Promise<void>;
  /** Produces every message (in batches), acks=all; messages without a partition go by key hash. */
  fill(topic: string, messages: readonly { key: string | null; value: string; timestamp?: number }[], batchSize?: number): Promise<void>;
  /** Sum over partitions of the offsets `groupId` committed on `topic` (0 where none). */
  committed(groupId: string, topic: string): Promise<number>;
  /** Sum over partitions of the high watermarks of `topic`. */
  endOffsets(topic: string): Promise<number>;
  listGroups(): Promise<string[]>;
  producer(): Promise<Producer>;
  close(): Promise<void>;
}

export async function connectBenchKafka(brokers: readonly string[]): Promise<BenchKafka> {
  const kafka = benchKafka(brokers);
  const admin = kafka.admin();
  await admin.connect();
  let producerPromise: Promise<Producer> | null = null;
  const producer = (): Promise<Producer> => {
    producerPromise ??= (async () => {
      const p = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
      await p.connect();
      return p;
    })();
    return producerPromise;
  };
  return {
    kafka,
    admin,
    async createTopics(topics) {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.name));
      if (missing.length === 0) return;
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: 1,
          configEntries: t.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
        })),
      });
      // Until the metadata names a leader for every partition (a loaded broker can lag behind its own answer).
      const names = missing.map((t) => t.name);
      for (let attempt = 1; attempt <= 40; attempt++) {
        const ok = await admin
          .fetchTopicMetadata({ topics: names })
          .then((m) => m.topics.length === names.length && m.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
          .catch(() => false);
        if (ok) return;
        await sleep(250);
      }
    },
    async fill(topic, messages, batchSize = 5_000) {
      const p = await producer();
      for (let i = 0; i < messages.length; i += batchSize) {
        const chunk = messages.slice(i, i + batchSize).map((m) => ({ key: m.key, value: m.value, ...(m.timestamp !== undefined && { timestamp: String(m.timestamp) }) }));
        // A topic created a moment ago may not be known to every part of a busy broker yet.
        for (let attempt = 1; ; attempt++) {
          try {
            await p.send({ topic, acks: -1, messages: chunk });
            break;
          } catch (e) {
            if (attempt >= 10 || !isUnknownTopic(e)) throw e;
            await sleep(500);
          }
        }
      }
    },
    async committed(groupId, topic) {
      const groups = await admin.fetchOffsets({ groupId, topics: [topic] });
      let sum = 0;
      for (const g of groups) for (const p of g.partitions) if (Number(p.offset) > 0) sum += Number(p.offset);
      return sum;
    },
    async endOffsets(topic) {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.reduce((n, o) => n + Number(o.high), 0);
    },
    async listGroups() {
      const { groups } = await admin.listGroups();
      return groups.map((g) => g.groupId);
    },
    producer,
    async close() {
      const p = producerPromise;
      producerPromise = null;
      await Promise.allSettled([p?.then((x) => x.disconnect()), admin.disconnect()]);
    },
  };
}
