/**
 * A process without the api role still answers an orchestrator's probes and a
 * scraper: GET /healthz, /readyz (the readiness of the roles it runs) and
 * /metrics on PORT, and nothing else (src/server/ops-server.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProduct, type Product } from '../../../src/compose.js';
import { loadConfig } from '../../../src/config.js';
import { silentLogger } from '../../../src/logger.js';
import { until } from './harness.js';
import { startSlackRecorder, type SlackRecorder } from '../../support/slack-recorder.js';
import { signedHeaders } from '../../support/slack-signing.js';

describe('the operator listener of a stream and sink process (no api role)', () => {
  let product: Product;
  let url: string;
  beforeAll(async () => {
    product = await createProduct(loadConfig({ ROLES: 'stream,sink', PORT: '0', HOST: '127.0.0.1', DEMO: 'off', METRICS_TOKEN: 'scrape-me-0123456789' }), silentLogger);
    await product.start();
    expect(product.address).toBeNull(); // no GraphQL here
    url = product.opsUrl!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
  afterAll(() => product?.stop());

  it('is up, and ready once the roles it runs are', async () => {
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
    await until(async () => (await fetch(`${url}/readyz`)).status === 200, 'the process to be ready');
    const ready = (await (await fetch(`${url}/readyz`)).json()) as { status: string; checks: Record<string, string> };
    expect(ready).toEqual({ status: 'ready', checks: { 'event-log': 'ok', 'search-index': 'ok', 'customers-table': 'ok', stream: 'ok' } });
  });

  it('serves the stream metrics and the process metrics behind METRICS_TOKEN', async () => {
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    const res = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer scrape-me-0123456789' } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds /m);
    expect(text).toMatch(/^stream_processor_messages_total\{processor="enrich-ratings"\} /m);
  });

  it('answers nothing else: no GraphQL, no dashboard, GET only', async () => {
    expect((await fetch(`${url}/graphql`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await fetch(`${url}/`)).status).toBe(404);
    expect((await fetch(`${url}/healthz`, { method: 'POST' })).status).toBe(405);
  });

  it('stops listening when the process stops', async () => {
    const p = await createProduct(loadConfig({ ROLES: 'stream', PORT: '0', HOST: '127.0.0.1', DEMO: 'off' }), silentLogger);
    await p.start();
    const u = p.opsUrl!;
    expect((await fetch(`${u}/healthz`)).status).toBe(200);
    await p.stop();
    await expect(fetch(`${u}/healthz`)).rejects.toThrow();
  });
});

describe('the operator listener of a Slack process in HTTP mode (ROLES=slack)', () => {
  const secret = 'test-signing-secret-0123456789abcdef';
  let recorder: SlackRecorder;
  let product: Product;
  let events: string;
  beforeAll(async () => {
    recorder = await startSlackRecorder();
    const config = loadConfig({
      ROLES: 'slack',
      PORT: '0',
      HOST: '127.0.0.1',
      DEMO: 'off',
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: secret,
      SLACK_CHANNEL: 'C0COMPLAINTS',
      SLACK_API_URL: recorder.apiUrl,
      SLACK_RATE_LIMIT: '4/m',
    });
    product = await createProduct(config, silentLogger);
    await product.start();
    events = `${product.opsUrl!}/slack/events`;
  });
  afterAll(async () => {
    await product?.stop();
    await recorder?.close();
  });

  it('hands POST /slack/events to Bolt, which checks the signature and answers a URL verification', async () => {
    const body = JSON.stringify({ type: 'url_verification', token: 'legacy', challenge: 'challenge-7b3f' });
    const ok = await fetch(events, { method: 'POST', headers: signedHeaders(body, secret, { contentType: 'application/json' }), body });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('challenge-7b3f');
    const forged = await fetch(events, { method: 'POST', headers: signedHeaders(body, 'not-the-secret-0123456789abcdef', { contentType: 'application/json' }), body });
    expect(forged.status).toBe(401);
    expect((await fetch(events)).status).toBe(405);
  });

  it('limits the door per address (SLACK_RATE_LIMIT): past the bucket, 429 with retry-after and the body unread', async () => {
    const body = JSON.stringify({ type: 'url_verification', token: 'legacy', challenge: 'again' });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 6; i++) {
      const res = await fetch(events, { method: 'POST', headers: signedHeaders(body, secret, { contentType: 'application/json' }), body });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
      await res.arrayBuffer();
    }
    // The first test's two POSTs took 2 of the 4 tokens (its GET was refused before the bucket); one comes back every 15 s.
    const first = statuses.indexOf(429);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThanOrEqual(2);
    expect(statuses.slice(0, first).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(first).every((s) => s === 429)).toBe(true);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });
});
