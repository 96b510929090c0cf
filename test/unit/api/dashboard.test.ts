import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboardHandler } from '../../../src/server/dashboard.js';
import { AGENT_KEY, gql, startApi, VIEWER_KEY, type Harness } from './harness.js';

/** A built dashboard in a temporary folder, served by the handler on a real server. */
describe('dashboard static files', () => {
  let dir: string;
  let server: Server;
  let base: string;
  const js = 'console.log("dashboard");'.repeat(20);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dashboard-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title><script type="module" src="/assets/main-ABC123.js"></script>');
    writeFileSync(join(dir, 'assets', 'main-ABC123.js'), js);
    writeFileSync(join(dir, 'assets', 'main-ABC123.js.br'), brotliCompressSync(js));
    writeFileSync(join(dir, 'assets', 'main-ABC123.js.gz'), gzipSync(js));
    writeFileSync(join(dir, 'assets', 'main-XYZ789.css'), 'body{}');
    const handler = createDashboardHandler({ dir });
    server = createServer((req, res) => {
      if (!handler.handle(req, res, new URL(req.url ?? '/', 'http://x'))) {
        res.writeHead(418);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers index.html for / and every dashboard path, revalidated on each load, with a same-origin CSP', async () => {
    for (const path of ['/', '/complaints', '/complaints/1795596831514', '/search', '/pipeline', '/pipeline/']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(await res.text()).toContain('/assets/main-ABC123.js');
    }
  });

  it('leaves other paths and methods to the caller', async () => {
    expect((await fetch(`${base}/complaints/1/2`)).status).toBe(418);
    expect((await fetch(`${base}/favicon.ico`)).status).toBe(418);
    expect((await fetch(`${base}/`, { method: 'POST', body: 'x' })).status).toBe(418);
  });

  it('serves hashed assets for a year, brotli or gzip as accepted, identity otherwise', async () => {
    const br = await fetch(`${base}/assets/main-ABC123.js`, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(br.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('vary')).toBe('accept-encoding');
    expect(await br.text()).toBe(js);
    const gz = await fetch(`${base}/assets/main-ABC123.js`, { headers: { 'accept-encoding': 'gzip, br;q=0' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(await gz.text()).toBe(js);
    const css = await fetch(`${base}/assets/main-XYZ789.css`, { headers: { 'accept-encoding': 'br' } });
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.headers.get('content-encoding')).toBeNull();
    expect(await css.text()).toBe('body{}');
  });

  it('answers 304 to a matching If-None-Match, 404 to an unknown asset', async () => {
    const first = await fetch(`${base}/`);
    const again = await fetch(`${base}/`, { headers: { 'if-none-match': first.headers.get('etag') ?? '' } });
    expect(again.status).toBe(304);
    expect((await fetch(`${base}/assets/main-OLD000.js`)).status).toBe(404);
  });

  it('says how to build the dashboard when it is not built', async () => {
    const handler = createDashboardHandler({ dir: join(dir, 'missing') });
    expect(handler.built).toBe(false);
    const s = createServer((req, res) => void handler.handle(req, res, new URL(req.url ?? '/', 'http://x')));
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('npm run build');
    await new Promise((r) => s.close(r));
  });
});

describe('the API for the dashboard', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startApi();
  });
  afterAll(async () => h.close());

  it('tells the caller who it is (Query.viewer)', async () => {
    expect((await gql(h, '{ viewer { name role openAccess } }', undefined, VIEWER_KEY)).body.data).toEqual({ viewer: { name: 'vera', role: 'VIEWER', openAccess: false } });
    expect((await gql(h, '{ viewer { name role openAccess } }', undefined, AGENT_KEY)).body.data).toEqual({ viewer: { name: 'alice', role: 'AGENT', openAccess: false } });
    const open = await startApi({ env: { API_KEYS: '' } });
    try {
      expect((await gql(open, '{ viewer { name role openAccess } }', undefined, null)).body.data).toEqual({ viewer: { name: 'anonymous', role: 'AGENT', openAccess: true } });
    } finally {
      await open.close();
    }
  });

  it('sends a browser opening /graphql to the dashboard, and still answers GraphQL GETs', async () => {
    const visit = await fetch(h.graphqlUrl, { headers: { accept: 'text/html,application/xhtml+xml' }, redirect: 'manual' });
    expect(visit.status).toBe(302);
    expect(visit.headers.get('location')).toBe('/');
    const query = await fetch(`${h.graphqlUrl}?query=${encodeURIComponent('{ viewer { role } }')}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true', authorization: `Bearer ${VIEWER_KEY}` },
    });
    expect(await query.json()).toEqual({ data: { viewer: { role: 'VIEWER' } } });
  });

  it('keeps Apollo landing page off in production: a browser visit is not redirected', async () => {
    const prod = await startApi({ env: { NODE_ENV: 'production' } });
    try {
      const visit = await fetch(prod.graphqlUrl, { headers: { accept: 'text/html' }, redirect: 'manual' });
      expect(visit.status).not.toBe(302);
      expect(await visit.text()).not.toContain('apollo-server-landing-page');
    } finally {
      await prod.close();
    }
  });
});
