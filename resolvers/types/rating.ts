import { complaintId, normalizeChannel } from '../../src/domain/index.js';
import type { RatingResolvers } from '../__generated__/types.js';

export const Rating: RatingResolvers = {
  id: (r) => String(r.ratingId),
  channelFamily: (r) => normalizeChannel(r.channel),
  ratedAt: (r) => r.ratingTime,
  // Batched per tick: a page of ratings costs one customers lookup. The copy
  // joined into the rating stands in for a customer the index lost.
  customer: async (r, _args, ctx) => (await ctx.loaders.customer.load(r.customer.id)) ?? r.customer,
  complaint: (r, _args, ctx) => ctx.loaders.complaint.load(complaintId(r)),
};
