/**
 * Query DSL for the search port: RatingFilter → bool filter, sorts with a
 * unique tiebreaker, `search_after` cursors, and the aggregations behind
 * ratingStats and ratingHistogram. Pure functions; the in-memory adapter
 * implements the same semantics (one contract suite runs against both).
 * Page cursors: ../page-cursor.ts.
 */
import type { estypes } from '@elastic/elasticsearch';
import type { HistogramInterval, RatingDimension, RatingFilter, RatingSort } from '../../ports/search.js';

export function ratingFilterQuery(f: RatingFilter | undefined): estypes.QueryDslQueryContainer {
  const filter: estypes.QueryDslQueryContainer[] = [];
  if (f) {
    if (f.starsMin !== undefined || f.starsMax !== undefined) {
      filter.push({ range: { stars: { ...(f.starsMin !== undefined && { gte: f.starsMin }), ...(f.starsMax !== undefined && { lte: f.starsMax }) } } });
    }
    // The keyword normalizer lowercases the terms of a terms query too, so `iOS` finds `ios`.
    if (f.channels && f.channels.length > 0) filter.push({ terms: { channel: [...f.channels] } });
    if (f.clubStatuses && f.clubStatuses.length > 0) filter.push({ terms: { 'customer.club_status': [...f.clubStatuses] } });
    if (f.customerId !== undefined) filter.push({ term: { 'customer.id': f.customerId } });
    const text = f.text?.trim();
    if (text) filter.push({ match: { message: { query: text, operator: 'and' } } });
    if (f.from !== undefined || f.to !== undefined) {
      filter.push({ range: { rating_time: { ...(f.from !== undefined && { gte: f.from }), ...(f.to !== undefined && { lt: f.to }) } } });
    }
  }
  return filter.length === 0 ? { match_all: {} } : { bool: { filter } };
}

type SortField = readonly [field: string, order: 'asc' | 'desc'];

/** Every sort ends in `rating_id`, unique (it is the document id), so pages never skip or repeat. */
export const RATING_SORTS: Readonly<Record<RatingSort, readonly SortField[]>> = {
  NEWEST: [
    ['rating_time', 'desc'],
    ['rating_id', 'desc'],
  ],
  OLDEST: [
    ['rating_time', 'asc'],
    ['rating_id', 'asc'],
  ],
  STARS_ASC: [
    ['stars', 'asc'],
    ['rating_time', 'desc'],
    ['rating_id', 'desc'],
  ],
  STARS_DESC: [
    ['stars', 'desc'],
    ['rating_time', 'desc'],
    ['rating_id', 'desc'],
  ],
};

/** Complaints: newest first. */
export const COMPLAINT_SORT: readonly SortField[] = RATING_SORTS.NEWEST;

export const toEsSort = (fields: readonly SortField[]): estypes.SortCombinations[] => fields.map(([field, order]) => ({ [field]: { order } }));

/** Field per stats dimension: CHANNEL groups by channel family (`iOS`, `ios`, `iOS-test` → `ios`). */
export const DIMENSION_FIELD: Readonly<Record<RatingDimension, string>> = {
  CLUB_STATUS: 'customer.club_status',
  CHANNEL: 'channel_family',
  STARS: 'stars',
};

/** Bucket key of ratings whose customer has no club status. */
export const MISSING_CLUB_STATUS = 'unknown';

/** Most buckets one stats query returns. */
export const MAX_STATS_BUCKETS = 100;

export function statsAggregation(groupBy: RatingDimension): Record<string, estypes.AggregationsAggregationContainer> {
  const order: estypes.AggregationsAggregateOrder = groupBy === 'STARS' ? [{ _key: 'asc' }] : [{ _count: 'desc' }, { _key: 'asc' }];
  return {
    groups: {
      terms: {
        field: DIMENSION_FIELD[groupBy],
        size: MAX_STATS_BUCKETS,
        order,
        ...(groupBy === 'CLUB_STATUS' && { missing: MISSING_CLUB_STATUS }),
      },
      aggs: { avg_stars: { avg: { field: 'stars' } } },
    },
  };
}

export const INTERVAL_MS: Readonly<Record<HistogramInterval, number>> = { MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000 };
const FIXED_INTERVAL: Readonly<Record<HistogramInterval, string>> = { MINUTE: '1m', HOUR: '1h', DAY: '1d' };

/** Buckets aligned to the epoch (UTC); empty buckets are left out. */
export function histogramAggregation(interval: HistogramInterval): Record<string, estypes.AggregationsAggregationContainer> {
  return {
    over_time: {
      date_histogram: { field: 'rating_time', fixed_interval: FIXED_INTERVAL[interval], min_doc_count: 1 },
      aggs: { avg_stars: { avg: { field: 'stars' } } },
    },
  };
}
