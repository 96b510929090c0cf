/**
 * Builds the GraphQL context (src/services/api-context.ts) for one HTTP
 * request or one WebSocket operation: the viewer, the ports, and fresh
 * DataLoaders (never shared between callers, made on first use).
 */
import type { Logger } from '../logger.js';
import type { SearchIndex } from '../ports/search.js';
import type { PipelineStatusSource } from '../ports/stream-runtime.js';
import type { AcknowledgementService } from '../services/acknowledgements.js';
import { createLoaders, type ApiContext, type ApiLoaders, type SinkStatusSource, type Viewer } from '../services/api-context.js';
import type { LiveFeed } from '../services/live-feed.js';
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
}

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

export function createContextFactory(deps: ContextDeps): ContextFactory {
  const { search, acknowledgements, liveFeed, pipeline = NO_PROCESSORS, sink = null, logger } = deps;
  return (viewer, extras = {}) => {
    const cache = extras.cache ?? true;
    let loaders: ApiLoaders | undefined;
    return {
      viewer,
      search,
      acknowledgements,
      liveFeed,
      pipeline,
      sink,
      // Made on first use: most WebSocket subscriptions never use theirs
      // (their events are executed once for all; see shared-execution.ts).
      get loaders() {
        return (loaders ??= createLoaders(search, { cache }));
      },
      logger,
      ...(extras.onSlowConsumer ? { onSlowConsumer: extras.onSlowConsumer } : {}),
    };
  };
}
