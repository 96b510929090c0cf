import { invariant } from '../../src/errors.js';
import type { MutationResolvers } from '../__generated__/types.js';
import { agentTransition } from '../agent-transition.js';

/** Expected outcomes (first or not) are in the payload; NOT_FOUND, FORBIDDEN and bad input are errors. */
export const resolveComplaint: NonNullable<MutationResolvers['resolveComplaint']> = async (_parent, args, ctx) => {
  const result = await agentTransition(ctx, 'resolveComplaint', args, (input) => ctx.acknowledgements.resolve(input));
  const resolution = result.complaint.resolution;
  invariant(resolution, `complaint ${result.complaint.id} is ${result.complaint.status} without a resolution`);
  return { outcome: result.kind === 'resolved' ? 'RESOLVED' : 'ALREADY_RESOLVED', complaint: result.complaint, resolution };
};
