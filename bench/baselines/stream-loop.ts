/**
 * B1 baseline: a bare kafkajs consume → produce loop, no transactions. Per
 * input batch (kafkajs fetch sizes, every partition of the input topic at
 * once), each rating is parsed only to pick its key and whether it is a
 * complaint; its bytes are forwarded unchanged to the enriched topic (keyed
 * by user id) and, for complaints, to the complaints topic (keyed by rating
 * id), in one sendBatch; then the batch's offset is committed. No join, no
 * enrichment, no dead letters: what any consume-transform-produce loop costs.
 */
import { Kafka, logLevel, Partitioners, type Consumer, type Producer } from 'kafkajs';
import { serve } from '../lib/worker.js';

interface StartParams {
  readonly brokers: readonly string[];
  readonly input: string;
  readonly outEnriched: string;
  readonly outComplaints: string;
  readonly groupId: string;
  /** [customer id, club status] of every customer. */
  readonly customers: readonly (readonly [number, string])[];
  /** @default 3 (the input's partitions, consumed at once) */
  readonly partitionsConsumedConcurrently?: number;
}

interface Stats {
  consumed: number;
  enriched: number;
  complaints: number;
  batches: number;
}

let running: { consumer: Consumer; producer: Producer; stats: Stats } | null = null;

async function start(p: StartParams): Promise<void> {
  if (running) throw new Error('a loop is running already');
  const status = new Map(p.customers.map(([id, s]) => [id, s.toLowerCase()]));
  const kafka = new Kafka({ clientId: 'bench-b1-baseline', brokers: [...p.brokers], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  const consumer = kafka.consumer({ groupId: p.groupId, allowAutoTopicCreation: false });
  const stats: Stats = { consumed: 0, enriched: 0, complaints: 0, batches: 0 };
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [p.input], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: p.partitionsConsumedConcurrently ?? 3,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, isRunning, isStale }) => {
      if (!isRunning() || isStale() || batch.messages.length === 0) return;
      const enriched: { key: string; value: Buffer | null }[] = [];
      const complaints: { key: string; value: Buffer | null }[] = [];
      for (const m of batch.messages) {
        if (!m.value) continue;
        const r = JSON.parse(m.value.toString('utf8')) as { rating_id: number; user_id: number; stars: number };
        enriched.push({ key: String(r.user_id), value: m.value });
        if (r.stars < 3 && status.get(r.user_id) === 'platinum') complaints.push({ key: String(r.rating_id), value: m.value });
      }
      await producer.sendBatch({
        acks: -1,
        topicMessages: [{ topic: p.outEnriched, messages: enriched }, ...(complaints.length > 0 ? [{ topic: p.outComplaints, messages: complaints }] : [])],
      });
      const last = batch.messages[batch.messages.length - 1];
      if (last) resolveOffset(last.offset);
      await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() }] }] });
      await heartbeat();
      stats.consumed += batch.messages.length;
      stats.enriched += enriched.length;
      stats.complaints += complaints.length;
      stats.batches++;
    },
  });
  running = { consumer, producer, stats };
}

async function stop(): Promise<Stats | null> {
  const r = running;
  running = null;
  if (!r) return null;
  await r.consumer.disconnect().catch(() => undefined);
  await r.producer.disconnect().catch(() => undefined);
  return r.stats;
}

serve({ start: (p) => start(p as StartParams), stopLoop: () => stop() }, async () => {
  await stop();
});
