/**
 * CORS on /graphql: a dashboard on a listed origin can preflight (without a
 * key) and then read answers; other origins get no CORS headers; without
 * CORS_ORIGINS nothing changes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { ConfigError } from '../../../src/errors.js';
import { VIEWER_KEY, startApi, type Harness } from './harness.js';

const DASHBOARD = 'https://dashboards.example.com';
const query = JSON.stringify({ query: '{ __typename }' });

describe('CORS', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const preflight = (origin: string) =>
    fetch(h!.graphqlUrl, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
  const post = (origin: string) => fetch(h!.graphqlUrl, { method: 'POST', headers: { origin, authorization: `Bearer ${VIEWER_KEY}`, 'content-type': 'application/json' }, body: query });

  it('answers a preflight from a listed origin before authentication, and marks answers for it', async () => {
    h = await startApi({ env: { CORS_ORIGINS: `${DASHBOARD},http://localhost:3000` } });
    const pre = await preflight(DASHBOARD);
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect(pre.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
    const res = await post(DASHBOARD);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
    expect(res.headers.get('vary')).toMatch(/origin/i);
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('gives an origin not listed no CORS headers (the browser withholds the answer)', async () => {
    h = await startApi({ env: { CORS_ORIGINS: DASHBOARD } });
    const pre = await preflight('https://evil.example.org');
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const res = await post('https://evil.example.org');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows any origin with *', async () => {
    h = await startApi({ env: { CORS_ORIGINS: '*' } });
    expect((await post('https://anywhere.example')).headers.get('access-control-allow-origin')).toBe('*');
  });

  it('sends no CORS headers when CORS_ORIGINS is unset, and a preflight is not let past authentication', async () => {
    h = await startApi();
    const pre = await preflight(DASHBOARD);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.status).toBe(401);
    expect((await post(DASHBOARD)).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses an entry that is not an origin, naming the variable', () => {
    expect(() => loadConfig({ CORS_ORIGINS: 'https://dashboards.example.com/app' })).toThrow(ConfigError);
    expect(() => loadConfig({ CORS_ORIGINS: 'dashboards.example.com' })).toThrow(/CORS_ORIGINS/);
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, http://b.example:8080' }).api.corsOrigins).toEqual(['https://a.example', 'http://b.example:8080']);
  });
});
