/** Shared set-up of the Kafka stream integration tests (not a test file). */
import { createKafkaEventLog, type KafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import type { KafkaSasl, KafkaTls } from '../../src/adapters/kafka/client.js';
import { silentLogger, type Logger } from '../../src/logger.js';
import { afterAll, beforeEach, expect } from 'vitest';
import type { KafkaEventLog as Log } from '../../src/adapters/kafka/event-log.js';
import type { KafkaStreamRuntime } from '../../stream/runtime/kafka-runtime.js';
import type { StreamLayer } from '../../stream/pipeline.js';
import type { LogRecord } from '../../src/ports/event-log.js';
import type { TopicNames } from '../../src/topics.js';
import { text } from '../contract/helpers.js';
import { kafkaBrokers, uniqueName } from '../support/infra.js';
import { flightRecorder } from '../support/flight-recorder.js';
import { kcatCount } from '../support/kcat.js';

/** Where a test log connects: the plain test broker by default, or the secured one (`secureKafka()`). */
export interface TestBroker {
  readonly brokers: readonly string[];
  readonly sasl?: KafkaSasl;
  readonly ssl?: KafkaTls;
}

/** An event log tuned for fast tests: short sessions, short fetch waits, quick retries. */
export function kafkaTestLog(sessionTimeoutMs = 10_000, maxBytesPerPartition?: number, broker?: TestBroker, logger: Logger = silentLogger): KafkaEventLog {
  return createKafkaEventLog({
    ...(maxBytesPerPartition ? { maxBytesPerPartition } : {}),
    brokers: broker?.brokers ?? kafkaBrokers(),
    sasl: broker?.sasl ?? null,
    ssl: broker?.ssl ?? null,
    clientId: uniqueName('stream'),
    logger,
    sessionTimeoutMs,
    heartbeatIntervalMs: 1_000,
    maxWaitTimeMs: 100,
    retryInitialDelayMs: 50,
  });
}

/** The product's topics, each prefixed with `id` so that tests never share one. */
export function prefixedTopics(id: string): TopicNames {
  return {
    ratings: `${id}-ratings`,
    customersCdc: `${id}-asgard.demo.CUSTOMERS`,
    customersRekeyed: `${id}-CUSTOMERS_SRC_REKEY`,
    ratingsEnriched: `${id}-ratings-with-customer-data`,
    complaints: `${id}-UNHAPPY_PLATINUM_CUSTOMERS`,
    acknowledgements: `${id}-complaint-acknowledgements`,
    transitions: `${id}-complaint-transitions`,
    deadLetters: `${id}-dead-letters`,
  };
}

/** Each of `ratings` rating ids exactly once among the enriched records, and each of `complaints` complaint keys exactly once. */
export function expectExactlyOnce(enriched: readonly LogRecord[], ratings: number, complaints: readonly LogRecord[], expectedComplaints: number): void {
  const ids = enriched.map((r) => (JSON.parse(text(r.value)!) as { RATING_ID: number }).RATING_ID);
  expect(ids).toHaveLength(ratings);
  expect(new Set(ids).size).toBe(ratings);
  const complaintIds = complaints.map((r) => text(r.key));
  expect(complaintIds).toHaveLength(expectedComplaints);
  expect(new Set(complaintIds).size).toBe(expectedComplaints);
}

/**
 * A test event log plus lists of the runtimes and stream layers a describe
 * block creates, all stopped and closed after it (layers, then runtimes, then the log).
 * `logger` is a flight recorder (test/support/flight-recorder.ts) that already
 * gets the log's (kafkajs') lines; give it to the runtimes and layers too, and
 * a failed test prints what they all logged during it.
 */
export function streamTestBed(sessionTimeoutMs: number, maxBytesPerPartition: number, broker?: TestBroker): { log: Log; runtimes: KafkaStreamRuntime[]; layers: StreamLayer[]; logger: Logger } {
  const recorder = flightRecorder('stream test bed');
  beforeEach((ctx) => recorder.watch(ctx));
  const bed = {
    log: kafkaTestLog(sessionTimeoutMs, maxBytesPerPartition, broker, recorder.logger),
    runtimes: [] as KafkaStreamRuntime[],
    layers: [] as StreamLayer[],
    logger: recorder.logger,
  };
  afterAll(async () => {
    await Promise.all(bed.layers.map((l) => l.stop()));
    await Promise.all(bed.runtimes.map((r) => r.close()));
    await bed.log.close();
  });
  return bed;
}

/** What a fault test measured, for docs/fault-matrix.md: records in and out, duplicates, lost, as read by librdkafka. */
export interface FaultFigures {
  readonly ratingsIn: number;
  readonly enrichedOut: number;
  readonly complaintsOut: number;
  readonly duplicates: number;
  readonly lost: number;
}

/**
 * The same exactly-once check as {@link expectExactlyOnce}, read a second time by
 * an independent client: librdkafka through kcat (test/support/kcat.ts),
 * read_committed, from the beginning to the last stable offset. Rating ids
 * 1..`ratings` each exactly once among the enriched records; `expectedComplaints`
 * distinct complaint keys, each once. Returns the figures (also printed, prefixed
 * `fault-figures`, for the fault matrix).
 */
export async function expectExactlyOnceByKcat(
  brokers: string | readonly string[],
  topics: { readonly enriched: string; readonly complaints: string },
  ratings: number,
  expectedComplaints: number,
  label: string,
): Promise<FaultFigures> {
  const enriched = await kcatCount(brokers, topics.enriched, (r) => (JSON.parse(r.value) as { RATING_ID: number }).RATING_ID);
  const complaints = await kcatCount(brokers, topics.complaints, (r) => r.key);
  let lost = 0;
  for (let id = 1; id <= ratings; id++) if (!enriched.ids.has(id)) lost++;
  const figures: FaultFigures = {
    ratingsIn: ratings,
    enrichedOut: enriched.read,
    complaintsOut: complaints.read,
    duplicates: enriched.duplicates + complaints.duplicates,
    lost: lost + Math.max(0, expectedComplaints - complaints.distinct),
  };
  console.log(`fault-figures ${label} ${JSON.stringify(figures)}`);
  expect(figures).toEqual({ ratingsIn: ratings, enrichedOut: ratings, complaintsOut: expectedComplaints, duplicates: 0, lost: 0 });
  return figures;
}
