import { requireRole } from '../../src/api/api-context.js';
import type { MutationResolvers } from '../__generated__/types.js';
import { ratingId } from '../args.js';

/** Pauses reminders; the service checks the time (after now, at most 24 h ahead) and that the complaint is OPEN. */
export const snoozeComplaint: NonNullable<MutationResolvers['snoozeComplaint']> = async (_parent, args, ctx) => {
  requireRole(ctx.viewer, 'agent', 'snoozeComplaint');
  const complaintId = ratingId(args.id);
  const complaint = await ctx.acknowledgements.snooze({ complaintId, until: args.until, by: ctx.viewer.name });
  ctx.loaders.complaint.clear(complaintId).prime(complaintId, complaint);
  return complaint;
};
