/**
 * Per-run names for everything the product reads and writes (TOPIC_* and
 * INDEX_* overrides of src/config.ts), so runs never share state, and the
 * topics created up front: a process with ROLES=api alone creates none (the
 * stream role does), yet tails the complaints, enriched and acknowledgements
 * topics from the start.
 */
import type { BenchKafka } from './kafka.js';

const TOPICS = {
  TOPIC_RATINGS: 'ratings',
  TOPIC_CUSTOMERS_CDC: 'customers-cdc',
  TOPIC_CUSTOMERS_REKEYED: 'customers-rekeyed',
  TOPIC_RATINGS_ENRICHED: 'enriched',
  TOPIC_COMPLAINTS: 'complaints',
  TOPIC_ACKNOWLEDGEMENTS: 'acks',
  TOPIC_DEAD_LETTERS: 'dead-letters',
} as const;

export type TopicVar = keyof typeof TOPICS;

/** TOPIC_*, INDEX_* and KAFKA_GROUP_PREFIX for a product run, all under `base`. */
export function productNames(base: string): Record<TopicVar | 'INDEX_RATINGS' | 'INDEX_COMPLAINTS' | 'INDEX_CUSTOMERS' | 'KAFKA_GROUP_PREFIX', string> {
  const topics = Object.fromEntries(Object.entries(TOPICS).map(([k, v]) => [k, `${base}-${v}`])) as Record<TopicVar, string>;
  return {
    ...topics,
    INDEX_RATINGS: `${base}-ratings`,
    INDEX_COMPLAINTS: `${base}-complaints`,
    INDEX_CUSTOMERS: `${base}-customers`,
    KAFKA_GROUP_PREFIX: base,
  };
}

/** Creates the topics named in `names` (3 partitions; the rekeyed customers compacted), as the stream role would. */
export async function createProductTopics(kafka: BenchKafka, names: Partial<Record<string, string>>): Promise<void> {
  const specs = (Object.keys(TOPICS) as TopicVar[])
    .map((k) => ({ name: names[k], partitions: 3, compacted: k === 'TOPIC_CUSTOMERS_REKEYED' }))
    .filter((s): s is { name: string; partitions: number; compacted: boolean } => s.name !== undefined);
  await kafka.createTopics(specs);
}
