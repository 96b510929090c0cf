/**
 * The API server: one `node:http` server, one port, for
 * - `POST|GET /graphql`: Apollo Server (HTTP), and WebSocket upgrades of
 *   `/graphql` for graphql-ws (`graphql-transport-ws`);
 * - `GET /healthz` (the process is up), `GET /readyz` (every readiness check
 *   passes: Kafka, Elasticsearch, stream table bootstrap, ...), `GET /metrics`
 *   (Prometheus text from the registry given);
 * - `POST /slack/events`, handed to the Slack app's handler when one is given;
 * - `GET /` and the dashboard's paths: the operational dashboard (dashboard.ts),
 *   a client of `/graphql` like any other. Outside production a browser
 *   opening `/graphql` is redirected to it (Apollo's landing page, served
 *   from a CDN, is off).
 *
 * Shutdown (`close()`): stop accepting, complete subscriptions (every
 * WebSocket is closed with 1001 and a reason), drain in-flight HTTP requests,
 * then stop the live feed and Apollo.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import type { Registry } from 'prom-client';
import { isLoopbackHost, type Config } from '../config.js';
import { AppError, ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { EventLog } from '../ports/event-log.js';
import type { SearchIndex } from '../ports/search.js';
import type { PipelineStatusSource } from '../ports/stream-runtime.js';
import type { AcknowledgementService } from '../services/acknowledgements.js';
import type { ApiContext, SinkStatusSource } from '../api/api-context.js';
import { createLiveFeed, type LiveFeed } from '../api/live-feed.js';
import type { RecordDecoder } from '../services/record-codec.js';
import { createAuthenticator } from './auth.js';
import { createContextFactory } from './context.js';
import { createCors } from './cors.js';
import { createDashboardHandler, isBrowserVisitToGraphQL, redirectToDashboard } from './dashboard.js';
import { createFormatError } from './error-mapping.js';
import { DEFAULT_PAGE_SIZE } from '../../resolvers/args.js';
import { createGraphQLHttpHandler, sendGraphQLError } from './http-graphql.js';
import { createLimits } from './limits.js';
import { createOpsRoutes, sendJson, type ReadinessCheck } from './ops-routes.js';
import { createApiMetrics, registerWsGauges, type ApiMetrics } from './metrics.js';
import { checkCost } from './query-cost.js';
import { createRateLimiter, type Clock } from './rate-limit.js';
import { buildSchema } from './schema.js';
import { createWsServer } from './ws.js';
import { SLACK_EVENTS_PATH, createSlackRoute, type SlackHandler } from './slack-route.js';

export const GRAPHQL_PATH = '/graphql';

export type { ReadinessCheck } from './ops-routes.js';

export type { SlackHandler } from './slack-route.js';

export interface ApiServerOptions {
  /** Uses `production`, `apiKeys`, `api.*` and `topics`. */
  config: Config;
  logger: Logger;
  /** For the live feed's tails (complaints, enriched ratings, acknowledgements). */
  eventLog: EventLog;
  search: SearchIndex;
  /** The one acknowledgement service, shared with the Slack app. */
  acknowledgements: AcknowledgementService;
  /** `Query.pipeline` processors. @default none */
  pipeline?: PipelineStatusSource;
  /** `Query.pipeline.sink`. @default null */
  sink?: SinkStatusSource | null;
  /** Where the API registers its metrics; served by GET /metrics. */
  registry: Registry;
  /** Receives `POST /slack/events` when given; 404 otherwise. */
  slackHandler?: SlackHandler;
  /** GET /readyz is 200 only when every one passes. @default none (ready once listening) */
  readinessChecks?: readonly ReadinessCheck[];
  /** A live feed to use (and not stop); by default the server creates and owns one over `eventLog`. */
  liveFeed?: LiveFeed;
  /** How the live feed it creates reads the enriched ratings (Avro when ENRICHED_FORMAT=avro). @default JSON */
  enrichedDecoder?: RecordDecoder;
  /** Longest wait for each readiness check. @default 2_000 // ms */
  readinessTimeoutMs?: number;
  /** Longest wait, per phase, for WebSocket close handshakes and for in-flight HTTP requests on close(). @default 4_000 // ms */
  shutdownTimeoutMs?: number;
  /** WebSocket ping interval. @default 12_000 // ms */
  keepAliveMs?: number;
  /** See WsServerOptions.slowCloseTimeoutMs. @default 5_000 // ms */
  slowCloseTimeoutMs?: number;
  /** Register prom-client's default process metrics on `registry` (once). @default true */
  defaultMetrics?: boolean;
  /** The rate limiter's clock (milliseconds); injected by tests. @default Date.now */
  now?: Clock;
  /** The built dashboard (index.html and assets/); null serves none. @default dist/web found above this module */
  dashboardDir?: string | null;
}

export interface ListenResult {
  /** Base URL, e.g. `http://127.0.0.1:4000`. */
  readonly url: string;
  /** `${url}/graphql`. */
  readonly graphqlUrl: string;
  /** `ws://…/graphql`. */
  readonly wsUrl: string;
  readonly port: number;
}

export interface ApiServer {
  /** Starts Apollo and listens; `port` 0 picks a free one. */
  listen(port: number, host?: string): Promise<ListenResult>;
  /** Graceful shutdown (see the module comment). Idempotent. */
  close(): Promise<void>;
  readonly liveFeed: LiveFeed;
  readonly metrics: ApiMetrics;
  readonly schema: GraphQLSchema;
}

type Lifecycle = 'created' | 'listening' | 'closing' | 'closed';

export function createApiServer(options: ApiServerOptions): ApiServer {
  const {
    config,
    logger: baseLogger,
    eventLog,
    search,
    acknowledgements,
    pipeline,
    sink = null,
    registry,
    slackHandler,
    readinessChecks = [],
    readinessTimeoutMs = 2_000,
    shutdownTimeoutMs = 4_000,
    keepAliveMs,
    slowCloseTimeoutMs,
    defaultMetrics,
  } = options;
  const dashboard = createDashboardHandler(options.dashboardDir === undefined ? {} : { dir: options.dashboardDir });
  const logger = baseLogger.child({ component: 'api' });

  // Scraped only after construction, so the live feed below exists by then.
  const apiMetrics = createApiMetrics({ registry, subscribers: (s) => liveFeed.subscriberCount(s), ...(defaultMetrics === undefined ? {} : { defaultMetrics }) });
  const ownsLiveFeed = options.liveFeed === undefined;
  const liveFeed =
    options.liveFeed ??
    createLiveFeed({
      log: eventLog,
      topics: config.topics,
      bufferSize: config.api.subscriberBufferSize,
      maxConcurrentReplays: config.api.maxConcurrentReplays,
      logger,
      ...(options.enrichedDecoder ? { enrichedDecoder: options.enrichedDecoder } : {}),
      onSlowSubscriber: (stream) => apiMetrics.slowSubscribers.inc({ stream }),
    });

  const limits = createLimits(config);
  const schema = buildSchema();
  const authenticator = createAuthenticator({ apiKeys: config.apiKeys, production: config.production, logger });
  const rateLimiter = createRateLimiter({ limits: config.api.rateLimits, ...(options.now ? { now: options.now } : {}) });
  const createContext = createContextFactory({ search, acknowledgements, liveFeed, sink, logger, limits: { maxHistogramBuckets: config.api.maxHistogramBuckets }, ...(pipeline ? { pipeline } : {}) });

  const apollo = new ApolloServer<ApiContext>({
    schema,
    introspection: limits.introspection,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: !config.production,
    parseOptions: limits.parseOptions,
    validationRules: [...limits.apolloValidationRules],
    formatError: createFormatError({ production: config.production }),
    stopOnTerminationSignals: false,
    logger: baseLogger.child({ component: 'apollo' }),
    plugins: [
      apiMetrics.apolloPlugin(logger),
      {
        // After validation, before execution: a refused operation runs no resolver.
        async requestDidStart() {
          return {
            async didResolveOperation({ document, operationName, request }) {
              const tooComplex = checkCost({ schema, document, operationName, variables: request.variables }, limits.maxListCost, DEFAULT_PAGE_SIZE);
              if (tooComplex) throw tooComplex;
            },
          };
        },
      },
      // No landing page: Apollo's loads from a CDN; browsers get the dashboard instead (see handle()).
      ApolloServerPluginLandingPageDisabled(),
    ],
  });
  const cors = createCors(config.api.corsOrigins);
  const graphqlHttp = createGraphQLHttpHandler({ apollo, authenticator, createContext, maxBodyBytes: limits.maxBodyBytes, rateLimiter });
  const ws = createWsServer({
    schema,
    limits,
    rateLimiter,
    authenticator,
    createContext,
    metrics: apiMetrics,
    logger,
    production: config.production,
    ...(keepAliveMs === undefined ? {} : { keepAliveMs }),
    ...(slowCloseTimeoutMs === undefined ? {} : { slowCloseTimeoutMs }),
  });
  // What a connection holds, so a test (or an operator) sees it all released when peers vanish.
  registerWsGauges(registry, {
    graphql_ws_connections: ['Open GraphQL WebSocket connections', () => ws.connections()],
    graphql_shared_executions: ['Subscription executions shared by subscribers now (one per distinct operation)', () => ws.sharedExecutions()],
    graphql_replay_slots_in_use: ['complaintRaised(after:) replays holding or waiting for a replay slot', () => liveFeed.replaysInUse()],
  });

  let state: Lifecycle = 'created';
  let closing: Promise<void> | null = null;
  let apolloStarted = false;

  const slackEvents = slackHandler
    ? createSlackRoute({ handler: slackHandler, maxBodyBytes: config.api.slackMaxBodyBytes, rateLimit: config.api.slackRateLimit, ...(options.now ? { now: options.now } : {}) })
    : null;
  const ops = createOpsRoutes({
    registry,
    readinessChecks,
    readinessTimeoutMs,
    metricsToken: config.api.metricsToken,
    production: config.production,
    notServing: () => (state === 'listening' ? null : state),
  });

  const routeOf = (path: string): string => (['/graphql', '/healthz', '/readyz', '/metrics', '/slack/events'].includes(path) ? path : 'other');
  const routeLabel = (path: string): string => {
    const route = routeOf(path);
    if (route !== 'other') return route;
    return path.startsWith('/assets/') ? 'dashboard-asset' : 'other';
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = routeOf(url.pathname);
    res.once('finish', () => {
      apiMetrics.httpResponses.inc({ route: routeLabel(url.pathname), status: String(res.statusCode) });
      // Draining: the keep-alive connection this request leaves idle must not hold the shutdown.
      if (state === 'closing') setImmediate(() => server.closeIdleConnections());
    });
    const method = req.method ?? 'GET';
    switch (route) {
      case GRAPHQL_PATH:
        if (!config.production && isBrowserVisitToGraphQL(req, url)) return redirectToDashboard(res);
        if (cors && (await cors(req, res))) return;
        return graphqlHttp(req, res, url);
      case '/healthz':
      case '/readyz':
      case '/metrics':
        return ops.handle(req, res, route);
      case SLACK_EVENTS_PATH:
        if (slackEvents) return slackEvents(req, res);
        return sendJson(res, 404, { error: 'Slack is not configured on this server' });
      default:
        if (dashboard.handle(req, res, url)) return;
        return sendJson(res, 404, { error: `no route for ${method} ${url.pathname}` });
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err, method: req.method, url: req.url }, 'request failed');
      if (!res.headersSent) sendGraphQLError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
      else res.destroy();
    });
  });
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== GRAPHQL_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    ws.handleUpgrade(req, socket, head);
  });
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    logger.debug({ err }, 'HTTP client error');
  });

  async function shutdown(): Promise<void> {
    const wasListening = state === 'listening';
    state = 'closing';
    // 1. Stop accepting: no new connections; idle keep-alive ones close now.
    const httpClosed = wasListening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    server.closeIdleConnections();
    // 2. Complete subscriptions: clients get 1001 and a reason.
    await ws.close(shutdownTimeoutMs).catch(() => undefined);
    if (ownsLiveFeed) await liveFeed.stop();
    // 3. Drain HTTP: in-flight requests finish, up to the timeout.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([httpClosed, new Promise<void>((resolve) => (timer = setTimeout(resolve, shutdownTimeoutMs)))]);
    clearTimeout(timer);
    server.closeAllConnections();
    await httpClosed;
    if (apolloStarted) await apollo.stop();
    state = 'closed';
    logger.info('API server stopped');
  }

  return {
    liveFeed,
    metrics: apiMetrics,
    schema,
    async listen(port, host = config.host) {
      if (state !== 'created') throw new AppError(ErrorCode.Internal, `listen() called on a server that is ${state}`);
      await apollo.start();
      apolloStarted = true;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      state = 'listening';
      // Tail the topics now, so the first subscriber does not wait for it; a
      // failure here is retried by the first subscriber.
      if (ownsLiveFeed) liveFeed.start().catch((err: unknown) => logger.warn({ err }, 'live feed could not start yet; subscribers will retry'));
      const address = server.address() as AddressInfo;
      const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
      const url = `http://${shown}:${address.port}`;
      logger.info({ url, openAccess: authenticator.open }, 'API server listening');
      if (authenticator.open && !isLoopbackHost(host)) {
        logger.warn({ host }, `ALLOW_OPEN_ACCESS=on: the API listens on ${host} with no API_KEYS; anyone who reaches it is an agent`);
      }
      return { url, graphqlUrl: `${url}${GRAPHQL_PATH}`, wsUrl: `ws://${shown}:${address.port}${GRAPHQL_PATH}`, port: address.port };
    },
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}
