/**
 * The stream layer (what KSQL's three queries did in the article): two
 * processors and one table on a {@link StreamRuntime}.
 *
 * ```
 * asgard.demo.CUSTOMERS ─rekey-customers─▶ CUSTOMERS_SRC_REKEY ─▶ customers table (global)
 * ratings ─┬─enrich-ratings (⋈ customers, grace period)─┬─▶ ratings-with-customer-data
 *          └─▶ _feedback-join-pending ─┘                 └─(rule)─▶ UNHAPPY_PLATINUM_CUSTOMERS
 * ```
 *
 * The complaint filter runs inside the join's step, as Kafka Streams would
 * chain it in one sub-topology: a complaint and its enriched rating are
 * written in the same transaction (complaint-rule.ts says why).
 * Every processor dead-letters what it cannot read, in the same transaction
 * as its input offset.
 */
import type { ComplaintRule } from '../src/domain/index.js';
import type { Logger } from '../src/logger.js';
import type { LogRecord } from '../src/ports/event-log.js';
import type { GlobalTable, ProcessorDefinition, ProcessorFailure, ProcessorHandle, ProcessorStatus, StreamRuntime } from '../src/ports/stream-runtime.js';
import { jsonDecoder, type EnrichedEncoder, type RecordDecoder } from '../src/services/record-codec.js';
import { EVENT_TIME_TOPIC_RETENTION_MS, internalTopics, type TopicNames } from '../src/topics.js';
import { createCustomersTable, type CustomersTable } from './customers-table.js';
import { deadLettered } from './dead-letter.js';
import { ENRICH_RATINGS, enrichRatingStep } from './processors/enrich-ratings.js';
import { REKEY_CUSTOMERS, rekeyCustomer } from './processors/rekey-customers.js';

/** Default internal topic of ratings waiting for their customer. */
export const DEFAULT_PENDING_TOPIC = internalTopics('feedback').joinPending;
export const CUSTOMERS_TABLE = 'customers';

export interface StreamLayerOptions {
  readonly runtime: StreamRuntime;
  readonly topics: TopicNames;
  /** Which enriched ratings are complaints. */
  readonly rule: ComplaintRule;
  /** How long a rating waits for its customer before it counts as unmatched. */
  readonly joinGraceMs: number;
  readonly logger: Logger;
  /** @default '_feedback-join-pending' */
  readonly pendingTopic?: string;
  /**
   * How the inputs are read and the enriched topic written (RATINGS_FORMAT,
   * CUSTOMERS_FORMAT, ENRICHED_FORMAT). @default JSON throughout
   */
  readonly codecs?: { readonly ratings?: RecordDecoder; readonly customers?: RecordDecoder; readonly enriched?: EnrichedEncoder };
}

export interface StreamLayer {
  /** Creates the topics, starts the customers table and the processors. Idempotent. */
  start(): Promise<void>;
  /** Stops the processors and the table (the runtime stays open; its owner closes it). */
  stop(): Promise<void>;
  /** Whether the customers table has been read to its end, after rekey-customers caught up with the CDC backlog (for /readyz). */
  ready(): boolean;
  /** The processors of this layer as the runtime sees them. */
  status(): Promise<readonly ProcessorStatus[]>;
  /** This layer's processors in ERROR in this process, and why (for /readyz; no broker call). */
  failing(): readonly ProcessorFailure[];
  /** The materialized customers (read-only use). */
  readonly customers: CustomersTable;
}

export function createStreamLayer({ runtime, topics, rule, joinGraceMs, logger, pendingTopic = DEFAULT_PENDING_TOPIC, codecs = {} }: StreamLayerOptions): StreamLayer {
  const { ratings: ratingsDecoder = jsonDecoder, customers: customersDecoder = jsonDecoder, enriched } = codecs;
  const encodeEnriched = enriched && enriched.format !== 'json' ? (columns: Parameters<EnrichedEncoder['encode']>[0]) => enriched.encode(columns) : undefined;
  const log = logger.child({ component: 'stream' });
  const customers = createCustomersTable((record, error) =>
    log.warn({ topic: record.topic, partition: record.partition, offset: record.offset, err: error }, 'not a customer record; skipped by the table'),
  );
  let table: GlobalTable | null = null;
  let handles: ProcessorHandle[] = [];
  let starting: Promise<void> | null = null;

  /** A bug in a processor must not hold its partition: dead-letter the record with the error. */
  const withDeadLetters = (def: Omit<ProcessorDefinition, 'onError'>): ProcessorDefinition => ({
    ...def,
    onError: (record: LogRecord, error: unknown, ctx) => deadLettered(record, error, { topic: topics.deadLetters, processor: def.name, now: ctx.now }),
  });

  async function start(): Promise<void> {
    await runtime.ensureTopics([
      { name: topics.ratings },
      { name: topics.customersCdc },
      { name: topics.customersRekeyed, compacted: true },
      // Record timestamp = rating_time: no time-based retention, or a backfill of old ratings would be deleted at once.
      { name: topics.ratingsEnriched, retentionMs: EVENT_TIME_TOPIC_RETENTION_MS },
      { name: topics.complaints, retentionMs: EVENT_TIME_TOPIC_RETENTION_MS },
      { name: topics.acknowledgements },
      { name: topics.deadLetters },
      { name: pendingTopic, retentionMs: EVENT_TIME_TOPIC_RETENTION_MS },
    ]);
    // CUSTOMERS_SRC_REKEY is filled by rekey-customers (below) from the CDC topic: the table is ready, and ratings
    // are joined, only once that group re-keyed the CDC backlog there is now and the table read the result.
    table = await runtime.table({
      name: CUSTOMERS_TABLE,
      topic: topics.customersRekeyed,
      apply: (r) => void customers.apply(r),
      fedBy: { groupId: runtime.groupId(REKEY_CUSTOMERS), topics: [topics.customersCdc] },
    });
    const customersTable = table;
    const defs: ProcessorDefinition[] = [
      withDeadLetters({
        name: REKEY_CUSTOMERS,
        sources: [topics.customersCdc],
        sinks: [topics.customersRekeyed, topics.deadLetters],
        prepare: (records) => customersDecoder.prepare(records),
        process: (r, ctx) => rekeyCustomer(r, { output: topics.customersRekeyed, deadLetters: topics.deadLetters, decoder: customersDecoder }, ctx.now),
      }),
      withDeadLetters({
        name: ENRICH_RATINGS,
        sources: [topics.ratings, pendingTopic],
        sinks: [topics.ratingsEnriched, topics.complaints, pendingTopic, topics.deadLetters],
        tables: [customersTable],
        prepare: async (records) => {
          await ratingsDecoder.prepare(records);
          await enriched?.ready();
        },
        process: (r, ctx) =>
          enrichRatingStep(
            r,
            customers,
            {
              output: topics.ratingsEnriched,
              pending: pendingTopic,
              deadLetters: topics.deadLetters,
              graceMs: joinGraceMs,
              complaints: { output: topics.complaints, rule },
              decoder: ratingsDecoder,
              encodeEnriched,
            },
            ctx.now,
          ),
      }),
    ];
    for (const def of defs) handles.push(await runtime.run(def));
    log.info({ processors: defs.map((d) => d.name), joinGraceMs, exactlyOnce: runtime.exactlyOnce }, 'stream layer started');
  }

  return {
    customers,
    start: () =>
      (starting ??= start().catch((e: unknown) => {
        starting = null;
        throw e;
      })),
    async stop() {
      const hs = handles;
      handles = [];
      await Promise.all(hs.map((h) => h.stop()));
      await table?.stop();
      table = null;
      starting = null;
    },
    ready: () => table?.isReady() ?? false,
    async status() {
      const names = new Set([REKEY_CUSTOMERS, ENRICH_RATINGS]);
      return (await runtime.status()).filter((s) => names.has(s.name));
    },
    failing() {
      const names = new Set([REKEY_CUSTOMERS, ENRICH_RATINGS]);
      return runtime.failing().filter((f) => names.has(f.name));
    },
  };
}
