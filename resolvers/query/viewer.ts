import type { QueryResolvers } from '../__generated__/types.js';

export const viewer: NonNullable<QueryResolvers['viewer']> = (_parent, _args, ctx) => ({
  name: ctx.viewer.name,
  role: ctx.viewer.role === 'agent' ? 'AGENT' : 'VIEWER',
  openAccess: ctx.viewer.openAccess === true,
});
