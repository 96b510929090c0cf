/**
 * Starts the product as a user runs it: `node dist/src/main.js` (built by
 * `npm run build`, which `npm test` runs first) in a child process, configured
 * only through environment variables, on a free port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import type { LiveStream } from '../../src/api/feed-hub.js';
import { waitFor } from './wait.js';

export const MAIN = resolve(import.meta.dirname, '../../dist/src/main.js');

export interface ProductProcess {
  readonly url: string;
  readonly graphqlUrl: string;
  readonly wsUrl: string;
  readonly port: number;
  /** Every line the process wrote (stdout and stderr). */
  readonly lines: string[];
  /** Log lines parsed as JSON (pino). */
  logs(): Record<string, unknown>[];
  /** Sends `signal` and resolves with the exit code and how long the exit took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
  readonly child: ChildProcess;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

/** Runs main.js to its exit (for configuration errors). */
export function runToExit(env: Record<string, string>, timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`main.js did not exit within ${timeoutMs} ms; output:\n${stdout}${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(t);
      res({ code, stdout, stderr });
    });
  });
}

/**
 * Starts main.js and resolves once it logs that it is ready (or, without the
 * api role, running). Rejects with the output when it exits first.
 */
export async function startProduct(env: Record<string, string>, { readyTimeoutMs = 60_000, name = 'product' } = {}): Promise<ProductProcess> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first (npm test does)`);
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let exited: { code: number | null } | null = null;
  const exit = new Promise<number | null>((r) =>
    child.on('exit', (code) => {
      exited = { code };
      r(code);
    }),
  );
  let onLine: (() => void) | null = null;
  const take = (d: Buffer): void => {
    for (const l of d.toString().split('\n')) if (l.trim()) lines.push(l);
    onLine?.();
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  const isReady = (): boolean => lines.some((l) => l.includes('feedback gateway ready') || l.includes('feedback gateway running'));
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`${name} was not ready within ${readyTimeoutMs} ms; output:\n${lines.slice(-40).join('\n')}`));
    }, readyTimeoutMs);
    onLine = () => {
      if (isReady()) {
        clearTimeout(timer);
        res();
      }
    };
    onLine();
    void exit.then((code) => {
      clearTimeout(timer);
      rej(new Error(`${name} exited with ${code} before it was ready; output:\n${lines.slice(-40).join('\n')}`));
    });
  });
  onLine = null;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    graphqlUrl: `${url}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    port,
    lines,
    child,
    logs: () =>
      lines.flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    async stop(signal = 'SIGTERM') {
      if (exited) return { code: (exited as { code: number | null }).code, ms: 0 };
      const t0 = Date.now();
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.kill(signal);
      const code = await exit;
      clearTimeout(killer);
      return { code, ms: Date.now() - t0 };
    },
  };
}

/**
 * Live subscribers of `stream` the product holds now, from its
 * `graphql_active_subscriptions` gauge (GET /metrics, open without METRICS_TOKEN).
 */
export async function liveSubscribers(p: Pick<ProductProcess, 'url'>, stream: LiveStream): Promise<number> {
  const res = await fetch(`${p.url}/metrics`);
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`graphql_active_subscriptions{stream="${stream}"}`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/**
 * Resolves once the product holds `n` live subscribers of `stream`: a
 * subscription sent over a socket is attached only after the handshake, the
 * authentication and the subscribe message, so an event raised before that
 * never reaches it (a live subscription starts at the end of its topic).
 */
export async function subscribersAttached(p: Pick<ProductProcess, 'url'>, stream: LiveStream, n: number, timeoutMs = 30_000): Promise<void> {
  await waitFor(async () => (await liveSubscribers(p, stream)) === n, `${n} ${stream} subscriber(s) attached at ${p.url}`, timeoutMs, 50);
}
