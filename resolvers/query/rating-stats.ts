import type { QueryResolvers } from '../__generated__/types.js';
import { ratingFilter } from '../args.js';

export const ratingStats: NonNullable<QueryResolvers['ratingStats']> = (_parent, args, ctx) => ctx.search.ratingStats(ratingFilter(args.filter), args.groupBy);
