import { BadInputError } from '../../src/errors.js';
import type { QueryResolvers } from '../__generated__/types.js';

const DAY_MS = 86_400_000;
/** Longest range one query covers. */
const MAX_DAYS = 366;
/** Without `from`: this many days before `to`. */
const DEFAULT_DAYS = 30;

export const complaintStats: NonNullable<QueryResolvers['complaintStats']> = async (_parent, args, ctx) => {
  const to = args.to ? args.to.getTime() : Date.now();
  const from = args.from ? args.from.getTime() : to - DEFAULT_DAYS * DAY_MS;
  if (from >= to) throw new BadInputError('from must be before to');
  if (to - from > MAX_DAYS * DAY_MS) throw new BadInputError(`from and to may be at most ${MAX_DAYS} days apart`);
  return ctx.search.complaintStats({ from, to });
};
