import { ComplaintStatus, type Acknowledgement, type Complaint } from '../../src/domain/index.js';
import type { ApiContext } from '../../src/api/api-context.js';
import { filterMapAsync } from '../../src/api/async-iterators.js';
import type { SubscriptionResolvers } from '../__generated__/types.js';
import { ratingId } from '../args.js';

/**
 * Complaints as acknowledgements arrive from `complaint-acknowledgements`
 * (any instance, GraphQL or Slack). The complaint is read from the index,
 * once per acknowledgement for every subscriber (keyed by the acknowledgement
 * the live feed delivered to them all); when the index does not show the
 * acknowledgement yet (refresh lag), it is merged in.
 */
export const complaintUpdated: NonNullable<SubscriptionResolvers['complaintUpdated']> = {
  subscribe: async (_parent, args, ctx) => {
    const complaintId = args.id === null || args.id === undefined ? null : ratingId(args.id);
    const acks = await ctx.liveFeed.acknowledgements({ complaintId, onOverflow: ctx.onSlowConsumer });
    return filterMapAsync(acks, (ack) => ctx.liveFeed.shared.once(ack, 'updated', () => updated(ctx, ack)));
  },
  resolve: (complaint: Complaint) => complaint,
};

async function updated(ctx: ApiContext, ack: Acknowledgement): Promise<Complaint | undefined> {
  const stored = await ctx.loaders.complaint.load(ack.complaintId);
  if (stored === null) {
    ctx.logger.warn({ complaintId: ack.complaintId }, 'acknowledgement of a complaint the index does not know; not delivered');
    return undefined;
  }
  if (stored.status === ComplaintStatus.Acknowledged && stored.acknowledgement !== null) return stored;
  return { ...stored, status: ComplaintStatus.Acknowledged, acknowledgement: ack };
}
