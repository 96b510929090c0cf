import type { QueryResolvers } from '../__generated__/types.js';
import { ratingId } from '../args.js';

export const rating: NonNullable<QueryResolvers['rating']> = (_parent, args, ctx) => ctx.search.getRating(ratingId(args.id));
