import type { GraphQLResolveInfo } from 'graphql';
import type { ApiContext } from '../src/api/api-context.js';

/**
 * A lookup below a subscription field is the same for every subscriber of
 * the event: made once per event (`parent` is the delivered object or was
 * made from it; see src/api/event-memo.ts), not once per subscriber.
 * In queries and mutations it runs as it is (per-request DataLoaders batch it).
 */
export function perEvent<V>(ctx: ApiContext, info: GraphQLResolveInfo, parent: object, key: string, load: () => Promise<V>): Promise<V> {
  return info.operation.operation === 'subscription' ? ctx.liveFeed.shared.once(parent, key, load) : load();
}
