/**
 * The aggregations of the in-memory search index, as the Elasticsearch
 * adapter computes them (queries.ts statsAggregation / histogramAggregation,
 * lifecycle.ts complaintStats): stats buckets per dimension, the rating
 * histogram and the per-day complaint statistics.
 */
import { ComplaintStatus, normalizeChannel, type Complaint, type EnrichedRating } from '../../domain/index.js';
import { assertNever } from '../../errors.js';
import { percentile, type ComplaintStatsDay, type HistogramBucket, type HistogramInterval, type RatingDimension, type StatsBucket } from '../../ports/search.js';

const INTERVAL_MS: Readonly<Record<HistogramInterval, number>> = { MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000 };
const MISSING_CLUB_STATUS = 'unknown';
const MAX_STATS_BUCKETS = 100;

export function ratingStats(ratings: Iterable<EnrichedRating>, groupBy: RatingDimension): readonly StatsBucket[] {
  const groups = new Map<string, { count: number; sum: number; order: number }>();
  for (const r of ratings) {
    const key = dimensionKey(r, groupBy);
    const g = groups.get(key) ?? { count: 0, sum: 0, order: groupBy === 'STARS' ? r.stars : 0 };
    g.count++;
    g.sum += r.stars;
    groups.set(key, g);
  }
  const buckets = [...groups.entries()].map(([key, g]) => ({ key, count: g.count, averageStars: g.sum / g.count, order: g.order }));
  buckets.sort(groupBy === 'STARS' ? (a, b) => a.order - b.order : (a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return buckets.slice(0, MAX_STATS_BUCKETS).map(({ key, count, averageStars }) => ({ key, count, averageStars }));
}

export function ratingHistogram(ratings: Iterable<EnrichedRating>, interval: HistogramInterval): readonly HistogramBucket[] {
  const size = INTERVAL_MS[interval];
  const buckets = new Map<number, { count: number; sum: number }>();
  for (const r of ratings) {
    const start = Math.floor(r.ratingTime / size) * size;
    const b = buckets.get(start) ?? { count: 0, sum: 0 };
    b.count++;
    b.sum += r.stars;
    buckets.set(start, b);
  }
  return [...buckets.entries()].sort(([a], [b]) => a - b).map(([start, b]) => ({ start, count: b.count, averageStars: b.sum / b.count }));
}

/** A stored complaint as the statistics read it: the times to acknowledge and resolve stored by its transitions. */
export interface ComplaintTimings {
  readonly complaint: Complaint;
  readonly timeToAckMs?: number | null;
  readonly timeToResolveMs?: number | null;
}

export function complaintStats(complaints: Iterable<ComplaintTimings>, { from, to }: { readonly from?: number; readonly to?: number }): readonly ComplaintStatsDay[] {
  const days = new Map<number, { count: number; acknowledged: number; resolved: number; ack: number[]; res: number[] }>();
  for (const s of complaints) {
    const t = s.complaint.rating.ratingTime;
    if ((from !== undefined && t < from) || (to !== undefined && t >= to)) continue;
    const day = Math.floor(t / 86_400_000) * 86_400_000;
    let d = days.get(day);
    if (!d) days.set(day, (d = { count: 0, acknowledged: 0, resolved: 0, ack: [], res: [] }));
    d.count++;
    if (s.complaint.status !== ComplaintStatus.Open) d.acknowledged++;
    if (s.complaint.status === ComplaintStatus.Resolved) d.resolved++;
    if (typeof s.timeToAckMs === 'number') d.ack.push(s.timeToAckMs);
    if (typeof s.timeToResolveMs === 'number') d.res.push(s.timeToResolveMs);
  }
  return [...days.entries()]
    .sort(([a], [b]) => a - b)
    .map(([day, d]) => {
      const ack = d.ack.sort((a, b) => a - b);
      const res = d.res.sort((a, b) => a - b);
      return {
        day,
        count: d.count,
        acknowledged: d.acknowledged,
        resolved: d.resolved,
        acknowledgeMedianMs: percentile(ack, 0.5),
        acknowledgeP90Ms: percentile(ack, 0.9),
        resolveMedianMs: percentile(res, 0.5),
        resolveP90Ms: percentile(res, 0.9),
      };
    });
}

function dimensionKey(r: EnrichedRating, groupBy: RatingDimension): string {
  switch (groupBy) {
    case 'CLUB_STATUS':
      return r.customer.clubStatus?.toLowerCase() ?? MISSING_CLUB_STATUS;
    case 'CHANNEL':
      return normalizeChannel(r.channel);
    case 'STARS':
      return String(r.stars);
    default:
      return assertNever(groupBy, 'dimension');
  }
}
