/**
 * The operational dashboard (web/, built by scripts/build-web.ts into
 * dist/web/): static files served by the API server itself, with no request
 * to any other host.
 *
 * - `GET /` and the dashboard's own paths (`/complaints`, `/complaints/<id>`,
 *   `/search`, `/pipeline`) answer `index.html`, revalidated on every load
 *   (`cache-control: no-cache`, an ETag), so a deployment is picked up at once;
 * - `GET /assets/<name>-<hash>.<ext>` answers the hashed bundle, cached for a
 *   year (`immutable`): a new build has new names;
 * - each file is sent brotli- or gzip-compressed when the build left a `.br` /
 *   `.gz` twin and the browser accepts it (`vary: accept-encoding`).
 *
 * Files are read once, when the server is created (the bundle is small); a
 * missing build answers 404 with what to run.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Paths of the single-page app; each answers index.html and the app routes on the client. */
const APP_PATHS = /^\/(?:complaints(?:\/[^/]{1,64})?|search|pipeline)?\/?$/;
const ASSET_PREFIX = '/assets/';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Served with every dashboard document: scripts, styles and connections only
 * from this origin (the WebSocket too), no framing.
 */
export const DASHBOARD_CSP = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

interface StaticFile {
  readonly type: string;
  readonly etag: string;
  readonly identity: Buffer;
  readonly br?: Buffer;
  readonly gzip?: Buffer;
}

export interface DashboardHandler {
  /** True when it answered (a dashboard path or asset); false leaves the request to the caller. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): boolean;
  /** False when no build was found (the handler then answers with how to build it). */
  readonly built: boolean;
}

/** dist/web above this module: works from src/server (tsx) and from dist/src/server (after a build). */
export function dashboardDir(from: string = dirname(fileURLToPath(import.meta.url))): string | null {
  for (let dir = from, i = 0; i < 8; i++, dir = dirname(dir)) {
    const candidate = join(dir, 'dist', 'web');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  }
  return null;
}

function load(path: string): StaticFile {
  const identity = readFileSync(path);
  const twin = (suffix: string): Buffer | undefined => (existsSync(path + suffix) ? readFileSync(path + suffix) : undefined);
  const br = twin('.br');
  const gzip = twin('.gz');
  return {
    type: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(identity).digest('base64url').slice(0, 22)}"`,
    identity,
    ...(br ? { br } : {}),
    ...(gzip ? { gzip } : {}),
  };
}

/** `br`, `gzip` or identity, by the request's Accept-Encoding (q=0 refuses). */
function pickEncoding(accept: string | undefined, file: StaticFile): 'br' | 'gzip' | null {
  if (!accept) return null;
  const accepted = new Set(
    accept
      .split(',')
      .map((part) => part.trim().split(';'))
      .filter(([, q]) => !q || !/^\s*q=0(?:\.0*)?\s*$/.test(q))
      .map(([name]) => (name ?? '').trim().toLowerCase()),
  );
  if (file.br && accepted.has('br')) return 'br';
  if (file.gzip && accepted.has('gzip')) return 'gzip';
  return null;
}

export function createDashboardHandler({ dir = dashboardDir() }: { dir?: string | null } = {}): DashboardHandler {
  const files = new Map<string, StaticFile>();
  let index: StaticFile | null = null;
  if (dir !== null && existsSync(join(dir, 'index.html'))) {
    index = load(join(dir, 'index.html'));
    const assets = join(dir, 'assets');
    if (existsSync(assets)) {
      for (const name of readdirSync(assets)) {
        if (name.endsWith('.br') || name.endsWith('.gz') || name.endsWith('.map')) continue;
        files.set(name, load(join(assets, name)));
      }
    }
  }

  function send(req: IncomingMessage, res: ServerResponse, file: StaticFile, cacheControl: string, extra: Record<string, string> = {}): void {
    const headers: Record<string, string | number> = {
      'content-type': file.type,
      'cache-control': cacheControl,
      etag: file.etag,
      vary: 'accept-encoding',
      'x-content-type-options': 'nosniff',
      ...extra,
    };
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const encoding = pickEncoding(req.headers['accept-encoding'], file);
    const body = encoding === 'br' ? file.br! : encoding === 'gzip' ? file.gzip! : file.identity;
    if (encoding) headers['content-encoding'] = encoding;
    headers['content-length'] = body.length;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  function notFound(res: ServerResponse, text: string): void {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  return {
    built: index !== null,
    handle(req, res, url) {
      const method = req.method ?? 'GET';
      if (method !== 'GET' && method !== 'HEAD') return false;
      const path = url.pathname;
      if (path.startsWith(ASSET_PREFIX)) {
        const file = files.get(path.slice(ASSET_PREFIX.length));
        if (!file) notFound(res, `no dashboard asset ${path}`);
        else send(req, res, file, 'public, max-age=31536000, immutable');
        return true;
      }
      if (!APP_PATHS.test(path)) return false;
      if (index === null) {
        notFound(res, 'The dashboard is not built: run `npm run build` (npm ci does it too), then restart.\nThe GraphQL API is at /graphql.\n');
        return true;
      }
      send(req, res, index, 'no-cache', { 'content-security-policy': DASHBOARD_CSP, 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' });
      return true;
    },
  };
}

/**
 * A browser opening `/graphql` (GET, asks for HTML, no `query`): outside
 * production it is sent to the dashboard instead of Apollo's landing page,
 * which loads from a CDN.
 */
export function isBrowserVisitToGraphQL(req: IncomingMessage, url: URL): boolean {
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (url.searchParams.has('query')) return false;
  return (req.headers.accept ?? '').toLowerCase().includes('text/html');
}

export function redirectToDashboard(res: ServerResponse): void {
  const body =
    '<!doctype html><meta charset="utf-8"><title>Feedback gateway</title><p>This is the GraphQL endpoint (POST, or GET with <code>?query=</code>). The dashboard is at <a href="/">/</a>.</p>\n';
  res.writeHead(302, { location: '/', 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
