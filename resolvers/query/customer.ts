import type { QueryResolvers } from '../__generated__/types.js';
import { customerId } from '../args.js';

export const customer: NonNullable<QueryResolvers['customer']> = (_parent, args, ctx) => ctx.loaders.customer.load(customerId(args.id));
