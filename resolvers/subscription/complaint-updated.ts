import { ComplaintStatus, TransitionKind, type Complaint, type Transition } from '../../src/domain/index.js';
import type { ApiContext } from '../../src/api/api-context.js';
import { filterMapAsync } from '../../src/api/async-iterators.js';
import type { SubscriptionResolvers } from '../__generated__/types.js';
import { ratingId } from '../args.js';

/**
 * Complaints as they change: acknowledgements from `complaint-acknowledgements`
 * and resolutions from the transitions topic (any instance, GraphQL or Slack).
 * The complaint is read from the index, once per transition for every
 * subscriber (keyed by the object the live feed delivered to them all); when
 * the index does not show the transition yet (refresh lag), it is merged in.
 */
export const complaintUpdated: NonNullable<SubscriptionResolvers['complaintUpdated']> = {
  subscribe: async (_parent, args, ctx) => {
    const complaintId = args.id === null || args.id === undefined ? null : ratingId(args.id);
    const updates = await ctx.liveFeed.updates({ complaintId, onOverflow: ctx.onSlowConsumer });
    return filterMapAsync(updates, (t) => ctx.liveFeed.shared.once(t, 'updated', () => updated(ctx, t)));
  },
  resolve: (complaint: Complaint) => complaint,
};

async function updated(ctx: ApiContext, t: Transition): Promise<Complaint | undefined> {
  const stored = await ctx.loaders.complaint.load(t.complaintId);
  if (stored === null) {
    ctx.logger.warn({ complaintId: t.complaintId, transition: t.kind }, 'transition of a complaint the index does not know; not delivered');
    return undefined;
  }
  const { kind, ...change } = t;
  if (kind === TransitionKind.Resolved) {
    if (stored.status === ComplaintStatus.Resolved && stored.resolution) return stored;
    return { ...stored, status: ComplaintStatus.Resolved, acknowledgement: stored.acknowledgement ?? change, resolution: change };
  }
  if (stored.status !== ComplaintStatus.Open && stored.acknowledgement !== null) return stored;
  return { ...stored, status: ComplaintStatus.Acknowledged, acknowledgement: change };
}
