/**
 * B2 baseline: a bare two-hop kafkajs chain in one process, as the product
 * is one process: hop 1 consumes the ratings, keeps the complaints (parse,
 * stars < 3, platinum) and produces them, unchanged, to a second topic; hop 2
 * consumes that topic and records, for each complaint, now − rating_time. No
 * transactions (read_uncommitted is not needed either: nothing is
 * transactional), kafkajs defaults otherwise.
 */
import { Kafka, logLevel, Partitioners, type Consumer, type Producer } from 'kafkajs';
import { serve } from '../lib/worker.js';

interface StartParams {
  readonly brokers: readonly string[];
  readonly input: string;
  readonly middle: string;
  readonly groupPrefix: string;
  readonly customers: readonly (readonly [number, string])[];
}

let parts: { relay: Consumer; producer: Producer; last: Consumer } | null = null;
let samples: number[] = [];

async function start(p: StartParams): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench-b2-baseline', brokers: [...p.brokers], logLevel: logLevel.NOTHING });
  const status = new Map(p.customers.map(([id, s]) => [id, s.toLowerCase()]));
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  const relay = kafka.consumer({ groupId: `${p.groupPrefix}-relay`, allowAutoTopicCreation: false });
  const last = kafka.consumer({ groupId: `${p.groupPrefix}-last`, allowAutoTopicCreation: false });
  await Promise.all([producer.connect(), relay.connect(), last.connect()]);
  const joined = (c: Consumer): Promise<void> => new Promise((res) => c.on(c.events.GROUP_JOIN, () => res()));
  const bothJoined = Promise.all([joined(relay), joined(last)]);
  await relay.subscribe({ topics: [p.input], fromBeginning: false });
  await last.subscribe({ topics: [p.middle], fromBeginning: false });
  await relay.run({
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch }) => {
      const out: { key: string; value: Buffer }[] = [];
      for (const m of batch.messages) {
        if (!m.value) continue;
        const r = JSON.parse(m.value.toString('utf8')) as { rating_id: number; user_id: number; stars: number };
        if (r.stars < 3 && status.get(r.user_id) === 'platinum') out.push({ key: String(r.rating_id), value: m.value });
      }
      if (out.length > 0) await producer.send({ topic: p.middle, acks: -1, messages: out });
    },
  });
  await last.run({
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const m of batch.messages) {
        if (!m.value) continue;
        const r = JSON.parse(m.value.toString('utf8')) as { rating_time: number };
        samples.push(now - r.rating_time);
      }
    },
  });
  await bothJoined;
  parts = { relay, producer, last };
}

serve(
  {
    start: (p) => start(p as StartParams),
    reset: () => {
      samples = [];
      return null;
    },
    samples: () => samples,
    count: () => samples.length,
  },
  async () => {
    const p = parts;
    parts = null;
    if (p) await Promise.allSettled([p.relay.disconnect(), p.last.disconnect(), p.producer.disconnect()]);
  },
);
