/**
 * Builds the GraphQL context (src/api/api-context.ts) for one HTTP
 * request or one WebSocket operation: the viewer, the ports, and fresh
 * DataLoaders (never shared between callers, made on first use).
 */
import type { Logger } from '../logger.js';
import type { SearchIndex } from '../ports/search.js';
import type { PipelineStatusSource } from '../ports/stream-runtime.js';
import type { AcknowledgementService } from '../services/acknowledgements.js';
import { createLoaders, type ApiContext, type ApiLoaders, type RequestLimits, type SinkStatusSource, type Viewer } from '../api/api-context.js';
import type { LiveFeed } from '../api/live-feed.js';
import type { AppError } from '../errors.js';

export interface ContextDeps {
  search: SearchIndex;
  acknowledgements: AcknowledgementService;
  liveFeed: LiveFeed;
  /** @default no processors */
  pipeline?: PipelineStatusSource;
  /** @default null (sink not known here) */
  sink?: SinkStatusSource | null;
  logger: Logger;
  /** @default DEFAULT_REQUEST_LIMITS */
  limits?: RequestLimits;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = Object.freeze({ maxHistogramBuckets: 10_000 });

export interface ContextExtras {
  /** WebSocket operations: called when a subscription overflows its buffer. */
  onSlowConsumer?: (error: AppError) => void;
  /**
   * Loaders of a subscription live as long as it does: without a cache they
   * still batch per tick but never serve a stale or ever-growing cache.
   * @default true
   */
  cache?: boolean;
}

export type ContextFactory = (viewer: Viewer, extras?: ContextExtras) => ApiContext;

const NO_PROCESSORS: PipelineStatusSource = { status: async () => [] };

/**
 * A class rather than an object literal: a literal with a getter is a
 * dictionary-mode object in V8 (about half a kilobyte more per WebSocket
 * subscription, of which there are thousands).
 */
class RequestContext implements ApiContext {
  private lazyLoaders: ApiLoaders | undefined = undefined;
  readonly onSlowConsumer?: (error: AppError) => void;

  constructor(
    readonly viewer: Viewer,
    readonly search: SearchIndex,
    readonly acknowledgements: AcknowledgementService,
    readonly liveFeed: LiveFeed,
    readonly pipeline: PipelineStatusSource,
    readonly sink: SinkStatusSource | null,
    readonly logger: Logger,
    readonly limits: RequestLimits,
    private readonly loaderCache: boolean,
    onSlowConsumer: ((error: AppError) => void) | undefined,
  ) {
    if (onSlowConsumer) this.onSlowConsumer = onSlowConsumer;
  }

  /** Made on first use: most WebSocket subscriptions never use theirs (their events are executed once for all; see shared-execution.ts). */
  get loaders(): ApiLoaders {
    return (this.lazyLoaders ??= createLoaders(this.search, { cache: this.loaderCache }));
  }
}

export function createContextFactory(deps: ContextDeps): ContextFactory {
  const { search, acknowledgements, liveFeed, pipeline = NO_PROCESSORS, sink = null, logger, limits = DEFAULT_REQUEST_LIMITS } = deps;
  return (viewer, extras = {}) => new RequestContext(viewer, search, acknowledgements, liveFeed, pipeline, sink, logger, limits, extras.cache ?? true, extras.onSlowConsumer);
}
