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
