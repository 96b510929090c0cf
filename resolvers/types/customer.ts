import { fullName } from '../../src/domain/index.js';
import type { RatingQuery } from '../../src/ports/search.js';
import type { CustomerResolvers } from '../__generated__/types.js';
import { pageCursor, pageSize } from '../args.js';
import { perEvent } from '../live.js';

export const Customer: CustomerResolvers = {
  id: (c) => String(c.id),
  fullName: (c) => fullName(c),
  createdAt: (c) => c.createTs,
  updatedAt: (c) => c.updateTs,
  // Batched: the customers of a list cost one msearch, not one search each
  // (and, below a subscription, one per event for all subscribers).
  ratings: (c, args, ctx, info) => {
    const q: RatingQuery = { filter: { customerId: c.id }, sort: args.sort ?? 'NEWEST', first: pageSize(args.first), after: pageCursor(args.after) };
    return perEvent(ctx, info, c, `ratings ${JSON.stringify([q.sort, q.first, q.after])}`, () => ctx.loaders.ratingPages.load(q));
  },
};
