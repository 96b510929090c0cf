/** The API server's public surface, for src/main.ts and tests. */
export { createApiServer, GRAPHQL_PATH, type ApiServer, type ApiServerOptions, type ListenResult, type ReadinessCheck, type SlackHandler } from './api-server.js';
export { createAuthenticator, OPEN_ACCESS_VIEWER, type Authenticator } from './auth.js';
export { CloseCode, CloseReason } from './close-codes.js';
export { createContextFactory, type ContextDeps, type ContextFactory } from './context.js';
export { createFormatError, errorCodeOf, graphqlCode, GraphQLCode } from './error-mapping.js';
export { createLimits, LIMITS, type ApiLimits } from './limits.js';
export { createApiMetrics, type ApiMetrics } from './metrics.js';
export { buildSchema, loadTypeDefs } from './schema.js';
export { sinkStatusSource } from './sink-status.js';
export { registerStreamMetrics } from './stream-metrics.js';
export { createLiveFeed, type LiveFeed } from '../api/live-feed.js';
