import { assertNever, invariant } from '../../src/errors.js';
import type { AcknowledgeOutcome, MutationResolvers } from '../__generated__/types.js';
import { agentTransition } from '../agent-transition.js';

/** Expected outcomes (first or not) are in the payload; NOT_FOUND, FORBIDDEN and bad input are errors. */
export const acknowledgeComplaint: NonNullable<MutationResolvers['acknowledgeComplaint']> = async (_parent, args, ctx) => {
  const result = await agentTransition(ctx, 'acknowledgeComplaint', args, (input) => ctx.acknowledgements.acknowledge(input));
  const ack = result.complaint.acknowledgement;
  invariant(ack !== null, `complaint ${result.complaint.id} is ${result.complaint.status} without an acknowledgement`);
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
