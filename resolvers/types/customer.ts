import { fullName } from '../../src/domain/index.js';
import type { CustomerResolvers } from '../__generated__/types.js';
import { pageCursor, pageSize } from '../args.js';

export const Customer: CustomerResolvers = {
  id: (c) => String(c.id),
  fullName: (c) => fullName(c),
  createdAt: (c) => c.createTs,
  updatedAt: (c) => c.updateTs,
  ratings: (c, args, ctx) =>
    ctx.search.searchRatings({ filter: { customerId: c.id }, sort: args.sort ?? 'NEWEST', first: pageSize(args.first), after: pageCursor(args.after) }),
};
