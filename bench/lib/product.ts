/**
 * The product under test, as users run it: `npm run build`, then
 * `node dist/src/main.js` configured only by environment variables (the
 * contract of src/config.ts), in a child process of its own.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess, projectRoot, type ProcessHandle } from './child.js';
import { freePort, rssOf, sleep } from './util.js';

export const PRODUCT_MAIN = join(projectRoot, 'dist', 'src', 'main.js');

/** Why the built product cannot be started, or null when it can. */
export function productMissing(): string | null {
  if (!existsSync(join(projectRoot, 'src', 'main.ts'))) return 'src/main.ts (the composition root) does not exist yet';
  if (!existsSync(PRODUCT_MAIN)) return 'dist/src/main.js is missing: `npm run build` did not produce it';
  return null;
}

/** Runs `npm run build`; resolves with whether it succeeded and the tail of its output. */
export async function buildProduct(): Promise<{ ok: boolean; output: string; ms: number }> {
  const { spawn } = await import('node:child_process');
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', 'build'], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => resolve({ ok: code === 0, output: output.trim().split('\n').slice(-20).join('\n'), ms: Date.now() - started }));
    child.on('error', (err) => resolve({ ok: false, output: err.message, ms: Date.now() - started }));
  });
}

export interface ProductOptions {
  /** Names the log file. */
  readonly name: string;
  /** Product variables (KAFKA_BROKERS, ROLES, TOPIC_*, ...); PORT and HOST are added. */
  readonly env: Readonly<Record<string, string>>;
  /** Folder for the log (and CPU profiles). */
  readonly logDir: string;
  /** Write a V8 CPU profile into logDir when the process exits. */
  readonly cpuProfile?: boolean;
  /** Extra node flags. */
  readonly nodeArgs?: readonly string[];
}

export interface Product {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly process: ProcessHandle;
  /** Resolves once GET `path` answers 200; throws with the log tail if the product exits or the time runs out. */
  waitHttp(path: string, timeoutMs: number): Promise<void>;
  /** process_resident_memory_bytes from /metrics, or VmRSS from /proc when /metrics does not have it. */
  rss(): Promise<{ bytes: number | null; source: string }>;
  /** GET /metrics parsed into name{labels} → value. */
  metrics(): Promise<Map<string, number>>;
  stop(): Promise<void>;
  logTail(lines?: number): string;
}

/** The environment of the product: nothing inherited but the basics, so no stray API_KEYS or NODE_ENV. */
function baseEnv(): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'TZ'];
  const env: NodeJS.ProcessEnv = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k];
  return env;
}

export async function startProduct(o: ProductOptions): Promise<Product> {
  const missing = productMissing();
  if (missing) throw new Error(missing);
  mkdirSync(o.logDir, { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const nodeArgs = [...(o.nodeArgs ?? []), ...(o.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${o.logDir}`, `--cpu-prof-name=${o.name}.cpuprofile`] : [])];
  // info: lifecycle only (nothing per record or request), enough to tell why a run failed.
  const env = { ...baseEnv(), LOG_LEVEL: 'info', DEMO: 'off', ...o.env, PORT: String(port), HOST: '127.0.0.1' };
  const handle = startProcess(process.execPath, [...nodeArgs, PRODUCT_MAIN], { env, logFile: join(o.logDir, `${o.name}.log`) });

  const failure = (why: string): Error => new Error(`product (${o.name}) ${why}; last log lines:\n${handle.logTail(15)}`);

  async function metrics(): Promise<Map<string, number>> {
    const res = await fetch(`${url}/metrics`);
    if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
    const out = new Map<string, number>();
    for (const line of (await res.text()).split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const m = /^(\S+?)(\{[^}]*\})?\s+(\S+)/.exec(line);
      if (m?.[1] && m[3]) out.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
    }
    return out;
  }

  return {
    url,
    port,
    pid: handle.pid,
    process: handle,
    async waitHttp(path, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let last: string;
      for (;;) {
        const exited = handle.exited();
        if (exited !== null) throw failure(`exited during start-up (${exited})`);
        try {
          const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(2_000) });
          if (res.status === 200) return;
          last = `${res.status} ${(await res.text()).slice(0, 300)}`;
        } catch (e) {
          last = e instanceof Error ? e.message : String(e);
        }
        if (Date.now() > deadline) throw failure(`did not answer 200 on ${path} within ${Math.round(timeoutMs / 1000)} s (last: ${last})`);
        await sleep(200);
      }
    },
    async rss() {
      try {
        const v = (await metrics()).get('process_resident_memory_bytes');
        if (v !== undefined && Number.isFinite(v)) return { bytes: v, source: '/metrics process_resident_memory_bytes' };
      } catch {
        // fall back to /proc
      }
      return { bytes: rssOf(handle.pid), source: '/proc VmRSS' };
    },
    metrics,
    stop: () => handle.stop(),
    logTail: (lines) => handle.logTail(lines),
  };
}

/**
 * Product environment for a bench run against the bench's Kafka and
 * Elasticsearch, open access (no API_KEYS, on 127.0.0.1). The benchmarks
 * measure the product at full speed from one address: no rate limit.
 */
export function productEnv(infra: { brokers: string; esUrl: string }, extra: Readonly<Record<string, string>>): Record<string, string> {
  return {
    KAFKA_BROKERS: infra.brokers,
    ELASTICSEARCH_URL: infra.esUrl,
    TOPIC_PARTITIONS: '3',
    DEMO: 'off',
    RATE_LIMIT_VIEWER: 'off',
    RATE_LIMIT_AGENT: 'off',
    ...extra,
  };
}
