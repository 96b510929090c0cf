/**
 * The HTTP listener of a process without the `api` role (`ROLES=stream`,
 * `ROLES=sink`, ...): only the operator's routes, `GET /healthz`, `/readyz`
 * and `/metrics` (src/server/ops-routes.ts), on PORT and HOST, so that an
 * orchestrator can probe and scrape stream and sink processes as it does API
 * instances. With the Slack role in HTTP mode it also serves
 * `POST /slack/events` (src/server/slack-route.ts, with its rate and size
 * limits), since Slack must reach the role wherever it runs. Anything else
 * answers 404; a slow client is cut off by the server's own limits.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { createOpsRoutes, isOpsPath, sendJson, type ReadinessCheck } from './ops-routes.js';
import { SLACK_EVENTS_PATH, createSlackRoute, type SlackRouteOptions } from './slack-route.js';

export interface OpsServerOptions {
  registry: Registry;
  readinessChecks: readonly ReadinessCheck[];
  /** Bearer token GET /metrics requires (METRICS_TOKEN); null: open. */
  metricsToken: string | null;
  production: boolean;
  logger: Logger;
  /** Longest wait for each readiness check. @default 2_000 // ms */
  readinessTimeoutMs?: number;
  /** The Slack role's HTTP door, when this process runs it. */
  slack?: SlackRouteOptions;
}

export interface OpsServer {
  /** Listens; resolves with the base URL. */
  listen(port: number, host: string): Promise<{ url: string }>;
  /** Stops listening and closes every connection. Idempotent. */
  close(): Promise<void>;
}

/** Connections an operator's scraper and probes need, with room to spare; more are refused by the kernel backlog. */
const MAX_CONNECTIONS = 64;

export function createOpsServer(o: OpsServerOptions): OpsServer {
  let serving = false;
  const ops = createOpsRoutes({
    registry: o.registry,
    readinessChecks: o.readinessChecks,
    readinessTimeoutMs: o.readinessTimeoutMs ?? 2_000,
    metricsToken: o.metricsToken,
    production: o.production,
    notServing: () => (serving ? null : 'closing'),
  });
  const slackEvents = o.slack ? createSlackRoute(o.slack) : null;
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const handled = path === SLACK_EVENTS_PATH && slackEvents ? slackEvents(req, res) : isOpsPath(path) ? ops.handle(req, res, path) : null;
    if (handled === null) {
      return sendJson(res, 404, { error: `no route for ${req.method ?? 'GET'} ${path}; this process runs no api role (GET /healthz, /readyz, /metrics${slackEvents ? ', POST /slack/events' : ''})` });
    }
    handled.catch((err: unknown) => {
      o.logger.error({ err, path }, 'operator request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.maxHeadersCount = 50;
  let closing: Promise<void> | null = null;

  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          serving = true;
          const a = server.address() as AddressInfo;
          const shownHost = a.family === 'IPv6' ? `[${a.address}]` : a.address;
          resolve({ url: `http://${shownHost}:${a.port}` });
        });
      });
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        serving = false;
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
