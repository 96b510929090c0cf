/**
 * 5,000 idle authenticated WebSocket connections held for 10 minutes (issue
 * 17, WebSocket faults; `npm run chaos`). The clients live in a child process
 * (so their memory is not counted as the server's); the server is the real API
 * server with its own transport and default keep-alive (a ping every 12 s).
 * Asserted: every socket acknowledged and still open at the end (none dropped
 * by the keep-alive: the pongs came back), every socket received the pings
 * the interval implies, and the server's memory per connection (heap +
 * external after a full GC) within BUDGET_BYTES. Reported, not asserted (the
 * machine is shared): event-loop delay percentiles and RSS.
 * Overrides: CHAOS_WS_SOCKETS (default 5000), CHAOS_WS_IDLE_MS (default 600000).
 */
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { VIEWER_KEY, startApi, until, type Harness } from '../unit/api/harness.js';

const SOCKETS = Number(process.env.CHAOS_WS_SOCKETS ?? 5_000);
const IDLE_MS = Number(process.env.CHAOS_WS_IDLE_MS ?? 600_000);
const KEEPALIVE_MS = 12_000; // the server's default
const BUDGET_BYTES = 20 * 1024;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function serverBytes(): number {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

async function wsConnections(h: Harness): Promise<number> {
  const m = /^graphql_ws_connections (\d+)$/m.exec(await (await fetch(`${h.url}/metrics`)).text());
  return m ? Number(m[1]) : -1;
}

const CLIENT = `
const WebSocket = require('ws');
const [url, key, n] = [process.argv[1], process.argv[2], Number(process.argv[3])];
const pings = new Array(n).fill(0);
let acked = 0, closed = 0, opening = 0, next = 0;
function open() {
  while (opening < 200 && next < n) {
    const i = next++;
    opening++;
    const ws = new WebSocket(url, 'graphql-transport-ws', { perMessageDeflate: false });
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: key } })));
    ws.on('message', (d) => { if (JSON.parse(String(d)).type === 'connection_ack') { acked++; opening--; open(); } });
    ws.on('ping', () => pings[i]++);
    ws.on('close', () => closed++);
    ws.on('error', (e) => console.error('socket', i, e.message));
  }
}
open();
process.stdin.on('data', () => {
  const min = Math.min(...pings);
  process.stdout.write(JSON.stringify({ acked, closed, minPings: min, totalPings: pings.reduce((a, b) => a + b, 0) }) + '\\n');
});
`;

describe('idle WebSocket connections', () => {
  let h: Harness | undefined;
  afterAll(async () => {
    await h?.close();
  });

  it(
    `holds ${SOCKETS} idle authenticated sockets for ${IDLE_MS / 1000} s: pings flow, nobody dropped, memory per connection within ${BUDGET_BYTES / 1024} KiB`,
    async () => {
      const api = await startApi();
      h = api;
      const base = serverBytes();
      const child = spawn(process.execPath, ['-e', CLIENT, api.wsUrl, VIEWER_KEY, String(SOCKETS)], { stdio: ['pipe', 'pipe', 'inherit'] });
      let lines = '';
      const waiting: ((s: { acked: number; closed: number; minPings: number; totalPings: number }) => void)[] = [];
      child.stdout.on('data', (d: Buffer) => {
        lines += String(d);
        let i;
        while ((i = lines.indexOf('\n')) >= 0) {
          const line = lines.slice(0, i);
          lines = lines.slice(i + 1);
          waiting.shift()?.(JSON.parse(line));
        }
      });
      const stats = () =>
        new Promise<{ acked: number; closed: number; minPings: number; totalPings: number }>((resolve) => {
          waiting.push(resolve);
          child.stdin.write('\n');
        });
      try {
        await until(async () => (await stats()).acked === SOCKETS, `${SOCKETS} sockets acknowledged`, 300_000);
        expect(await wsConnections(api)).toBe(SOCKETS);
        const loaded = serverBytes();
        const delay = monitorEventLoopDelay({ resolution: 20 });
        delay.enable();
        const started = Date.now();
        await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
        delay.disable();
        const end = await stats();
        const held = serverBytes();
        const perConnection = (held - base) / SOCKETS;
        const expectedPings = Math.floor((Date.now() - started) / KEEPALIVE_MS) - 1;
        const report = {
          sockets: SOCKETS,
          idleSeconds: IDLE_MS / 1000,
          bytesPerConnectionAtStart: Math.round((loaded - base) / SOCKETS),
          bytesPerConnectionAtEnd: Math.round(perConnection),
          rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
          minPingsPerSocket: end.minPings,
          expectedPingsAtLeast: expectedPings,
          totalPings: end.totalPings,
          eventLoopDelayMs: { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
        };
        console.log(`ws-idle-sockets: ${JSON.stringify(report)}`);
        expect(end.closed).toBe(0);
        expect(await wsConnections(api)).toBe(SOCKETS);
        expect(end.minPings).toBeGreaterThanOrEqual(Math.max(1, expectedPings));
        expect(perConnection).toBeLessThanOrEqual(BUDGET_BYTES);
      } finally {
        child.kill('SIGKILL');
      }
    },
    IDLE_MS + 300_000,
  ); // the idle time, plus opening and checking 5,000 sockets on a loaded machine
});
