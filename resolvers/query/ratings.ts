import type { QueryResolvers } from '../__generated__/types.js';
import { pageCursor, pageSize, ratingFilter } from '../args.js';

export const ratings: NonNullable<QueryResolvers['ratings']> = (_parent, args, ctx) =>
  ctx.search.searchRatings({
    filter: ratingFilter(args.filter),
    sort: args.sort ?? 'NEWEST',
    first: pageSize(args.first),
    after: pageCursor(args.after),
  });
