import type { ComplaintEvent } from '../../src/api/live-feed.js';
import type { SubscriptionResolvers } from '../__generated__/types.js';
import { pageCursor } from '../args.js';

/** Live complaints; with `after`, the ones missed since that cursor first (the live feed replays them). */
export const complaintRaised: NonNullable<SubscriptionResolvers['complaintRaised']> = {
  subscribe: (_parent, args, ctx) => ctx.liveFeed.complaints({ after: pageCursor(args.after), onOverflow: ctx.onSlowConsumer }),
  resolve: (event: ComplaintEvent) => event,
};
