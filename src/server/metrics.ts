/**
 * The API's Prometheus metrics, registered on a registry passed in (other
 * roles register theirs on the same one; `GET /metrics` serves it). Creating
 * them twice on one registry reuses the first set.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import type { ApiContext } from '../api/api-context.js';
import { LIVE_STREAMS, type LiveStream } from '../api/live-feed.js';
import { errorCodeOf, isUnexpected } from './error-mapping.js';

export type Transport = 'http' | 'ws';

export interface ApiMetrics {
  readonly requests: Counter<'transport' | 'operation'>;
  readonly errors: Counter<'transport' | 'code'>;
  readonly duration: Histogram<'operation'>;
  readonly delivered: Counter<'field'>;
  readonly slowSubscribers: Counter<'stream'>;
  readonly httpResponses: Counter<'route' | 'status'>;
  /** Counts, times and logs HTTP GraphQL requests. */
  apolloPlugin(logger: Logger): ApolloServerPlugin<ApiContext>;
}

export interface ApiMetricsOptions {
  registry: Registry;
  /** Live subscribers per stream, read at scrape time. */
  subscribers: (stream: LiveStream) => number;
  /** Also register prom-client's default process metrics (once per registry). @default true */
  defaultMetrics?: boolean;
}

function reuse<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** prom-client's default process metrics (CPU, memory, event-loop lag, GC), once per registry. */
export function collectProcessMetrics(registry: Registry): void {
  if (registry.getSingleMetric('process_cpu_user_seconds_total') === undefined) collectDefaultMetrics({ register: registry });
}

export function createApiMetrics({ registry, subscribers, defaultMetrics = true }: ApiMetricsOptions): ApiMetrics {
  if (defaultMetrics) collectProcessMetrics(registry);
  const registers = [registry];
  const requests = reuse(
    registry,
    'graphql_requests_total',
    () => new Counter({ name: 'graphql_requests_total', help: 'GraphQL operations received, by transport and operation type', labelNames: ['transport', 'operation'] as const, registers }),
  );
  const errors = reuse(
    registry,
    'graphql_errors_total',
    () => new Counter({ name: 'graphql_errors_total', help: 'GraphQL errors sent, by transport and extensions.code', labelNames: ['transport', 'code'] as const, registers }),
  );
  const duration = reuse(
    registry,
    'graphql_request_duration_seconds',
    () =>
      new Histogram({
        name: 'graphql_request_duration_seconds',
        help: 'Time to answer an HTTP GraphQL request',
        labelNames: ['operation'] as const,
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers,
      }),
  );
  reuse(
    registry,
    'graphql_active_subscriptions',
    () =>
      new Gauge({
        name: 'graphql_active_subscriptions',
        help: 'Subscribers attached to the live feed, by stream',
        labelNames: ['stream'] as const,
        registers,
        collect() {
          for (const stream of LIVE_STREAMS) this.set({ stream }, subscribers(stream));
        },
      }),
  );
  const delivered = reuse(
    registry,
    'graphql_subscription_events_delivered_total',
    () => new Counter({ name: 'graphql_subscription_events_delivered_total', help: 'Subscription events sent to WebSocket clients, by subscription field', labelNames: ['field'] as const, registers }),
  );
  const slowSubscribers = reuse(
    registry,
    'graphql_slow_subscribers_dropped_total',
    () => new Counter({ name: 'graphql_slow_subscribers_dropped_total', help: 'Subscribers disconnected because their buffer overflowed, by stream', labelNames: ['stream'] as const, registers }),
  );
  const httpResponses = reuse(
    registry,
    'api_http_responses_total',
    () => new Counter({ name: 'api_http_responses_total', help: 'HTTP responses of the API server, by route and status', labelNames: ['route', 'status'] as const, registers }),
  );

  return {
    requests,
    errors,
    duration,
    delivered,
    slowSubscribers,
    httpResponses,
    apolloPlugin(logger) {
      return {
        async requestDidStart() {
          const started = process.hrtime.bigint();
          let operation = 'unknown';
          return {
            async didResolveOperation(rc) {
              operation = rc.operation?.operation ?? 'unknown';
            },
            async didEncounterErrors(rc) {
              for (const error of rc.errors) {
                errors.inc({ transport: 'http', code: errorCodeOf(error) });
                if (isUnexpected(error)) logger.error({ err: error.originalError ?? error, path: error.path, operationName: rc.operationName }, 'GraphQL request failed');
                else logger.debug({ code: errorCodeOf(error), message: error.message, path: error.path }, 'GraphQL error');
              }
            },
            async willSendResponse() {
              requests.inc({ transport: 'http', operation });
              duration.observe({ operation }, Number(process.hrtime.bigint() - started) / 1e9);
            },
          };
        },
      };
    },
  };
}

/** Gauges read at scrape time; a name already on the registry is left as it is. */
export function registerWsGauges(registry: Registry, gauges: Readonly<Record<string, readonly [help: string, read: () => number]>>): void {
  for (const [name, [help, read]] of Object.entries(gauges)) {
    if (registry.getSingleMetric(name)) continue;
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  }
}
