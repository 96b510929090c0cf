/**
 * Peers that vanish (issue 17, WebSocket faults), against the real API server
 * and its own transport:
 * - 1,000 subscribers (live complaints, live ratings, and complaintRaised
 *   replays from a cursor) cut by a TCP reset: every listener, shared
 *   execution and replay slot is released; read from GET /metrics
 *   (`graphql_active_subscriptions`, `graphql_shared_executions`,
 *   `graphql_replay_slots_in_use`, `graphql_ws_connections`), waited for, not slept on.
 * - A half-open peer (a client process frozen with SIGSTOP: its kernel still
 *   holds the TCP connection, nothing answers the pings): the keep-alive frees
 *   it within its window (two ping intervals).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { VIEWER_KEY, collect, customer, raise, rating, startApi, until, wsClient, type Harness } from './harness.js';

async function gauges(h: Harness): Promise<Record<string, number>> {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  const out: Record<string, number> = { subscribers: 0 };
  for (const line of text.split('\n')) {
    const m = /^(graphql_active_subscriptions|graphql_shared_executions|graphql_replay_slots_in_use|graphql_ws_connections)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m) continue;
    if (m[1] === 'graphql_active_subscriptions') out.subscribers! += Number(m[3]);
    else out[m[1]!] = Number(m[3]);
  }
  return out;
}

/** A raw graphql-transport-ws subscriber; resolves once its subscription was sent after the ack. */
function subscriber(url: string, query: string, variables?: Record<string, unknown>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'graphql-transport-ws');
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: VIEWER_KEY } })));
    ws.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type !== 'connection_ack') return;
      ws.send(JSON.stringify({ type: 'subscribe', id: '1', payload: { query, ...(variables ? { variables } : {}) } }));
      ws.removeAllListeners('error');
      ws.on('error', () => undefined); // the reset below
      resolve(ws);
    });
  });
}

describe('WebSocket peers that vanish', () => {
  let h: Harness | undefined;
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      child.kill('SIGCONT');
    }
    child = undefined;
    await h?.close();
    h = undefined;
  });

  it('releases every listener, shared execution and replay slot of 1,000 subscribers cut by a TCP reset', async () => {
    // 1,000 subscribe messages from one key in a few seconds would exhaust its rate bucket (100/s):
    // the subscribers refused with RATE_LIMITED never attached, which is what kept this case from passing.
    const api = await startApi({ env: { RATE_LIMIT_VIEWER: 'off' } });
    h = api;
    // A cursor to resume from: the first complaint's.
    const first = collect<{ complaintRaised: { cursor: string } }>(wsClient(api), 'subscription { complaintRaised { cursor } }');
    await until(() => api.server.liveFeed.subscriberCount('complaints') === 1, 'the first subscriber');
    const c = customer(1);
    await raise(api, [rating(1, c), rating(2, c)]);
    const [r] = await first.waitFor(1);
    const cursor = r!.data!.complaintRaised.cursor;
    first.dispose();
    await until(async () => (await gauges(api)).subscribers === 0, 'the first subscriber gone', 30_000);

    const N = 1_000;
    const sockets: WebSocket[] = [];
    for (let i = 0; i < N; i += 50) {
      sockets.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(50, N - i) }, (_, j) => {
            const k = i + j;
            // 20 replays through the 4 replay slots: few enough that none waits out the 30 s slot queue on a loaded machine.
            if (k % 50 === 0) return subscriber(api.wsUrl, 'subscription($after: String) { complaintRaised(after: $after) { cursor } }', { after: cursor });
            if (k % 10 === 1) return subscriber(api.wsUrl, 'subscription { ratingAdded { id stars } }');
            return subscriber(api.wsUrl, `subscription { complaintRaised { cursor complaint { id status } } }`);
          }),
        )),
      );
    }
    await until(async () => (await gauges(api)).subscribers === N, `${N} subscribers attached`, 240_000);
    const before = await gauges(api);
    expect(before).toMatchObject({ graphql_ws_connections: N, subscribers: N });
    expect(before.graphql_shared_executions).toBeGreaterThanOrEqual(2);
    expect(before.graphql_shared_executions).toBeLessThan(N / 10); // shared, not one per subscriber

    for (const ws of sockets) (ws as unknown as { _socket: Socket })._socket.resetAndDestroy();
    await until(
      async () => {
        const g = await gauges(api);
        return g.subscribers === 0 && g.graphql_shared_executions === 0 && g.graphql_replay_slots_in_use === 0 && g.graphql_ws_connections === 0;
      },
      'everything released after the resets',
      120_000,
    );
    // The server still serves: a new subscriber gets a new complaint.
    const after = collect<{ complaintRaised: { cursor: string } }>(wsClient(api), 'subscription { complaintRaised { cursor } }');
    await until(() => api.server.liveFeed.subscriberCount('complaints') === 1, 'a new subscriber');
    await raise(api, [rating(3, c)]);
    await after.waitFor(1);
    after.dispose();
  }, 300_000);

  it('frees a half-open peer (client process frozen by SIGSTOP) within the keep-alive window', async () => {
    const api = await startApi({ keepAliveMs: 1_000 });
    h = api;
    const script = `
      const WebSocket = require('ws');
      const ws = new WebSocket(process.argv[1], 'graphql-transport-ws');
      ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: process.argv[2] } })));
      ws.on('message', (d) => {
        if (JSON.parse(String(d)).type !== 'connection_ack') return;
        ws.send(JSON.stringify({ type: 'subscribe', id: '1', payload: { query: 'subscription { complaintRaised { cursor } }' } }));
        console.log('subscribed');
      });
      ws.on('ping', () => console.log('ping'));`;
    child = spawn(process.execPath, ['-e', script, api.wsUrl, VIEWER_KEY], { stdio: ['ignore', 'pipe', 'inherit'] });
    const c = child;
    await new Promise<void>((resolve, reject) => {
      c.stdout!.on('data', (d: Buffer) => String(d).includes('subscribed') && resolve());
      c.once('exit', (code) => reject(new Error(`client exited ${code}`)));
    });
    await until(async () => (await gauges(api)).subscribers === 1, 'the client subscribed', 30_000);
    // Pings flow and are answered while it runs: it is still there after several intervals.
    await new Promise<void>((resolve) => {
      let pings = 0;
      c.stdout!.on('data', (d: Buffer) => (pings += String(d).split('ping').length - 1) >= 3 && resolve());
    });
    expect((await gauges(api)).graphql_ws_connections).toBe(1);
    c.kill('SIGSTOP'); // no FIN, no RST: the kernel keeps the connection, nobody answers
    await until(
      async () => {
        const g = await gauges(api);
        return g.graphql_ws_connections === 0 && g.subscribers === 0 && g.graphql_shared_executions === 0;
      },
      'the frozen peer terminated by the keep-alive',
      60_000,
    );
    c.kill('SIGKILL');
    c.kill('SIGCONT');
  }, 120_000);
});
