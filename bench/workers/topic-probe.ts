/**
 * B2 diagnostics: a read_committed consumer on intermediate topics of the
 * product's pipeline (enriched ratings, complaints), recording for each
 * record now − RATING_TIME, so the report can say which hop the latency
 * comes from. It runs in its own process and only reads.
 */
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { percentiles } from '../lib/util.js';
import { serve } from '../lib/worker.js';

let consumer: Consumer | null = null;
let samples = new Map<string, number[]>();

async function start(p: { brokers: readonly string[]; topics: readonly string[]; groupId: string }): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench-topic-probe', brokers: [...p.brokers], logLevel: logLevel.NOTHING });
  consumer = kafka.consumer({ groupId: p.groupId, readUncommitted: false, allowAutoTopicCreation: true, maxWaitTimeInMs: 100 });
  const c = consumer;
  const joined = new Promise<void>((res) => c.on(c.events.GROUP_JOIN, () => res()));
  await c.connect();
  await c.subscribe({ topics: [...p.topics], fromBeginning: false });
  await c.run({
    partitionsConsumedConcurrently: 6,
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      const list = samples.get(batch.topic) ?? [];
      samples.set(batch.topic, list);
      for (const m of batch.messages) {
        if (!m.value) continue;
        try {
          const v = JSON.parse(m.value.toString('utf8')) as { RATING_TIME?: number; rating_time?: number };
          const t = v.RATING_TIME ?? v.rating_time;
          if (typeof t === 'number') list.push(now - t);
        } catch {
          // not JSON: not ours
        }
      }
    },
  });
  await joined;
}

serve(
  {
    start: (p) => start(p as { brokers: string[]; topics: string[]; groupId: string }),
    reset: () => {
      samples = new Map();
      return null;
    },
    percentiles: () => Object.fromEntries([...samples].map(([t, xs]) => [t, percentiles(xs)])),
  },
  async () => {
    await consumer?.disconnect();
  },
);
