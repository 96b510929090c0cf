import { AckVia } from '../../src/domain/index.js';
import { invariant } from '../../src/errors.js';
import { requireRole } from '../../src/api/api-context.js';
import type { MutationResolvers } from '../__generated__/types.js';
import { ratingId } from '../args.js';

/** Expected outcomes (first or not) are in the payload; NOT_FOUND, FORBIDDEN and bad input are errors. */
export const resolveComplaint: NonNullable<MutationResolvers['resolveComplaint']> = async (_parent, args, ctx) => {
  requireRole(ctx.viewer, 'agent', 'resolveComplaint');
  const complaintId = ratingId(args.id);
  const result = await ctx.acknowledgements.resolve({ complaintId, by: ctx.viewer.name, via: AckVia.GraphQL, note: args.note ?? null });
  ctx.loaders.complaint.clear(complaintId).prime(complaintId, result.complaint);
  const resolution = result.complaint.resolution;
  invariant(resolution, `complaint ${complaintId} is ${result.complaint.status} without a resolution`);
  return { outcome: result.kind === 'resolved' ? 'RESOLVED' : 'ALREADY_RESOLVED', complaint: result.complaint, resolution };
};
