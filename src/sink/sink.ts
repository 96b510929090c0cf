/**
 * The sink role (replaces the Kafka Connect Elasticsearch sink): consumes
 * `ratings-with-customer-data`, `UNHAPPY_PLATINUM_CUSTOMERS` and
 * `CUSTOMERS_SRC_REKEY`, turns each record into a write operation and hands
 * them to the bulk writer (`bulk-writer.ts`), which batches them by count,
 * bytes and time and writes them through the {@link SearchWriter} port.
 * Records that do not parse, and those the index rejects, go to dead-letters.
 *
 * Guarantees (docs/architecture.md, "Sink"):
 * - Offsets are committed only after the search index accepted every record
 *   of a batch (or the record went to `dead-letters`). `onBatch` takes the
 *   batch in (parsed, handed to the bulk writer) and resolves at once with
 *   the batch's `done` (BatchTaken, src/ports/event-log.ts), so the next
 *   records are fetched while bulk requests are in flight; EventLog.consume
 *   commits a partition's offsets in order as the batches are done, and at
 *   most `maxBufferedRecords` records and `maxBufferedBytes` bytes wait.
 * - Documents are keyed (rating id, customer id), so a replay rewrites the
 *   same documents; complaints are created once, so a replay never resets
 *   an acknowledgement.
 * - Infrastructure failures (unreachable, timeouts, 429, 5xx, 401/403 from
 *   security, an index write block as shrink/split/clone set, a closed or
 *   missing index: the adapter's classification) are retried item by item
 *   with jittered backoff for up to `maxRetryMs`; then the batch is handed
 *   back (onBatch throws), the event log pauses the partition and delivers
 *   it again, so while Elasticsearch cannot take the documents nothing is
 *   committed, nothing is dead-lettered, and the sink resumes by itself.
 * - Only records the index rejects for their content (mapping, parsing) and
 *   records that do not parse go to `dead-letters` with the reason.
 */
import { MinuteRate } from '../rate.js';
import { buildDeadLetter, customerIdFromKey, DeadLetterHeader, decodeJson, decodeKey, openComplaint, parseEnrichedRecord, parseRekeyedCustomer } from '../domain/index.js';
import { AppError, ErrorCode, InvalidRecordError, UnavailableError, isRetriable } from '../errors.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { BatchTaken, EventLog, LogRecord, OutRecord, Stoppable } from '../ports/event-log.js';
import type { SearchWriter, WriteOp } from '../ports/search.js';
import { retry } from '../retry.js';
import type { TopicNames } from '../topics.js';
import { jsonDecoder, type RecordDecoder } from '../services/record-codec.js';
import { createBulkWriter } from './bulk-writer.js';

export const SINK_PROCESSOR = 'sink';

export interface SinkOptions {
  log: EventLog;
  writer: SearchWriter;
  /** config.topics: the sink reads ratingsEnriched, complaints, customersRekeyed and writes deadLetters. */
  topics: Pick<TopicNames, 'ratingsEnriched' | 'complaints' | 'customersRekeyed' | 'deadLetters'>;
  /** Consumer group, e.g. `${config.kafka.groupPrefix}-sink`. */
  groupId: string;
  /** Most operations in one bulk request. @default 500 (config.sink.batchSize) */
  batchSize?: number;
  /** Longest a record waits for its bulk request to fill up. @default 200 // ms (config.sink.flushMs) */
  flushMs?: number;
  /** Largest bulk request, estimated from record sizes. @default 5_242_880 // 5 MiB */
  maxBatchBytes?: number;
  /** Bulk requests in flight at once (config.sink.maxInFlight). @default 1 */
  maxInFlight?: number;
  /** Records taken in and not yet indexed, at most; above it the sink stops fetching (config.sink.maxBufferedRecords). @default 20_000 */
  maxBufferedRecords?: number;
  /** Bytes (keys and values) of those records, at most (config.sink.maxBufferedBytes). @default 67_108_864 (64 MiB) */
  maxBufferedBytes?: number;
  /**
   * How long one delivery retries failed items before handing the batch back
   * to the event log (which pauses the partition and delivers it again).
   * Keep it below the consumer's session timeout. @default 15_000 // 15 seconds
   */
  maxRetryMs?: number;
  /** First retry delay. @default 100 // ms */
  retryInitialDelayMs?: number;
  /** Longest retry delay. @default 5_000 // ms */
  retryMaxDelayMs?: number;
  /**
   * Reads the enriched ratings and complaints: `auto` with a schema registry
   * reads `ratings-with-customer-data` written as Avro (ENRICHED_FORMAT=avro).
   * A registry that cannot be asked hands the batch back (retried, never
   * dead-lettered). @default JSON
   */
  decoder?: RecordDecoder;
  logger?: Logger;
}

export type SinkState = 'stopped' | 'starting' | 'running' | 'retrying';

export interface SinkTopicStats {
  readonly received: number;
  readonly indexed: number;
  readonly failed: number;
}

export interface SinkStats {
  readonly state: SinkState;
  /** Records consumed (each delivery counts; a redelivered batch counts again). */
  readonly received: number;
  /** Records Elasticsearch accepted. */
  readonly indexed: number;
  /** Records sent to dead-letters (unparseable or rejected for their content). */
  readonly failed: number;
  /** Retry rounds of failed items (one per backoff). */
  readonly retries: number;
  /** Bulk requests that completed. */
  readonly batches: number;
  /** Records indexed per second over the last minute. */
  readonly ratePerSecond: number;
  /** When the last bulk request completed, epoch ms. */
  readonly lastBatchAt: number | null;
  /** Timestamp of the last record consumed, epoch ms. */
  readonly lastMessageAt: number | null;
  readonly lastError: string | null;
  readonly topics: Readonly<Record<string, SinkTopicStats>>;
}

export interface Sink {
  readonly groupId: string;
  readonly sourceTopics: readonly string[];
  /**
   * Creates the indices (retrying while Elasticsearch is unavailable) and the
   * topics, then starts consuming. Idempotent. Resolves once consuming; a
   * stop() meanwhile makes it resolve without starting.
   */
  start(): Promise<void>;
  /** Flushes what is buffered (one attempt), stops consuming, waits for in-flight writes. Idempotent. */
  stop(): Promise<void>;
  stats(): SinkStats;
  /** Records not yet committed, summed over the source topics. */
  lag(): Promise<number>;
}

/** A source topic's counters, as the sink updates them. */
type SinkTopicCounters = { -readonly [K in keyof SinkTopicStats]: number };

/** What one record asks of the index, or why it cannot. */
type Conversion = { readonly op: WriteOp } | { readonly error: AppError };

export function createSink(options: SinkOptions): Sink {
  const {
    log,
    writer,
    topics,
    groupId,
    batchSize = 500,
    flushMs = 200,
    maxBatchBytes = 5 * 1024 * 1024,
    maxRetryMs = 15_000,
    retryInitialDelayMs = 100,
    retryMaxDelayMs = 5_000,
    decoder = jsonDecoder,
  } = options;
  const logger = (options.logger ?? silentLogger).child({ groupId });
  let state: SinkState = 'stopped';
  let lastError: string | null = null;
  const bulk = createBulkWriter({
    writer,
    batchSize,
    flushMs,
    maxBatchBytes,
    maxInFlight: options.maxInFlight ?? 1,
    maxRetryMs,
    retryInitialDelayMs,
    retryMaxDelayMs,
    logger,
    onFailure(reason, retrying) {
      lastError = reason;
      if (retrying && state === 'running') state = 'retrying';
    },
    onSuccess(attempt) {
      if (state === 'retrying') {
        state = 'running';
        logger.info({ attempt }, 'search index accepts writes again');
      }
    },
  });
  if (!groupId) throw new AppError(ErrorCode.Config, 'sink groupId is required');

  const sourceTopics = [topics.ratingsEnriched, topics.complaints, topics.customersRekeyed];

  // ---- stats ----------------------------------------------------------------
  const counters = { received: 0, indexed: 0, failed: 0 };
  let lastMessageAt: number | null = null;
  const perTopic = new Map<string, SinkTopicCounters>(sourceTopics.map((t) => [t, { received: 0, indexed: 0, failed: 0 }]));
  /** Indexed records per second over the last minute (the same calculation as the stream processors'). */
  const indexedRate = new MinuteRate();
  const topicStats = (t: string): SinkTopicCounters => {
    let s = perTopic.get(t);
    if (!s) perTopic.set(t, (s = { received: 0, indexed: 0, failed: 0 }));
    return s;
  };

  // ---- lifecycle ------------------------------------------------------------
  let consumer: Stoppable | null = null;
  let starting: Promise<void> | null = null;
  let abort = new AbortController();
  let stopping = false;

  // ---- records --------------------------------------------------------------

  function convert(record: LogRecord): Conversion {
    try {
      if (record.topic === topics.customersRekeyed) {
        if (record.value === null) {
          const id = customerIdFromKey(decodeKey(record.key));
          if (id === null) throw new InvalidRecordError('key', 'a tombstone needs the customer id as its key');
          return { op: { kind: 'deleteCustomer', id } };
        }
        const r = parseRekeyedCustomer(decodeJson(record.value));
        if (!r.ok) return { error: r.error };
        return { op: { kind: 'upsertCustomer', customer: r.value } };
      }
      if (record.value === null) throw new InvalidRecordError('', 'a null value (tombstone) is not an enriched rating');
      const r = parseEnrichedRecord(decoder.value(record));
      if (!r.ok) return { error: r.error };
      if (record.topic === topics.complaints) return { op: { kind: 'createComplaint', complaint: openComplaint(r.value) } };
      if (record.topic === topics.ratingsEnriched) return { op: { kind: 'upsertRating', rating: r.value } };
      throw new InvalidRecordError('', `the sink does not read topic ${record.topic}`);
    } catch (e) {
      if (e instanceof AppError) return { error: e };
      throw e;
    }
  }

  /** Takes a batch in: parsed and handed to the bulk writer; `done` settles once it is indexed or dead-lettered. */
  async function onBatch(records: readonly LogRecord[]): Promise<BatchTaken | void> {
    const first = records[0];
    if (!first) return;
    if (first.topic !== topics.customersRekeyed) await decoder.prepare(records);
    const at = { topic: first.topic, partition: first.partition, offset: first.offset };
    const ts = topicStats(first.topic);
    counters.received += records.length;
    ts.received += records.length;
    for (const r of records) if (lastMessageAt === null || r.timestamp > lastMessageAt) lastMessageAt = r.timestamp;

    const conversions = records.map(convert);
    const writes: Array<{ op: WriteOp; bytes: number; record: LogRecord }> = [];
    const dead: OutRecord[] = [];
    conversions.forEach((c, i) => {
      const record = records[i]!;
      if ('op' in c) writes.push({ op: c.op, bytes: 64 + (record.value?.length ?? 0) + (record.key?.length ?? 0), record });
      else dead.push(deadLetter(record, c.error));
    });

    const submitted = bulk.submit(writes);
    const done = finish(at, ts, writes, dead, submitted).catch((err: unknown) => {
      lastError = err instanceof Error ? err.message : String(err);
      logger.warn({ err, ...at, records: records.length }, 'batch not written; nothing committed, it will be delivered again');
      throw err;
    });
    return { done };
  }

  /** The rest of a batch, once the bulk writer answered: dead letters (durable before the offsets move on) and counts. */
  async function finish(
    at: { readonly topic: string; readonly partition: number; readonly offset: string },
    ts: SinkTopicCounters,
    writes: ReadonlyArray<{ readonly record: LogRecord }>,
    dead: OutRecord[],
    submitted: Promise<Array<string | null>>,
  ): Promise<void> {
    const outcomes = await submitted;
    let indexed = 0;
    outcomes.forEach((reason, i) => {
      const { record } = writes[i]!;
      if (reason === null) indexed++;
      else dead.push(deadLetter(record, rejection(reason)));
    });

    if (dead.length > 0) {
      // Durable before the offsets move on; a failure hands the batch back.
      await retry(() => log.produce(dead), {
        maxAttempts: 5,
        initialDelayMs: retryInitialDelayMs,
        maxDelayMs: retryMaxDelayMs,
        shouldRetry: () => !stopping,
        signal: abort.signal,
        onRetry: (err, attempt) => logger.warn({ err, attempt, ...at }, 'writing dead letters failed; retrying'),
      });
      for (const d of dead) {
        const h = d.headers ?? {};
        logger.warn(
          { topic: h[DeadLetterHeader.topic], partition: h[DeadLetterHeader.partition], offset: h[DeadLetterHeader.offset], reason: h[DeadLetterHeader.error] },
          'record sent to dead-letters',
        );
      }
    }
    counters.indexed += indexed;
    counters.failed += dead.length;
    ts.indexed += indexed;
    ts.failed += dead.length;
    indexedRate.add(indexed);
  }

  function deadLetter(record: LogRecord, error: unknown): OutRecord {
    return buildDeadLetter(record, error, { processor: SINK_PROCESSOR, topic: topics.deadLetters, now: Date.now() });
  }

  // ---- the role ---------------------------------------------------------------

  async function doStart(): Promise<void> {
    state = 'starting';
    const signal = abort.signal;
    try {
      await retry(() => writer.ensureIndices(), {
        signal,
        // Unavailable includes 401/403 (not retriable for a request): the sink waits for access rather than stopping.
        shouldRetry: (err) => isRetriable(err) || (err instanceof AppError && err.code === ErrorCode.Unavailable),
        initialDelayMs: 500,
        maxDelayMs: 30_000,
        onRetry: (err, attempt, delayMs) => logger.warn({ err, attempt, delayMs }, 'cannot create the search indices yet; retrying'),
      });
      await log.ensureTopics([{ name: topics.ratingsEnriched }, { name: topics.complaints }, { name: topics.customersRekeyed, compacted: true }, { name: topics.deadLetters }]);
      if (signal.aborted) return;
      consumer = await log.consume({
        groupId,
        topics: sourceTopics,
        fromBeginning: true,
        // Unset: the event log's defaults (DEFAULT_MAX_PENDING_RECORDS / _BYTES in src/ports/event-log.ts).
        ...(options.maxBufferedRecords === undefined ? {} : { maxPendingRecords: options.maxBufferedRecords }),
        ...(options.maxBufferedBytes === undefined ? {} : { maxPendingBytes: options.maxBufferedBytes }),
        onBatch: async (records) => {
          try {
            return await onBatch(records);
          } catch (err) {
            lastError = err instanceof Error ? err.message : String(err);
            logger.warn(
              { err, topic: records[0]?.topic, partition: records[0]?.partition, offset: records[0]?.offset, records: records.length },
              'batch not written; nothing committed, it will be delivered again',
            );
            throw err;
          }
        },
      });
      if (signal.aborted) {
        await consumer.stop();
        consumer = null;
        return;
      }
      state = 'running';
      logger.info({ topics: sourceTopics }, 'sink started');
    } catch (err) {
      if (signal.aborted) return;
      state = 'stopped';
      throw err;
    }
  }

  return {
    groupId,
    sourceTopics,

    start() {
      if (!starting) {
        stopping = false;
        abort = new AbortController();
        bulk.resume();
        starting = doStart().catch((err: unknown) => {
          starting = null;
          throw err;
        });
      }
      return starting;
    },

    async stop() {
      if (!starting && !consumer) return;
      stopping = true;
      abort.abort(new UnavailableError('the sink is stopping', { retriable: false }));
      bulk.stop();
      await starting?.catch(() => undefined);
      await consumer?.stop();
      consumer = null;
      bulk.flush();
      await bulk.idle();
      starting = null;
      state = 'stopped';
      const { retries, batches } = bulk.stats();
      logger.info({ ...counters, retries, batches }, 'sink stopped');
    },

    stats() {
      const { retries, batches, lastBatchAt } = bulk.stats();
      return {
        state,
        ...counters,
        retries,
        batches,
        ratePerSecond: indexedRate.perSecond(),
        lastBatchAt,
        lastMessageAt,
        lastError,
        topics: Object.fromEntries([...perTopic].map(([t, s]) => [t, { ...s }])),
      };
    },

    async lag() {
      const lags = await Promise.all(sourceTopics.map((t) => log.lag(groupId, t)));
      return lags.reduce((a, b) => a + b, 0);
    },
  };
}

/** An index rejection as an InvalidRecordError, naming the field when Elasticsearch does (`failed to parse field [channel]`). */
function rejection(reason: string): InvalidRecordError {
  return new InvalidRecordError(/field \[([^\]]+)\]/.exec(reason)?.[1] ?? '', reason);
}
