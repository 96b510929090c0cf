import type { QueryResolvers } from '../__generated__/types.js';
import { ratingFilter } from '../args.js';

export const ratingHistogram: NonNullable<QueryResolvers['ratingHistogram']> = (_parent, args, ctx) =>
  ctx.search.ratingHistogram(ratingFilter(args.filter), args.interval ?? 'HOUR');
