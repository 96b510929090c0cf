import { AckVia } from '../../src/domain/index.js';
import { assertNever, invariant } from '../../src/errors.js';
import { requireRole } from '../../src/api/api-context.js';
import type { AcknowledgeOutcome, MutationResolvers } from '../__generated__/types.js';
import { ratingId } from '../args.js';

/** Expected outcomes (first or not) are in the payload; NOT_FOUND, FORBIDDEN and bad input are errors. */
export const acknowledgeComplaint: NonNullable<MutationResolvers['acknowledgeComplaint']> = async (_parent, args, ctx) => {
  requireRole(ctx.viewer, 'agent', 'acknowledgeComplaint');
  const complaintId = ratingId(args.id);
  const result = await ctx.acknowledgements.acknowledge({ complaintId, by: ctx.viewer.name, via: AckVia.GraphQL, note: args.note ?? null });
  ctx.loaders.complaint.clear(complaintId).prime(complaintId, result.complaint);
  const ack = result.complaint.acknowledgement;
  invariant(ack !== null, `complaint ${complaintId} is ${result.complaint.status} without an acknowledgement`);
  return { outcome: outcome(result.kind), complaint: result.complaint, acknowledgement: ack };
};

function outcome(kind: 'acknowledged' | 'already_acknowledged'): AcknowledgeOutcome {
  switch (kind) {
    case 'acknowledged':
      return 'ACKNOWLEDGED';
    case 'already_acknowledged':
      return 'ALREADY_ACKNOWLEDGED';
    default:
      return assertNever(kind, 'acknowledge outcome');
  }
}
