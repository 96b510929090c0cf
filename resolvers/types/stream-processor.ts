import { redactAddresses } from '../../src/domain/redact-addresses.js';
import type { StreamProcessorResolvers } from '../__generated__/types.js';

export const StreamProcessor: StreamProcessorResolvers = {
  sourceTopics: (p) => p.sources,
  sinkTopics: (p) => p.sinks,
  lastMessageAt: (p) => p.lastMessageTime,
  // Backend addresses are for agents (operators); viewers see the error without them.
  lastError: (p, _args, ctx) => (p.lastError === null || ctx.viewer.role === 'agent' ? p.lastError : redactAddresses(p.lastError)),
};
