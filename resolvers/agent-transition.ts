import { AckVia, type Complaint } from '../src/domain/index.js';
import { requireRole, type ApiContext } from '../src/api/api-context.js';
import type { AcknowledgeInput } from '../src/services/acknowledgements.js';
import { ratingId } from './args.js';

/**
 * The frame of the acknowledge and resolve mutations: needs the agent role
 * (`action` names the mutation in the error), runs `transition` for complaint
 * `args.id` as the API key's name via GraphQL, and primes the complaint loader
 * with the complaint it returns, so later fields of the request see its state.
 */
export async function agentTransition<R extends { readonly complaint: Complaint }>(
  ctx: ApiContext,
  action: string,
  args: { readonly id: string; readonly note?: string | null },
  transition: (input: AcknowledgeInput) => Promise<R>,
): Promise<R> {
  requireRole(ctx.viewer, 'agent', action);
  const complaintId = ratingId(args.id);
  const result = await transition({ complaintId, by: ctx.viewer.name, via: AckVia.GraphQL, note: args.note ?? null });
  ctx.loaders.complaint.clear(complaintId).prime(complaintId, result.complaint);
  return result;
}
