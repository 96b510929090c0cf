import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { VIEWER_KEY, collect, deferred, gql, startApi, until, wsClient, type Harness } from './harness.js';

describe('API server routes and lifecycle', () => {
  let h: Harness;
  let kafkaUp = false;
  const slackCalls: string[] = [];
  beforeAll(async () => {
    h = await startApi({
      readinessChecks: [
        { name: 'kafka', check: async () => kafkaUp },
        { name: 'elasticsearch', check: async () => true },
      ],
      slackHandler: (req, res) => {
        slackCalls.push(`${req.method} ${req.url}`);
        res.writeHead(200, { 'content-type': 'text/plain' }).end('slack ok');
      },
    });
  });
  afterAll(() => h.close());

  it('is alive on /healthz', async () => {
    const res = await fetch(`${h.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('is ready on /readyz only when every check passes, naming the failing one', async () => {
    const notReady = await fetch(`${h.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ status: 'not ready', checks: { kafka: 'not ready', elasticsearch: 'ok' } });
    kafkaUp = true;
    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { kafka: 'ok', elasticsearch: 'ok' } });
  });

  it('serves Prometheus metrics: requests, errors, latency, subscriptions, process', async () => {
    await gql(h, '{ __typename }');
    await gql(h, '{ rating(id: "x") { id } }');
    const client = wsClient(h);
    const sub = collect(client, 'subscription { complaintUpdated { id } }');
    await until(() => h.server.liveFeed.subscriberCount('acknowledgements') === 1, 'the subscriber to attach');
    const res = await fetch(`${h.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/graphql_requests_total\{transport="http",operation="query"\} \d+/);
    expect(text).toMatch(/graphql_errors_total\{transport="http",code="BAD_USER_INPUT"\} 1/);
    expect(text).toMatch(/graphql_request_duration_seconds_bucket\{le="0.1",operation="query"\} \d+/);
    expect(text).toMatch(/graphql_active_subscriptions\{stream="acknowledgements"\} 1/);
    expect(text).toContain('graphql_subscription_events_delivered_total');
    expect(text).toContain('graphql_slow_subscribers_dropped_total');
    expect(text).toContain('process_cpu_user_seconds_total');
    sub.dispose();
    await client.dispose();
  });

  it('hands POST /slack/events to the Slack handler', async () => {
    const res = await fetch(`${h.url}/slack/events`, { method: 'POST', body: 'payload=1' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('slack ok');
    expect(slackCalls).toEqual(['POST /slack/events']);
  });

  it('answers 404 for other paths, and for /slack/events without a Slack app', async () => {
    expect((await fetch(`${h.url}/nope`)).status).toBe(404);
    const bare = await startApi();
    try {
      expect((await fetch(`${bare.url}/slack/events`, { method: 'POST', body: '' })).status).toBe(404);
    } finally {
      await bare.close();
    }
  });

  it('serves queries over GET too', async () => {
    const res = await fetch(`${h.graphqlUrl}?query=${encodeURIComponent('{ __typename }')}`, { headers: { authorization: `Bearer ${VIEWER_KEY}`, 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('shuts down gracefully: subscriptions end with 1001 and a reason, in-flight requests finish, then nothing is accepted', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const entered = deferred();
    const s = await startApi({
      wrapSearch: (search) => Object.assign(Object.create(search), { getRating: async (id: string) => (entered.resolve(), await gate, search.getRating(id)) }),
    });
    const closed = deferred<{ code: number; reason: string }>();
    const ws = new WebSocket(s.wsUrl, 'graphql-transport-ws');
    ws.on('close', (code, reason) => closed.resolve({ code, reason: reason.toString() }));
    const acked = deferred();
    ws.on('message', (d) => JSON.parse(String(d)).type === 'connection_ack' && acked.resolve());
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: VIEWER_KEY } })));
    await acked.promise;

    const inFlight = gql(s, '{ rating(id: "1") { id } }');
    await entered.promise;
    const closing = s.close();
    expect(await closed.promise).toEqual({ code: 1001, reason: 'server shutting down' });
    release();
    expect((await inFlight).status).toBe(200);
    await closing;
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
  });
});
