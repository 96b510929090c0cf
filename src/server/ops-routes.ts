/**
 * The operator's routes, served by every process: `GET /healthz` (the process
 * is up), `GET /readyz` (every readiness check passes, each within its
 * timeout) and `GET /metrics` (Prometheus text; behind METRICS_TOKEN when it
 * is set). The API server serves them beside GraphQL; a process without the
 * `api` role serves them alone (src/server/ops-server.ts), so that an
 * orchestrator can probe stream and sink processes too.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { AppError, ErrorCode } from '../errors.js';

/** A named readiness condition. Not ready when it resolves false, throws, or takes longer than the check timeout. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<boolean | void>;
}

export interface Readiness {
  readonly ready: boolean;
  /** Check name → `ok`, `not ready`, `timed out after N ms` or `failed[: reason]`. */
  readonly checks: Record<string, string>;
}

export const OPS_PATHS = ['/healthz', '/readyz', '/metrics'] as const;
export type OpsPath = (typeof OPS_PATHS)[number];

export const isOpsPath = (path: string): path is OpsPath => (OPS_PATHS as readonly string[]).includes(path);

export interface OpsRoutesOptions {
  registry: Registry;
  readinessChecks: readonly ReadinessCheck[];
  /** Longest wait for each readiness check, ms. */
  readinessTimeoutMs: number;
  /** Bearer token GET /metrics requires; null: open. */
  metricsToken: string | null;
  /** Failure reasons are not shown in production. */
  production: boolean;
  /** Not ready while this says why (for example `closing`); null when serving. */
  notServing: () => string | null;
}

export interface OpsRoutes {
  readiness(): Promise<Readiness>;
  /** Answers one of {@link OPS_PATHS}. */
  handle(req: IncomingMessage, res: ServerResponse, path: OpsPath): Promise<void>;
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...headers });
  res.end(body);
}

export function createOpsRoutes(o: OpsRoutesOptions): OpsRoutes {
  const names = new Set<string>();
  for (const c of o.readinessChecks) {
    if (names.has(c.name)) throw new AppError(ErrorCode.Internal, `readiness check ${JSON.stringify(c.name)} is given twice`);
    names.add(c.name);
  }
  const sha256 = (v: string): Buffer => createHash('sha256').update(v, 'utf8').digest();
  const tokenDigest = o.metricsToken === null ? null : sha256(o.metricsToken);
  /** Compares digests, so the time taken does not depend on how much of a guess is right. */
  const bearerMatches = (header: string | undefined, expected: Buffer): boolean => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    return m !== null && timingSafeEqual(sha256(m[1] as string), expected);
  };

  async function readiness(): Promise<Readiness> {
    const why = o.notServing();
    if (why !== null) return { ready: false, checks: { server: why } };
    const results = await Promise.all(
      o.readinessChecks.map(async (c): Promise<[string, string]> => {
        let timer: NodeJS.Timeout | undefined;
        try {
          const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), o.readinessTimeoutMs)));
          const r = await Promise.race([c.check(), timeout]);
          return [c.name, r === 'timeout' ? `timed out after ${o.readinessTimeoutMs} ms` : r === false ? 'not ready' : 'ok'];
        } catch (e) {
          return [c.name, o.production ? 'failed' : `failed: ${e instanceof Error ? e.message : String(e)}`];
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    return { ready: results.every(([, r]) => r === 'ok'), checks: Object.fromEntries(results) };
  }

  return {
    readiness,
    async handle(req, res, path) {
      const method = req.method ?? 'GET';
      if (method !== 'GET' && method !== 'HEAD') return sendJson(res, 405, { error: 'use GET' });
      switch (path) {
        case '/healthz':
          return sendJson(res, 200, { status: 'ok' });
        case '/readyz': {
          const r = await readiness();
          return sendJson(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not ready', checks: r.checks });
        }
        case '/metrics': {
          if (tokenDigest !== null && !bearerMatches(req.headers.authorization, tokenDigest)) {
            res.setHeader('www-authenticate', 'Bearer realm="metrics"');
            return sendJson(res, 401, { error: 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>' });
          }
          const text = await o.registry.metrics();
          res.writeHead(200, { 'content-type': o.registry.contentType, 'cache-control': 'no-store' });
          res.end(text);
          return;
        }
      }
    },
  };
}
