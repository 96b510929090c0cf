/**
 * The complaint-lifecycle part of the Elasticsearch complaint store:
 * resolution, the outbox flags (markPublished and searchUnpublished serve
 * acknowledgements too), reminder state under optimistic
 * concurrency, the due-reminder search and the per-day complaint statistics.
 * Partial-document updates, filters and core aggregations only (terms,
 * date_histogram, stats, percentiles): no scripts.
 */
import type { estypes } from '@elastic/elasticsearch';
import { ComplaintStatus, type Acknowledgement, type Complaint } from '../../domain/index.js';
import { MAX_PAGE_SIZE, type ComplaintStatsDay, type ComplaintStore, type DocVersion, type SearchIndex, type UpdateOutcome } from '../../ports/search.js';
import type { IndexNames } from '../../topics.js';
import { call, esErrorType, translateEsError, type Client } from './client.js';
import { acknowledgementToDoc, docToComplaint, reminderPatchToDoc, resolutionToDoc, type ComplaintDoc } from './documents.js';

type UpdateComplaint = (id: string, doc: Partial<ComplaintDoc>, expected: DocVersion, what: string) => Promise<UpdateOutcome>;

export type LifecycleStore = Pick<ComplaintStore, 'resolve' | 'markResolutionPublished' | 'unpublishedResolutions' | 'updateReminders' | 'dueReminders'> & Pick<SearchIndex, 'complaintStats'>;

const searchOpts = { ignore_unavailable: true, allow_no_indices: true } as const;

/** Time from raised to `at`, ms, or null when unknown. */
export function elapsedMs(raisedAt: number | undefined, at: string): number | null {
  if (raisedAt === undefined) return null;
  const t = Date.parse(at);
  return Number.isNaN(t) ? null : Math.max(0, t - raisedAt);
}

/** The fields an acknowledgement sets, with its outbox flag and reminder stop. */
export function acknowledgingDoc(ack: Acknowledgement, raisedAt: number | undefined): Partial<ComplaintDoc> {
  return { ...acknowledgementToDoc(ack), ack_published: false, next_reminder_at: null, time_to_ack_ms: elapsedMs(raisedAt, ack.at) };
}

/**
 * Sets an outbox flag once its transition is published. Unconditional: the
 * flag only ever goes from false to true. A missing document or index has
 * nothing to mark.
 */
export async function markPublished(client: Client, index: string, id: string, doc: Pick<ComplaintDoc, 'ack_published'> | Pick<ComplaintDoc, 'resolve_published'>, what: string): Promise<void> {
  try {
    await client.update<ComplaintDoc, Partial<ComplaintDoc>>({ index, id, doc, retry_on_conflict: 5 }, { maxRetries: 0 });
  } catch (e) {
    const type = esErrorType(e);
    if (type === 'document_missing_exception' || type === 'index_not_found_exception') return;
    throw translateEsError(e, `mark ${what} published ${index}/${id}`);
  }
}

/**
 * The transitions the outbox `filter` finds (flag still false, made before
 * a time): at most `limit`, oldest first by `atField`, then by rating id.
 */
export async function searchUnpublished<T>(
  client: Client,
  index: string,
  o: { what: string; filter: estypes.QueryDslQueryContainer[]; atField: 'acknowledged_at' | 'resolved_at'; limit: number; transition: (c: Complaint) => T | null | undefined },
): Promise<T[]> {
  if (o.limit <= 0) return [];
  const res = await call(`search unpublished ${o.what} ${index}`, () =>
    client.search<ComplaintDoc>({
      ...searchOpts,
      index,
      size: Math.min(o.limit, MAX_PAGE_SIZE),
      query: { bool: { filter: o.filter } },
      sort: [{ [o.atField]: { order: 'asc' } }, { rating_id: { order: 'asc' } }],
    }),
  );
  const out: T[] = [];
  for (const hit of res.hits.hits) {
    const t = hit._source && hit._id !== undefined ? o.transition(docToComplaint(hit._id, hit._source)) : null;
    if (t) out.push(t);
  }
  return out;
}

export function createLifecycleStore(client: Client, indices: IndexNames, updateComplaint: UpdateComplaint): LifecycleStore {
  const index = indices.complaints;
  return {
    resolve(id, resolution, expected, options = {}) {
      const doc: Partial<ComplaintDoc> = {
        ...(options.acknowledge ? acknowledgingDoc(options.acknowledge, options.raisedAt) : {}),
        ...resolutionToDoc(resolution),
        resolve_published: false,
        time_to_resolve_ms: elapsedMs(options.raisedAt, resolution.at),
      };
      return updateComplaint(id, doc, expected, 'resolve');
    },

    markResolutionPublished(id) {
      return markPublished(client, index, id, { resolve_published: true }, 'resolution');
    },

    unpublishedResolutions({ resolvedBefore, limit }) {
      return searchUnpublished(client, index, {
        what: 'resolutions',
        filter: [{ term: { resolve_published: false } }, { term: { status: ComplaintStatus.Resolved } }, { range: { resolved_at: { lt: resolvedBefore } } }],
        atField: 'resolved_at',
        limit,
        transition: (c) => c.resolution,
      });
    },

    updateReminders(id, patch, expected) {
      return updateComplaint(id, reminderPatchToDoc(patch), expected, 'update reminders of');
    },

    async dueReminders({ now, limit }) {
      if (limit <= 0) return [];
      const res = await call(`search due reminders ${index}`, () =>
        client.search<ComplaintDoc>({
          ...searchOpts,
          index,
          size: Math.min(limit, MAX_PAGE_SIZE),
          _source: false,
          query: { bool: { filter: [{ term: { status: ComplaintStatus.Open } }, { range: { next_reminder_at: { lte: now } } }] } },
          sort: [{ next_reminder_at: { order: 'asc' } }, { rating_id: { order: 'asc' } }],
        }),
      );
      return res.hits.hits.flatMap((h) => (h._id === undefined ? [] : [h._id]));
    },

    async complaintStats({ from, to }) {
      const range = from !== undefined || to !== undefined ? [{ range: { rating_time: { ...(from !== undefined && { gte: from }), ...(to !== undefined && { lt: to }) } } }] : [];
      const res = await call(`complaint stats ${index}`, () =>
        client.search({
          ...searchOpts,
          index,
          size: 0,
          query: range.length > 0 ? { bool: { filter: range } } : { match_all: {} },
          aggs: {
            days: {
              date_histogram: { field: 'rating_time', fixed_interval: '1d', min_doc_count: 1 },
              aggs: {
                ack: { stats: { field: 'time_to_ack_ms' } },
                ack_pct: { percentiles: { field: 'time_to_ack_ms', percents: [50, 90] } },
                acknowledged: { filter: { terms: { status: [ComplaintStatus.Acknowledged, ComplaintStatus.Resolved] } } },
                resolved: { filter: { term: { status: ComplaintStatus.Resolved } } },
                res_pct: { percentiles: { field: 'time_to_resolve_ms', percents: [50, 90] } },
              },
            },
          },
        }),
      );
      type Pct = estypes.AggregationsTDigestPercentilesAggregate;
      type Bucket = { key: number; doc_count: number; acknowledged: { doc_count: number }; resolved: { doc_count: number }; ack_pct: Pct; res_pct: Pct };
      const agg = res.aggregations?.days as { buckets?: Bucket[] } | undefined;
      const pct = (p: Pct, k: string): number | null => {
        const v = (p.values as Record<string, number | null> | undefined)?.[k];
        return typeof v === 'number' && Number.isFinite(v) ? v : null;
      };
      return (agg?.buckets ?? []).map((b): ComplaintStatsDay => ({
        day: b.key,
        count: b.doc_count,
        acknowledged: b.acknowledged.doc_count,
        resolved: b.resolved.doc_count,
        acknowledgeMedianMs: pct(b.ack_pct, '50.0'),
        acknowledgeP90Ms: pct(b.ack_pct, '90.0'),
        resolveMedianMs: pct(b.res_pct, '50.0'),
        resolveP90Ms: pct(b.res_pct, '90.0'),
      }));
    },
  };
}
