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

/**
 * Objects that a live event delivered as they were at the moment of the event
 * (a complaint that `complaintRaised` delivers live, and its rating): their
 * fields answer from the record, with no lookup (docs/subscriptions.md, "What a
 * live event carries"). Keyed by the event's own objects, so nothing loaded from
 * the index is ever in it.
 */
const asDelivered = new WeakSet<object>();

/** Marks `objects` as answered from the record (see asDelivered). */
export function deliveredAsIs(...objects: object[]): void {
  for (const o of objects) asDelivered.add(o);
}

/** Whether `o` was marked by deliveredAsIs. */
export function isDeliveredAsIs(o: object): boolean {
  return asDelivered.has(o);
}
