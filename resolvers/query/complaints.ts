import type { QueryResolvers } from '../__generated__/types.js';
import { pageCursor, pageSize } from '../args.js';

export const complaints: NonNullable<QueryResolvers['complaints']> = (_parent, args, ctx) =>
  ctx.search.searchComplaints({ status: args.status ?? null, first: pageSize(args.first), after: pageCursor(args.after) });
