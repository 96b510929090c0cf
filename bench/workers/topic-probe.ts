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
/** Per topic: RATING_ID → when this probe read it (epoch ms), to join with what a subscriber got. */
let seen = new Map<string, Map<string, number>>();

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
      const ids = seen.get(batch.topic) ?? new Map<string, number>();
      seen.set(batch.topic, ids);
      for (const m of batch.messages) {
        if (!m.value) continue;
        try {
          const v = JSON.parse(m.value.toString('utf8')) as { RATING_TIME?: number; rating_time?: number; RATING_ID?: number };
          const t = v.RATING_TIME ?? v.rating_time;
          if (typeof t === 'number') list.push(now - t);
          if (v.RATING_ID !== undefined) ids.set(String(v.RATING_ID), now);
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
      seen = new Map();
      return null;
    },
    counts: () => Object.fromEntries([...samples].map(([t, xs]) => [t, xs.length])),
    /** [RATING_ID, read at] of one topic. */
    seen: (p) => [...(seen.get((p as { topic: string }).topic) ?? new Map<string, number>())],
    percentiles: () => Object.fromEntries([...samples].map(([t, xs]) => [t, percentiles(xs)])),
  },
  async () => {
    await consumer?.disconnect();
  },
);
