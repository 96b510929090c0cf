import { BadInputError } from '../../src/errors.js';
import type { HistogramInterval } from '../../src/ports/search.js';
import type { QueryResolvers } from '../__generated__/types.js';
import { ratingFilter } from '../args.js';

const INTERVAL_MS: Readonly<Record<HistogramInterval, number>> = { MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000 };

const tooMany = (buckets: number, cap: number, interval: HistogramInterval, what: string): BadInputError =>
  new BadInputError(`ratingHistogram would return ${buckets} ${interval} buckets (${what}); at most ${cap} are allowed: narrow filter.from/filter.to or use a longer interval`);

/**
 * At most `ctx.limits.maxHistogramBuckets` buckets (MAX_HISTOGRAM_BUCKETS):
 * checked before the search when `filter.from` is given (the range ends at
 * `filter.to`, or now), and on the answer otherwise.
 */
export const ratingHistogram: NonNullable<QueryResolvers['ratingHistogram']> = async (_parent, args, ctx) => {
  const filter = ratingFilter(args.filter);
  const interval = args.interval ?? 'HOUR';
  const cap = ctx.limits.maxHistogramBuckets;
  if (filter?.from !== undefined) {
    const to = filter.to ?? Date.now();
    const buckets = Math.ceil((to - filter.from) / INTERVAL_MS[interval]);
    if (buckets > cap) throw tooMany(buckets, cap, interval, `${new Date(filter.from).toISOString()} to ${new Date(to).toISOString()}`);
  }
  const result = await ctx.search.ratingHistogram(filter, interval);
  if (result.length > cap) throw tooMany(result.length, cap, interval, 'ratings of every time; no filter.from given');
  return result;
};
