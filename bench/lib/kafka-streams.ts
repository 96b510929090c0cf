/**
 * The Kafka Streams peer (bench/kafka-streams): the product's stream topology
 * on Kafka Streams 3.9.1 with exactly_once_v2, built with Maven from Central
 * at bench time (skipped while the jar is newer than the sources) and run on
 * the machine's Java 17 with a fixed heap, in a child process of its own.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, startProcess, type ProcessHandle } from './child.js';
import { rssOf, sleep } from './util.js';

export const PEER_DIR = join(projectRoot, 'bench', 'kafka-streams');
const JAR = join(PEER_DIR, 'target', 'streams-peer.jar');
const LIB = join(PEER_DIR, 'target', 'lib');
/** Kafka Streams' version: the Kafka the tests run (scripts/infra/kafka.ts DEFAULT_KAFKA_VERSION); see pom.xml. */
export const PEER_KAFKA_STREAMS_VERSION = '3.9.1';
/** -Xms = -Xmx: a fixed heap, so resident memory compares like for like from run to run. */
export const PEER_HEAP_MB = 256;
const MAVEN_DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Whether the jar and its dependencies are there and newer than pom.xml and src/. */
export function peerBuilt(): boolean {
  if (!existsSync(JAR) || !existsSync(LIB)) return false;
  const sources = Math.max(statSync(join(PEER_DIR, 'pom.xml')).mtimeMs, newestSource(join(PEER_DIR, 'src')));
  return statSync(JAR).mtimeMs > sources;
}

/** Builds the peer unless it is up to date. `error` says why it cannot run (no Java, no Maven, a failed build). */
export async function buildPeer(): Promise<{ ok: boolean; skipped: boolean; output: string; ms: number }> {
  const started = Date.now();
  if (peerBuilt()) return { ok: true, skipped: true, output: 'up to date', ms: 0 };
  const { spawn } = await import('node:child_process');
  const run = (cmd: string, args: string[]): Promise<{ code: number | null; output: string }> =>
    new Promise((resolve) => {
      const child = spawn(cmd, args, { cwd: PEER_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.on('close', (code) => resolve({ code, output }));
      child.on('error', (err) => resolve({ code: -1, output: err.message }));
    });
  rmSync(LIB, { recursive: true, force: true });
  const r = await run('mvn', ['-q', '-B', '-Dstyle.color=never', 'package', `${MAVEN_DEPENDENCY_PLUGIN}:copy-dependencies`, `-DoutputDirectory=${LIB}`, '-DincludeScope=runtime']);
  return { ok: r.code === 0 && existsSync(JAR), skipped: false, output: r.output.trim().split('\n').slice(-15).join('\n'), ms: Date.now() - started };
}

export interface PeerOptions {
  /** Names the log file. */
  readonly name: string;
  readonly logDir: string;
  readonly brokers: readonly string[];
  /** application.id: the consumer group and transactional id prefix. */
  readonly applicationId: string;
  readonly topics: { readonly ratings: string; readonly cdc: string; readonly rekeyed: string; readonly enriched: string; readonly complaints: string };
  /** commit.interval.ms; 'default' leaves Kafka Streams' own (100 ms under exactly-once). */
  readonly commitIntervalMs: number | 'default';
  /** num.stream.threads. @default 1 (the product's stream layer runs on one event loop) */
  readonly threads?: number;
}

export interface Peer {
  readonly pid: number;
  readonly process: ProcessHandle;
  /** Resolves once the application reports RUNNING; throws with the log tail if it exits or the time runs out. */
  waitRunning(timeoutMs: number): Promise<void>;
  /** VmRSS of the JVM, bytes. */
  rss(): number | null;
  stop(): Promise<void>;
  logTail(lines?: number): string;
}

export function startPeer(o: PeerOptions): Peer {
  mkdirSync(o.logDir, { recursive: true });
  const stateDir = mkdtempSync(join(tmpdir(), 'fg-bench-streams-'));
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const args = [
    `-Xms${PEER_HEAP_MB}m`,
    `-Xmx${PEER_HEAP_MB}m`,
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
    '-cp',
    `${JAR}:${LIB}/*`,
    'bench.StreamsPeer',
    `--bootstrap=${o.brokers.join(',')}`,
    `--application-id=${o.applicationId}`,
    `--ratings=${o.topics.ratings}`,
    `--customers-cdc=${o.topics.cdc}`,
    `--customers-rekeyed=${o.topics.rekeyed}`,
    `--enriched=${o.topics.enriched}`,
    `--complaints=${o.topics.complaints}`,
    `--commit-interval-ms=${String(o.commitIntervalMs)}`,
    `--threads=${o.threads ?? 1}`,
    `--state-dir=${stateDir}`,
  ];
  const keep = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'TZ', 'JAVA_HOME'];
  const env: NodeJS.ProcessEnv = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k];
  const handle = startProcess(java, args, { env, logFile: join(o.logDir, `${o.name}.log`) });
  return {
    pid: handle.pid,
    process: handle,
    async waitRunning(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const exited = handle.exited();
        if (exited !== null) throw new Error(`Kafka Streams peer (${o.name}) exited during start-up (${exited}):\n${handle.logTail(15)}`);
        if (/^RUNNING$/m.test(handle.logTail(200))) return;
        if (Date.now() > deadline) throw new Error(`Kafka Streams peer (${o.name}) was not RUNNING within ${Math.round(timeoutMs / 1000)} s:\n${handle.logTail(15)}`);
        await sleep(100);
      }
    },
    rss: () => rssOf(handle.pid),
    async stop() {
      await handle.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
    logTail: (lines) => handle.logTail(lines),
  };
}

/** Samples `read()` every `intervalMs` until stopped; `max()` is the highest value seen. */
export function sampleMax(read: () => number | null | Promise<number | null>, intervalMs = 250): { max(): number | null; stop(): void } {
  let max: number | null = null;
  let stopped = false;
  const tick = async (): Promise<void> => {
    while (!stopped) {
      try {
        const v = await read();
        if (v !== null && Number.isFinite(v)) max = max === null ? v : Math.max(max, v);
      } catch {
        // the process is gone or busy: the next sample counts
      }
      await sleep(intervalMs);
    }
  };
  void tick();
  return {
    max: () => max,
    stop: () => {
      stopped = true;
    },
  };
}
