import type { QueryResolvers } from '../__generated__/types.js';
import { ratingId } from '../args.js';

export const complaint: NonNullable<QueryResolvers['complaint']> = (_parent, args, ctx) => ctx.loaders.complaint.load(ratingId(args.id));
