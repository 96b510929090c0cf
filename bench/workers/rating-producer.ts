/**
 * B2 load generator: ratings at a steady rate, in its own process. Every
 * millisecond or so it sends what is due (rating_time = now, so a receiver
 * can tell the end-to-end latency), keyed by rating id. A share of them are
 * complaints (a platinum customer, 1 or 2 stars); the rest are not.
 */
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { seededRandom } from '../lib/util.js';
import { serve } from '../lib/worker.js';

interface RunParams {
  readonly brokers: readonly string[];
  readonly topic: string;
  /** Ratings per second. */
  readonly rate: number;
  readonly durationMs: number;
  /** [customer id, club status]. */
  readonly customers: readonly (readonly [number, string])[];
  /** @default 0.25 */
  readonly complaintShare?: number;
  readonly firstId: number;
  readonly seed: number;
}

const CHANNELS = ['iOS', 'ios', 'iOS-test', 'android', 'web'];
const MESSAGES = ['worst. flight. ever. #neveragain', 'meh', 'more peanuts please', 'your team here rocks!'];

let producer: Producer | null = null;

async function run(p: RunParams): Promise<{ sent: number; complaints: number; sends: number; ms: number }> {
  if (!producer) {
    const kafka = new Kafka({ clientId: 'bench-rating-producer', brokers: [...p.brokers], logLevel: logLevel.NOTHING });
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
  }
  const random = seededRandom(p.seed);
  const platinum = p.customers.filter(([, s]) => s === 'platinum').map(([id]) => id);
  const others = p.customers.filter(([, s]) => s !== 'platinum').map(([id]) => id);
  const share = p.complaintShare ?? 0.25;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  let sent = 0;
  let complaints = 0;
  let sends = 0;
  const started = Date.now();
  const end = started + p.durationMs;
  const total = Math.round((p.rate * p.durationMs) / 1000);
  while (sent < total) {
    const now = Date.now();
    const due = Math.min(total, Math.floor(((now - started) * p.rate) / 1000)) - sent;
    if (due <= 0) {
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    const messages = [];
    for (let i = 0; i < due; i++) {
      const complaint = random() < share;
      const id = p.firstId + sent + i;
      const rating = {
        rating_id: id,
        user_id: complaint ? pick(platinum) : pick(others),
        stars: complaint ? 1 + Math.floor(random() * 2) : 1 + Math.floor(random() * 5),
        route_id: 1 + Math.floor(random() * 9_999),
        rating_time: Date.now(),
        channel: pick(CHANNELS),
        message: pick(MESSAGES),
      };
      if (complaint) complaints++;
      messages.push({ key: String(id), value: JSON.stringify(rating) });
    }
    sent += due;
    sends++;
    await producer.send({ topic: p.topic, acks: -1, messages });
    if (Date.now() > end + 5_000) break; // cannot keep up; stop rather than run on
  }
  return { sent, complaints, sends, ms: Date.now() - started };
}

serve({ run: (p) => run(p as RunParams) }, async () => {
  await producer?.disconnect();
});
