/**
 * The Elasticsearch adapter of the search ports: {@link SearchIndex} (read
 * side), {@link SearchWriter} (the sink's bulk writes) and
 * {@link ComplaintStore} (optimistic concurrency with `if_seq_no` /
 * `if_primary_term`). No scripts anywhere: partial-document updates only, so
 * it runs on distributions without Painless.
 */
import type { estypes } from '@elastic/elasticsearch';
import { ComplaintStatus, type Acknowledgement, type Complaint, type EnrichedRating, type SlackMessageRef } from '../../domain/index.js';
import { AppError, BadInputError, ErrorCode, UnavailableError, assertNever, invariant } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { silentLogger } from '../../logger.js';
import type {
  ComplaintStore,
  DocVersion,
  Edge,
  HistogramBucket,
  HistogramInterval,
  Page,
  RatingDimension,
  RatingFilter,
  RatingQuery,
  RatingSort,
  SearchIndex,
  SearchWriter,
  StatsBucket,
  UpdateOutcome,
  WriteOp,
  WriteResult,
} from '../../ports/search.js';
import type { IndexNames } from '../../topics.js';
import {
  accessFailure,
  call,
  createElasticsearchClient,
  type AccessFailure,
  describeEsError,
  esErrorType,
  isRetriableStatus,
  translateEsError,
  type Client,
  type ElasticsearchClientOptions,
  type EsErrorCause,
} from './client.js';
import { complaintToDoc, customerToDoc, docToComplaint, docToCustomer, docToRating, ratingToDoc, slackMessageToDoc, type ComplaintDoc, type CustomerDoc, type RatingDoc } from './documents.js';
import { checkFirst, decodeCursor, encodeCursor } from '../page-cursor.js';
import { COMPLAINT_SORT, RATING_SORTS, histogramAggregation, ratingFilterQuery, statsAggregation, toEsSort } from './queries.js';
import { classifyItemRejection } from './rejections.js';
import { deleteIndices, ensureIndices } from './templates.js';
import { acknowledgingDoc, createLifecycleStore, markPublished, searchUnpublished } from './lifecycle.js';

export interface ElasticsearchSearchOptions {
  /** `http(s)://host:port`. Ignored when `client` is given. */
  url?: string;
  /** Credentials and trust (config.elasticsearch); see {@link createElasticsearchClient}. Ignored when `client` is given. */
  auth?: ElasticsearchClientOptions['auth'];
  ca?: string | null;
  caFingerprint?: string | null;
  /** A client to use instead of creating one (closed by {@link ElasticsearchSearch.close} only if created here). */
  client?: Client;
  /** @default 30_000 // 30 seconds (config.elasticsearch.requestTimeoutMs) */
  requestTimeoutMs?: number;
  /** Client retries of reads on connection errors and 502/503/504. @default 2 */
  maxRetries?: number;
  indices: IndexNames;
  logger?: Logger;
}

/** One object implementing the three ports over one client. */
export interface ElasticsearchSearch extends SearchIndex, SearchWriter, ComplaintStore {
  readonly client: Client;
  readonly indices: IndexNames;
  /**
   * One read of the ratings index (no retries, at most 10 s), to find out at
   * start-up whether the cluster refuses this client for good (credentials,
   * TLS trust). Null when it answered, or failed in a way worth waiting for
   * (unreachable, timeout, 5xx).
   */
  checkAccess(): Promise<AccessFailure | null>;
  /** Deletes the indices and their templates (tests, benches). */
  deleteIndices(): Promise<void>;
  close(): Promise<void>;
}

/** Reads are cheap to repeat; conditional updates and bulk writes are not repeated by the client (see {@link createElasticsearchClient}). */
const NO_CLIENT_RETRY = { maxRetries: 0 } as const;
/** The parts of a bulk response the sink reads: per item its status and, when it failed, the error. */
export const BULK_FILTER_PATH = ['errors', 'items.*.status', 'items.*.error'];

export function createElasticsearchSearch(options: ElasticsearchSearchOptions): ElasticsearchSearch {
  const { indices, logger = silentLogger, requestTimeoutMs = 30_000, maxRetries = 2 } = options;
  const owned = options.client === undefined;
  if (options.client === undefined && options.url === undefined) throw new AppError(ErrorCode.Config, 'createElasticsearchSearch needs a url or a client');
  const client =
    options.client ??
    createElasticsearchClient({ url: options.url ?? '', requestTimeoutMs, maxRetries, auth: options.auth ?? null, ca: options.ca ?? null, caFingerprint: options.caFingerprint ?? null });

  const searchOpts = { ignore_unavailable: true, allow_no_indices: true } as const;

  async function page<D, T>(what: string, request: estypes.SearchRequest, sortTag: string, first: number, toNode: (hit: estypes.SearchHit<D>) => T): Promise<Page<T>> {
    const res = await call(what, () => client.search<D>({ ...searchOpts, ...request, size: first + 1, track_total_hits: true }));
    return toPage(res.hits, sortTag, first, toNode);
  }

  function toPage<D, T>(hitsMeta: estypes.SearchHitsMetadata<D>, sortTag: string, first: number, toNode: (hit: estypes.SearchHit<D>) => T): Page<T> {
    const hits = hitsMeta.hits;
    const total = typeof hitsMeta.total === 'number' ? hitsMeta.total : (hitsMeta.total?.value ?? 0);
    const edges: Edge<T>[] = hits.slice(0, first).map((hit) => ({ node: toNode(hit), cursor: encodeCursor(sortTag, hit.sort ?? []) }));
    return { edges, totalCount: total, hasNextPage: hits.length > first };
  }

  /** The search body of a ratings query. @throws BadInputError for a bad page size or cursor */
  function ratingsSearch({ filter, sort = 'NEWEST', first, after }: RatingQuery): estypes.SearchRequest & { sortTag: RatingSort } {
    checkFirst(first);
    const fields = RATING_SORTS[sort satisfies RatingSort];
    invariant(fields, `unknown sort ${String(sort)}`);
    const searchAfter = after ? decodeCursor(after, sort, fields.length) : undefined;
    return { sortTag: sort, query: ratingFilterQuery(filter), sort: toEsSort(fields), ...(searchAfter && { search_after: searchAfter }) };
  }

  /** One failed search of an msearch, as the error a search on its own would have thrown. */
  function msearchItemError(error: EsErrorCause, status: number, what: string): AppError {
    const message = `Elasticsearch ${what} failed with ${status}: ${describeEsError(error)}`;
    const details = { status, operation: what };
    if (isRetriableStatus(status)) return new UnavailableError(message, { details });
    if (status === 400 || status === 413) return new BadInputError(message, { details });
    return new AppError(ErrorCode.Internal, message, { details });
  }

  async function updateComplaint(id: string, doc: Partial<ComplaintDoc>, expected: DocVersion, what: string): Promise<UpdateOutcome> {
    try {
      await client.update<ComplaintDoc, Partial<ComplaintDoc>>(
        { index: indices.complaints, id, doc, if_seq_no: expected.seqNo, if_primary_term: expected.primaryTerm, retry_on_conflict: 0 },
        NO_CLIENT_RETRY,
      );
      return 'ok';
    } catch (e) {
      const type = esErrorType(e);
      if (type === 'version_conflict_engine_exception') return 'conflict';
      if (type === 'document_missing_exception' || type === 'index_not_found_exception') return 'not_found';
      throw translateEsError(e, `${what} ${indices.complaints}/${id}`);
    }
  }

  function bulkAction(op: WriteOp): [estypes.BulkOperationContainer, unknown?] {
    switch (op.kind) {
      case 'upsertRating':
        return [{ index: { _index: indices.ratings, _id: String(op.rating.ratingId) } }, ratingToDoc(op.rating)];
      case 'createComplaint':
        return [{ create: { _index: indices.complaints, _id: op.complaint.id } }, complaintToDoc(op.complaint)];
      case 'upsertCustomer':
        return [{ index: { _index: indices.customers, _id: String(op.customer.id) } }, customerToDoc(op.customer)];
      case 'deleteCustomer':
        return [{ delete: { _index: indices.customers, _id: String(op.id) } }];
      default:
        return assertNever(op, 'write op');
    }
  }

  function itemResult(op: WriteOp, item: estypes.BulkResponseItem | undefined): WriteResult {
    if (!item) return { ok: false, retriable: true, reason: 'Elasticsearch returned no result for this item' };
    const { status } = item;
    if (status >= 200 && status < 300) return { ok: true };
    // Create-once: an existing complaint (maybe acknowledged) is left as it is.
    if (status === 409 && op.kind === 'createComplaint') return { ok: true };
    if (status === 404 && op.kind === 'deleteCustomer') return { ok: true };
    const error = item.error as EsErrorCause | undefined;
    const reason = `Elasticsearch rejected ${op.kind} (${status}): ${describeEsError(error)}`;
    // A write block, a closed or missing index, security, load: the cluster's fault, not the document's.
    const retriable = classifyItemRejection(status, error) === 'infrastructure';
    return { ok: false, retriable, reason, status };
  }

  const self: ElasticsearchSearch = {
    client,
    indices,

    async searchRatings(q) {
      const { sortTag, ...body } = ratingsSearch(q);
      return page<RatingDoc, EnrichedRating>(`search ${indices.ratings}`, { index: indices.ratings, ...body }, sortTag, q.first, (hit) => docToRating(hit._source as RatingDoc));
    },

    async searchRatingsMany(queries) {
      const out: (Page<EnrichedRating> | AppError)[] = [];
      const searches: estypes.MsearchRequestItem[] = [];
      /** For each search sent: the query it answers and its sort. */
      const sent: { readonly i: number; readonly sortTag: RatingSort; readonly first: number }[] = [];
      for (const [i, q] of queries.entries()) {
        try {
          const { sortTag, ...body } = ratingsSearch(q);
          searches.push({ index: indices.ratings, ...searchOpts }, { ...body, size: q.first + 1, track_total_hits: true });
          sent.push({ i, sortTag, first: q.first });
        } catch (e) {
          if (!(e instanceof AppError)) throw e;
          out[i] = e;
        }
      }
      if (sent.length === 0) return out;
      const what = `msearch ${indices.ratings} (${sent.length} searches)`;
      const res = await call(what, () => client.msearch<RatingDoc>({ searches }));
      invariant(res.responses.length === sent.length, `msearch answered ${res.responses.length} responses for ${sent.length} searches`);
      for (const [j, r] of res.responses.entries()) {
        const { i, sortTag, first } = sent[j]!;
        out[i] =
          'error' in r ? msearchItemError(r.error as EsErrorCause, r.status ?? 500, `search ${indices.ratings}`) : toPage(r.hits, sortTag, first, (hit) => docToRating(hit._source as RatingDoc));
      }
      return out;
    },

    async getRating(id) {
      const res = await call(`get ${indices.ratings}/${id}`, () => client.get<RatingDoc>({ index: indices.ratings, id }, { ignore: [404] }));
      return res.found && res._source ? docToRating(res._source) : null;
    },

    async ratingStats(filter: RatingFilter | undefined, groupBy: RatingDimension): Promise<readonly StatsBucket[]> {
      const res = await call(`stats ${indices.ratings}`, () => client.search({ ...searchOpts, index: indices.ratings, size: 0, query: ratingFilterQuery(filter), aggs: statsAggregation(groupBy) }));
      const agg = res.aggregations?.groups as estypes.AggregationsStringTermsAggregate | estypes.AggregationsLongTermsAggregate | undefined;
      const buckets = (agg?.buckets ?? []) as Array<{ key: string | number; doc_count: number; avg_stars?: estypes.AggregationsAvgAggregate }>;
      return buckets.map((b) => ({ key: String(b.key), count: b.doc_count, averageStars: b.avg_stars?.value ?? null }));
    },

    async ratingHistogram(filter: RatingFilter | undefined, interval: HistogramInterval): Promise<readonly HistogramBucket[]> {
      const res = await call(`histogram ${indices.ratings}`, () =>
        client.search({ ...searchOpts, index: indices.ratings, size: 0, query: ratingFilterQuery(filter), aggs: histogramAggregation(interval) }),
      );
      const agg = res.aggregations?.over_time as estypes.AggregationsDateHistogramAggregate | undefined;
      const buckets = (agg?.buckets ?? []) as Array<{ key: number; doc_count: number; avg_stars?: estypes.AggregationsAvgAggregate }>;
      return buckets.map((b) => ({ start: b.key, count: b.doc_count, averageStars: b.avg_stars?.value ?? null }));
    },

    async getCustomer(id) {
      const [c] = await self.getCustomersByIds([id]);
      return c ?? null;
    },

    async getCustomersByIds(ids) {
      if (ids.length === 0) return [];
      const res = await call(`mget ${indices.customers}`, () => client.mget<CustomerDoc>({ index: indices.customers, ids: ids.map(String) }));
      return res.docs.map((d) => ('found' in d && d.found && d._source ? docToCustomer(d._source) : missingOrThrow(d, indices.customers)));
    },

    async searchComplaints({ status, first, after }) {
      checkFirst(first);
      const searchAfter = after ? decodeCursor(after, 'COMPLAINTS', COMPLAINT_SORT.length) : undefined;
      return page<ComplaintDoc, Complaint>(
        `search ${indices.complaints}`,
        {
          index: indices.complaints,
          query: status ? { bool: { filter: [{ term: { status } }] } } : { match_all: {} },
          sort: toEsSort(COMPLAINT_SORT),
          ...(searchAfter && { search_after: searchAfter }),
        },
        'COMPLAINTS',
        first,
        (hit) => docToComplaint(hit._id ?? '', hit._source as ComplaintDoc),
      );
    },

    async getComplaint(id) {
      return (await self.get(id))?.complaint ?? null;
    },

    async getComplaintsByIds(ids) {
      if (ids.length === 0) return [];
      const res = await call(`mget ${indices.complaints}`, () => client.mget<ComplaintDoc>({ index: indices.complaints, ids: [...ids] }));
      return res.docs.map((d) => ('found' in d && d.found && d._source ? docToComplaint(d._id, d._source) : missingOrThrow(d, indices.complaints)));
    },

    async ping() {
      try {
        await client.cluster.health({ timeout: '5s' }, { maxRetries: 0, requestTimeout: Math.min(requestTimeoutMs, 10_000) });
        return true;
      } catch (err) {
        logger.debug({ err }, 'Elasticsearch ping failed');
        return false;
      }
    },

    async checkAccess() {
      try {
        await client.count({ index: indices.ratings, ignore_unavailable: true, allow_no_indices: true }, { maxRetries: 0, requestTimeout: Math.min(requestTimeoutMs, 10_000) });
        return null;
      } catch (err) {
        const failure = accessFailure(err);
        if (!failure) logger.warn({ err }, 'Elasticsearch did not answer the start-up check; carrying on (readiness reports it)');
        return failure;
      }
    },

    async ensureIndices() {
      await ensureIndices(client, indices, logger);
    },

    async write(ops) {
      if (ops.length === 0) return [];
      const operations: unknown[] = [];
      for (const op of ops) operations.push(...bulkAction(op).filter((x) => x !== undefined));
      // Only what an item's outcome needs comes back (as Logstash asks): about a tenth of the bytes to
      // build, send and parse per document, on both sides of the connection.
      const res = await call(`bulk (${ops.length} operations)`, () => client.bulk({ operations, filter_path: BULK_FILTER_PATH }, NO_CLIENT_RETRY));
      const items = res.items ?? [];
      if (items.length !== ops.length) {
        throw new AppError(ErrorCode.Internal, `bulk answered ${items.length} items for ${ops.length} operations`);
      }
      return ops.map((op, i) => {
        const entry = items[i];
        const item = entry ? Object.values(entry)[0] : undefined;
        return itemResult(op, item);
      });
    },

    async refresh() {
      await call('refresh', () => client.indices.refresh({ index: [indices.ratings, indices.complaints, indices.customers], ignore_unavailable: true, allow_no_indices: true }));
    },

    async get(id) {
      const res = await call(`get ${indices.complaints}/${id}`, () => client.get<ComplaintDoc>({ index: indices.complaints, id }, { ignore: [404] }));
      if (!res.found || !res._source) return null;
      invariant(res._seq_no !== undefined && res._primary_term !== undefined, 'a get answers _seq_no and _primary_term');
      const published = res._source.ack_published;
      const resolutionPublished = res._source.resolve_published;
      return {
        complaint: docToComplaint(id, res._source),
        version: { seqNo: res._seq_no, primaryTerm: res._primary_term },
        ...(typeof published === 'boolean' ? { acknowledgementPublished: published } : {}),
        ...(typeof resolutionPublished === 'boolean' ? { resolutionPublished } : {}),
      };
    },

    async createIfAbsent(complaint: Complaint) {
      try {
        await client.create({ index: indices.complaints, id: complaint.id, document: complaintToDoc(complaint) }, NO_CLIENT_RETRY);
      } catch (e) {
        if (esErrorType(e) === 'version_conflict_engine_exception') return;
        throw translateEsError(e, `create ${indices.complaints}/${complaint.id}`);
      }
    },

    acknowledge(id: string, ack: Acknowledgement, expected: DocVersion, options = {}) {
      // The outbox flag in the same update: a crash or a failed publish after it leaves a trace the sweeper finds.
      // Clearing the next reminder in the same update stops reminders and escalation at once.
      return updateComplaint(id, acknowledgingDoc(ack, options.raisedAt), expected, 'acknowledge');
    },

    markAcknowledgementPublished(id: string) {
      return markPublished(client, indices.complaints, id, { ack_published: true }, 'acknowledgement');
    },

    unpublishedAcknowledgements({ acknowledgedBefore, limit }) {
      return searchUnpublished(client, indices.complaints, {
        what: 'acknowledgements',
        filter: [{ term: { ack_published: false } }, { terms: { status: [ComplaintStatus.Acknowledged, ComplaintStatus.Resolved] } }, { range: { acknowledged_at: { lt: acknowledgedBefore } } }],
        atField: 'acknowledged_at',
        limit,
        transition: (c) => c.acknowledgement,
      });
    },

    setSlackMessage(id: string, ref: SlackMessageRef | null, expected: DocVersion, options = {}) {
      const schedule = options.nextReminderAt === undefined ? {} : { next_reminder_at: options.nextReminderAt };
      return updateComplaint(id, { ...slackMessageToDoc(ref), ...schedule }, expected, 'set Slack message of');
    },

    ...createLifecycleStore(client, indices, (id, doc, expected, what) => updateComplaint(id, doc, expected, what)),

    async deleteIndices() {
      await deleteIndices(client, indices);
    },

    async close() {
      if (owned) await client.close();
    },
  };
  return self;
}

/** An mget entry that is not found is null; an entry with an error other than a missing index throws. */
function missingOrThrow(d: estypes.MgetResponseItem<unknown>, index: string): null {
  if ('error' in d && d.error && d.error.type !== 'index_not_found_exception') {
    throw new UnavailableError(`Elasticsearch mget ${index}/${d._id} failed: ${describeEsError(d.error)}`);
  }
  return null;
}
