import type { StreamProcessorResolvers } from '../__generated__/types.js';

export const StreamProcessor: StreamProcessorResolvers = {
  sourceTopics: (p) => p.sources,
  sinkTopics: (p) => p.sinks,
  lastMessageAt: (p) => p.lastMessageTime,
};
