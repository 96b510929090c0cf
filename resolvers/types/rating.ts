import { complaintId, normalizeChannel } from '../../src/domain/index.js';
import type { RatingResolvers } from '../__generated__/types.js';
import { isDeliveredAsIs, perEvent } from '../live.js';

export const Rating: RatingResolvers = {
  id: (r) => String(r.ratingId),
  channelFamily: (r) => normalizeChannel(r.channel),
  ratedAt: (r) => r.ratingTime,
  // Batched per tick: a page of ratings costs one customers lookup. The copy
  // joined into the rating stands in for a customer the index lost.
  // In `ratingAdded`, once per event for all subscribers. The rating of a live
  // `complaintRaised` event: the customer joined into it, no lookup.
  customer: (r, _args, ctx, info) =>
    isDeliveredAsIs(r) ? r.customer : perEvent(ctx, info, r, 'customer', async () => (await ctx.loaders.customer.load(r.customer.id).catch(() => null)) ?? r.customer),
  complaint: (r, _args, ctx, info) => perEvent(ctx, info, r, 'complaint', () => ctx.loaders.complaint.load(complaintId(r))),
};
