/**
 * What every resolver gets: who is asking, and the ports it may call. The
 * type lives here (not in src/server) because resolvers may import services
 * but not the server; `src/server/context.ts` builds it per request, per
 * WebSocket operation.
 */
import DataLoader from 'dataloader';
import type { ApiRole } from '../config.js';
import type { Complaint, Customer, EnrichedRating } from '../domain/index.js';
import { ForbiddenError, type AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Page, RatingQuery, SearchIndex } from '../ports/search.js';
import type { PipelineStatusSource, ProcessorStatus } from '../ports/stream-runtime.js';
import type { AcknowledgementService } from '../services/acknowledgements.js';
import type { LiveFeed } from './live-feed.js';

/** The caller, from its API key (or open access outside production with no keys configured). */
export interface Viewer {
  /** The API key's name; recorded as `acknowledged_by`. */
  readonly name: string;
  readonly role: ApiRole;
  /** True for the anonymous agent of open access (no API keys configured). */
  readonly openAccess?: boolean;
}

/** Per-request batching: each loader turns the lookups of one tick into one port call. */
export interface ApiLoaders {
  /** SearchIndex.getCustomersByIds. */
  readonly customer: DataLoader<number, Customer | null>;
  /** SearchIndex.getComplaintsByIds. */
  readonly complaint: DataLoader<string, Complaint | null>;
  /** SearchIndex.searchRatingsMany: the pages of a list's `Customer.ratings` in one msearch. Keys compare by value. */
  readonly ratingPages: DataLoader<RatingQuery, Page<EnrichedRating>, string>;
}

/** The Elasticsearch sink's status, in the shape of a processor's (sinks = the indices it writes). */
export interface SinkStatusSource {
  status(): Promise<ProcessorStatus | null>;
}

export interface RequestLimits {
  /** Buckets one `ratingHistogram` may return. */
  readonly maxHistogramBuckets: number;
}

export interface ApiContext {
  readonly viewer: Viewer;
  readonly search: SearchIndex;
  readonly acknowledgements: AcknowledgementService;
  readonly liveFeed: LiveFeed;
  readonly pipeline: PipelineStatusSource;
  readonly sink: SinkStatusSource | null;
  readonly loaders: ApiLoaders;
  readonly logger: Logger;
  /** Limits resolvers check (from configuration). */
  readonly limits: RequestLimits;
  /**
   * Set for WebSocket operations: called when a subscription of this
   * connection overflowed its buffer. The server closes the socket with 1013
   * (src/server/close-codes.ts).
   * Without it (HTTP, tests), the subscription's iterator fails with
   * SLOW_CONSUMER instead.
   */
  readonly onSlowConsumer?: (error: AppError) => void;
}

/**
 * New loaders; one set per request or WebSocket operation, never shared
 * between callers. `cache: false` (long-lived subscriptions) still batches the
 * lookups of one tick but keeps nothing.
 */
export function createLoaders(search: SearchIndex, { cache = true }: { cache?: boolean } = {}): ApiLoaders {
  return {
    customer: new DataLoader<number, Customer | null>((ids) => search.getCustomersByIds(ids), { maxBatchSize: 1_000, cache }),
    complaint: new DataLoader<string, Complaint | null>((ids) => search.getComplaintsByIds(ids), { maxBatchSize: 1_000, cache }),
    ratingPages: new DataLoader<RatingQuery, Page<EnrichedRating>, string>((queries) => search.searchRatingsMany(queries), {
      // Each page is up to 100 hits: keep one msearch moderate.
      maxBatchSize: 100,
      cache,
      cacheKeyFn: (q) => JSON.stringify([q.filter ?? null, q.sort ?? null, q.first, q.after ?? null]),
    }),
  };
}

const RANK: Readonly<Record<ApiRole, number>> = { viewer: 0, agent: 1 };

/** @throws ForbiddenError when the viewer's role is below `role`. */
export function requireRole(viewer: Viewer, role: ApiRole, action: string): void {
  if (RANK[viewer.role] < RANK[role]) throw new ForbiddenError(`${action} needs a key with the ${role} role; "${viewer.name}" has the ${viewer.role} role`);
}
