import { ratingMatcher, type EnrichedRating } from '../../src/domain/index.js';
import type { SubscriptionResolvers } from '../__generated__/types.js';
import { ratingFilter } from '../args.js';

/** Live enriched ratings; the filter is applied before buffering, so unwanted ratings cost a subscriber nothing. */
export const ratingAdded: NonNullable<SubscriptionResolvers['ratingAdded']> = {
  subscribe: (_parent, args, ctx) => ctx.liveFeed.ratings({ filter: ratingMatcher(ratingFilter(args.filter)), onOverflow: ctx.onSlowConsumer }),
  resolve: (rating: EnrichedRating) => rating,
};
