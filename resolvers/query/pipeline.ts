import { ProcessorState } from '../../src/ports/stream-runtime.js';
import type { QueryResolvers } from '../__generated__/types.js';

export const pipeline: NonNullable<QueryResolvers['pipeline']> = async (_parent, _args, ctx) => {
  const [processors, sink] = await Promise.all([ctx.pipeline.status(), ctx.sink ? ctx.sink.status() : Promise.resolve(null)]);
  const sorted = [...processors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const all = sink ? [...sorted, sink] : sorted;
  return { processors: sorted, sink, healthy: all.every((p) => p.state === ProcessorState.Running) };
};
