/**
 * Shared set-up of the chaos tests that run the stream role as an operator runs
 * it (`node dist/src/main.js`, ROLES=stream) on the shared test broker (not a
 * test file): unique topics, a producer of customers and a flood of ratings,
 * and the committed progress of the join.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Kafka, Partitioners, logLevel, type Admin, type Producer } from 'kafkajs';
import { kafkaBrokers, uniqueName } from '../support/infra.js';

const customers = readFileSync(resolve(import.meta.dirname, '../../data/customers.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as { id: number; club_status: string });

export interface StreamRun {
  readonly run: string;
  readonly env: Record<string, string>;
  readonly topics: { readonly ratings: string; readonly cdc: string; readonly enriched: string; readonly complaints: string };
  /** Input offsets of the ratings committed by the join (its progress). */
  ratingsDone(): Promise<number>;
  /** Produces the customers (CDC), then `count` ratings at about `perSecond`; resolves with the complaints to expect. */
  flood(count: number, perSecond: number): Promise<number>;
  close(): Promise<void>;
}

export async function streamRun(prefix: string): Promise<StreamRun> {
  const run = uniqueName(prefix);
  const topics = {
    ratings: `${run}.ratings`,
    cdc: `${run}.asgard.demo.CUSTOMERS`,
    enriched: `${run}.ratings-with-customer-data`,
    complaints: `${run}.UNHAPPY_PLATINUM_CUSTOMERS`,
  };
  const env = {
    KAFKA_BROKERS: kafkaBrokers().join(','),
    ELASTICSEARCH_URL: 'http://127.0.0.1:9',
    ROLES: 'stream',
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    DEMO: 'off',
    KAFKA_GROUP_PREFIX: run,
    TOPIC_RATINGS: topics.ratings,
    TOPIC_CUSTOMERS_CDC: topics.cdc,
    TOPIC_CUSTOMERS_REKEYED: `${run}.CUSTOMERS_SRC_REKEY`,
    TOPIC_RATINGS_ENRICHED: topics.enriched,
    TOPIC_COMPLAINTS: topics.complaints,
    TOPIC_ACKNOWLEDGEMENTS: `${run}.complaint-acknowledgements`,
    TOPIC_DEAD_LETTERS: `${run}.dead-letters`,
  };
  const kafka = new Kafka({ clientId: run, brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  const admin: Admin = kafka.admin();
  await admin.connect();
  const producer: Producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return {
    run,
    env,
    topics,
    async ratingsDone() {
      const [group] = await admin.fetchOffsets({ groupId: `${run}-enrich-ratings`, topics: [topics.ratings] });
      return (group?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    },
    async flood(count, perSecond) {
      await producer.send({ topic: topics.cdc, messages: customers.map((c) => ({ key: JSON.stringify({ id: c.id }), value: JSON.stringify(c) })) });
      const status = new Map(customers.map((c) => [c.id, c.club_status]));
      let expected = 0;
      const chunk = 1_000;
      for (let i = 0; i < count; i += chunk) {
        const started = Date.now();
        const messages = Array.from({ length: Math.min(chunk, count - i) }, (_, j) => {
          const id = i + j + 1;
          const user = 1 + (id % customers.length);
          const stars = 1 + (id % 5);
          if (stars < 3 && status.get(user) === 'platinum') expected++;
          return { key: String(id), value: JSON.stringify({ rating_id: id, user_id: user, stars, route_id: id % 100, rating_time: 1_528_800_000_000 + id, channel: 'web', message: `rating ${id}` }) };
        });
        await producer.send({ topic: topics.ratings, acks: -1, messages });
        await new Promise((r) => setTimeout(r, Math.max(0, (chunk / perSecond) * 1000 - (Date.now() - started))));
      }
      return expected;
    },
    async close() {
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    },
  };
}

/** Whether a product process's log says it was given partitions of `topic`. */
export function assignedPartitionsOf(logs: Record<string, unknown>[], topic: string): number[][] {
  return logs
    .filter((l) => l.msg === 'partitions assigned' && typeof l.processor === 'string' && l.processor === 'enrich-ratings')
    .map((l) => (l.assignment as Record<string, number[]> | undefined)?.[topic] ?? []);
}
