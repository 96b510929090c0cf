import type { QueryResolvers } from '../__generated__/types.js';
import { ratingId } from '../args.js';

/**
 * The complaint as indexed; one raised a moment ago that the sink has not indexed yet
 * answers from the live feed's recent complaints, as raised (as an acknowledgement of it
 * would find it: src/services/acknowledgements.ts).
 */
export const complaint: NonNullable<QueryResolvers['complaint']> = async (_parent, args, ctx) => {
  const id = ratingId(args.id);
  return (await ctx.loaders.complaint.load(id)) ?? ctx.liveFeed.recentComplaint(id);
};
