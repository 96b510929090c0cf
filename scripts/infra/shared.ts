/**
 * Internal building blocks for the local test infrastructure (Kafka, Elasticsearch):
 * cache paths, free ports, running Maven and other commands, and supervising a
 * long-running server process so that it is always stopped, also when the parent
 * process fails.
 *
 * @internal Use `startKafka`, `startElasticsearch` or `startInfra` from `./index.ts`.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, rmSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, open, readFile, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** Root of the project (the folder holding `package.json`). */
export const projectRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Git-ignored cache for unpacked servers: `<project>/.cache/infra`. */
export const cacheDir: string = join(projectRoot, '.cache', 'infra');

/** Maven's local repository (`~/.m2/repository`), consulted before running `mvn`. */
export const mavenRepository: string = join(homedir(), '.m2', 'repository');

/** The Maven plugin named in full: a bare `dependency:` resolves to the ancient 2.8. */
export const MAVEN_DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';

/**
 * How long a server may take to become ready. Generous: on a loaded 2-core machine
 * (several JVMs starting at once) Elasticsearch has needed more than two minutes.
 * @default 300_000 // 5 minutes
 */
export const DEFAULT_STARTUP_TIMEOUT_MS = 300_000;

/** @default 15_000 // 15 seconds between SIGTERM and SIGKILL */
export const DEFAULT_STOP_TIMEOUT_MS = 15_000;

/**
 * Finds `count` distinct free TCP ports on 127.0.0.1 by binding port 0. All sockets are
 * held open until every port is known, so the ports differ from each other; another
 * process may still take one before the server binds it (callers retry on bind errors).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolveListen, rejectListen) => {
        server.once('error', rejectListen);
        server.listen(0, '127.0.0.1', () => resolveListen());
      });
      const address = server.address();
      if (address === null || typeof address === 'string') {
        throw new Error('Could not determine a free port on 127.0.0.1');
      }
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolveClose) => server.close(() => resolveClose()))));
  }
}

/** Creates a fresh temporary directory under the OS temp dir, e.g. `/tmp/fg-kafka-XXXXXX`. */
export async function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `fg-${prefix}-`));
}

/** Options for {@link runCommand}. */
export interface RunCommandOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** @default 600_000 // 10 minutes, long enough for a cold Maven download */
  readonly timeoutMs?: number;
}

/**
 * Runs a command to completion, collecting its output.
 *
 * @throws Error naming the command, its exit code and the last lines of its output when it
 *   cannot be started, exits non-zero or exceeds the timeout (it is then killed).
 */
export async function runCommand(command: string, args: readonly string[], options: RunCommandOptions = {}): Promise<string> {
  const { cwd, env, timeoutMs = 600_000 } = options;
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const code = await new Promise<number | null>((resolveExit, rejectExit) => {
      child.once('error', rejectExit);
      child.once('close', (exitCode) => resolveExit(exitCode));
    });
    if (code !== 0) {
      throw new Error(`Command failed (exit ${String(code)}): ${command} ${args.join(' ')}\n${lastLines(output, 40)}`);
    }
    return output;
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') {
      throw new Error(`Command not found: ${command} (is it installed and on PATH?)`, { cause: error });
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `mvn -q -B <args>` in `cwd`.
 *
 * @throws Error with Maven's output when the build fails or `mvn` is missing.
 */
export async function runMaven(args: readonly string[], cwd: string): Promise<void> {
  await mkdir(cwd, { recursive: true });
  await runCommand('mvn', ['-q', '-B', '-Dstyle.color=never', ...args], { cwd });
}

/** Returns the last `count` lines of `text`. */
export function lastLines(text: string, count: number): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-count).join('\n');
}

/** Reads the last `maxBytes` of a file as text; empty if the file does not exist. */
export async function readTail(file: string, maxBytes = 64 * 1024): Promise<string> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return '';
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Returns a function telling whether `file` contains `text` yet. It reads only what was
 * appended since the previous call (keeping a small overlap so a match split between two
 * reads is still found). `fromOffset` skips what the file held before (a restart's log).
 */
export function logWatcher(file: string, text: string, fromOffset = 0): () => Promise<boolean> {
  let offset = fromOffset;
  let carry = '';
  let found = false;
  return async () => {
    if (found) return true;
    let handle;
    try {
      handle = await open(file, 'r');
    } catch {
      return false;
    }
    try {
      const { size } = await handle.stat();
      if (size <= offset) return false;
      const buffer = Buffer.alloc(size - offset);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      offset += bytesRead;
      const chunk = carry + buffer.subarray(0, bytesRead).toString('utf8');
      found = chunk.includes(text);
      carry = chunk.slice(-text.length);
      return found;
    } finally {
      await handle.close();
    }
  };
}

/** The message of an unknown thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Options for {@link startServerProcess}. */
export interface ServerProcessOptions {
  /** Short name used in messages, e.g. `Kafka`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** File receiving the process's stdout and stderr. */
  readonly logFile: string;
  /** Paths removed (recursively) once the process is stopped. */
  readonly cleanupPaths: readonly string[];
}

/** A supervised server process running in its own process group. */
export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Whether the group leader has exited. */
  readonly hasExited: () => boolean;
  /** A description of how the leader exited (code or signal), or `undefined` while running. */
  readonly exitDescription: () => string | undefined;
  /**
   * Stops the whole process group: SIGTERM, then SIGKILL once `timeoutMs` has passed
   * (at once when it is 0),
   * then removes the cleanup paths unless `keepFiles` (a restart reuses them).
   * Idempotent; never rejects.
   *
   * @param timeoutMs grace period after SIGTERM @default 15_000 // 15 seconds
   */
  readonly stop: (timeoutMs?: number, options?: { readonly keepFiles?: boolean }) => Promise<void>;
}

/** Processes still to be killed if this Node process exits without stopping them. */
const live = new Set<{ readonly pgid: number; readonly cleanupPaths: readonly string[] }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL what is left and remove its files.
  process.on('exit', () => {
    for (const entry of live) {
      signalGroup(entry.pgid, 'SIGKILL');
      for (const path of entry.cleanupPaths) rmSync(path, { recursive: true, force: true });
    }
    live.clear();
  });
}

/** Sends `signal` to every process in the group; false if the group no longer exists. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

async function waitForGroupExit(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (signalGroup(pgid, 0)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

/**
 * A shell watchdog, detached from us: if this Node process disappears (even by SIGKILL,
 * where no 'exit' handler runs) while the server group is alive, it stops the group and
 * removes the cleanup paths. It exits on its own when the server group ends.
 */
function startWatchdog(pgid: number, cleanupPaths: readonly string[]): number | undefined {
  const script = [
    'parent=$1; pgid=$2; shift 2',
    'while kill -0 "$parent" 2>/dev/null && kill -0 -- "-$pgid" 2>/dev/null; do sleep 1; done',
    'kill -0 "$parent" 2>/dev/null && exit 0',
    'kill -s TERM -- "-$pgid" 2>/dev/null',
    'for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 -- "-$pgid" 2>/dev/null || break; sleep 1; done',
    'kill -s KILL -- "-$pgid" 2>/dev/null',
    'rm -rf -- "$@"',
  ].join('\n');
  const watchdog = spawn('bash', ['-c', script, 'fg-infra-watchdog', String(process.pid), String(pgid), ...cleanupPaths], { detached: true, stdio: 'ignore' });
  watchdog.on('error', () => undefined);
  watchdog.unref();
  return watchdog.pid;
}

/**
 * Spawns a server in a new process group (so that it and all its children can be
 * signalled together), with stdout and stderr appended to `logFile`. Registers it for
 * cleanup on process exit and starts a watchdog against the parent being killed.
 *
 * @throws Error if the process cannot be spawned (e.g. the command does not exist).
 */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const { name, command, args, cwd, env, logFile, cleanupPaths } = options;
  installExitHook();
  const logFd = openSync(logFile, 'a');
  let exitDescription: string | undefined;
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  await new Promise<void>((resolveSpawn, rejectSpawn) => {
    child.once('spawn', resolveSpawn);
    child.once('error', (error) => rejectSpawn(new Error(`${name}: could not run ${command}: ${error.message}`, { cause: error })));
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name}: ${command} started without a pid`);
  child.once('exit', (code, signal) => {
    exitDescription = signal === null ? `exit code ${String(code)}` : `signal ${signal}`;
  });
  const entry = { pgid: pid, cleanupPaths };
  live.add(entry);
  const watchdogPid = startWatchdog(pid, cleanupPaths);

  let stopping: Promise<void> | undefined;
  const stop = (timeoutMs = DEFAULT_STOP_TIMEOUT_MS, stopOptions: { readonly keepFiles?: boolean } = {}): Promise<void> => {
    stopping ??= (async () => {
      if (watchdogPid !== undefined) {
        try {
          process.kill(watchdogPid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      // No grace period: SIGKILL straight away, as a crash would.
      if (timeoutMs <= 0) {
        signalGroup(pid, 'SIGKILL');
        await waitForGroupExit(pid, 5_000);
      } else if (signalGroup(pid, 'SIGTERM') && !(await waitForGroupExit(pid, timeoutMs))) {
        signalGroup(pid, 'SIGKILL');
        await waitForGroupExit(pid, 5_000);
      }
      live.delete(entry);
      if (!stopOptions.keepFiles) await Promise.all(cleanupPaths.map((path) => rm(path, { recursive: true, force: true })));
    })();
    return stopping;
  };

  return {
    name,
    pid,
    logFile,
    hasExited: () => exitDescription !== undefined,
    exitDescription: () => exitDescription,
    stop,
  };
}

/** Options for {@link waitUntilReady}. */
export interface WaitUntilReadyOptions {
  readonly server: ServerProcess;
  /** Resolves true once the server is ready; may throw while it is not. */
  readonly isReady: () => Promise<boolean>;
  readonly timeoutMs: number;
  /** @default 250 // milliseconds between checks */
  readonly intervalMs?: number;
}

/**
 * Polls `isReady` until it returns true.
 *
 * @throws Error with the tail of the server log when the server exits first or the
 *   timeout passes. The caller is responsible for stopping the server afterwards.
 */
export async function waitUntilReady(options: WaitUntilReadyOptions): Promise<void> {
  const { server, isReady, timeoutMs, intervalMs = 250 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A check that throws (e.g. connection refused) just means "not yet".
    if (await isReady().catch(() => false)) return;
    const exited = server.exitDescription();
    if (exited !== undefined) {
      throw await startupError(server, `exited during start-up (${exited})`);
    }
    if (Date.now() >= deadline) {
      throw await startupError(server, `was not ready within ${Math.round(timeoutMs / 1000)} s`);
    }
    await sleep(intervalMs);
  }
}

/** Logs of servers that failed to start are kept here (newest 10): `.cache/infra/failed-logs`. */
export const failedLogsDir: string = join(cacheDir, 'failed-logs');

/** Builds the error for a failed start, keeping a copy of the full log (the temp dir goes away). */
async function startupError(server: ServerProcess, reason: string): Promise<StartupError> {
  const log = await readTail(server.logFile, 4 * 1024 * 1024);
  let keptLog: string | undefined;
  try {
    await mkdir(failedLogsDir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    keptLog = join(failedLogsDir, `${stamp}-${server.name.toLowerCase()}-${server.pid}.log`);
    await copyFile(server.logFile, keptLog);
    const kept = (await readdir(failedLogsDir)).sort().reverse();
    await Promise.all(kept.slice(10).map((file) => rm(join(failedLogsDir, file), { force: true })));
  } catch {
    keptLog = undefined;
  }
  const clip = (line: string): string => (line.length > 400 ? `${line.slice(0, 400)}...` : line);
  const errors = log
    .split('\n')
    .filter((line) => /\b(ERROR|FATAL)\b|Exception: /.test(line))
    .slice(0, 5)
    .map(clip);
  const tail = lastLines(log, 30).split('\n').map(clip).join('\n');
  return new StartupError(server.name, reason, { tail, errors, keptLog });
}

/** What a {@link StartupError} knows about the server's log. */
export interface StartupLog {
  /** The last lines (long lines clipped). */
  readonly tail: string;
  /** The first few lines that look like errors. */
  readonly errors: readonly string[];
  /** Path of the full log, kept after the temp dir was removed. */
  readonly keptLog: string | undefined;
}

/** A server failed to start; the message holds its first errors and the tail of its log. */
export class StartupError extends Error {
  constructor(
    readonly serverName: string,
    reason: string,
    readonly log: StartupLog,
  ) {
    const errors = log.errors.length > 0 ? `--- first errors in the ${serverName} log ---\n${log.errors.join('\n')}\n` : '';
    const where = log.keptLog ? ` (full log: ${log.keptLog})` : '';
    super(`${serverName} ${reason}.\n${errors}--- last lines of the ${serverName} log${where} ---\n${log.tail || '(empty)'}`);
    this.name = 'StartupError';
  }

  /** Whether the server failed because a port was taken between choosing and binding it. */
  get portWasTaken(): boolean {
    return /Address already in use|BindException|failed to bind/i.test(`${this.log.errors.join('\n')}\n${this.log.tail}`);
  }
}

/** Whether a path exists (synchronously; for cache checks). */
export function exists(path: string): boolean {
  return existsSync(path);
}

/** Reads `JAVA_VERSION="25.0.3"` from a JDK's `release` file; undefined if not a JDK. */
async function javaMajorVersion(javaHome: string): Promise<number | undefined> {
  try {
    const release = await readFile(join(javaHome, 'release'), 'utf8');
    const match = /^JAVA_VERSION="(?:1\.)?(\d+)/m.exec(release);
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/**
 * Finds a JDK of at least `minMajor` for `who`: `$<envVar>` if set, else the newest under
 * /usr/lib/jvm (e.g. the Temurin JDK installed next to the distribution's Java 17).
 *
 * @throws Error saying how to install or point at one when none is found
 */
export async function findJavaHome(minMajor: number, who: string, envVar: string): Promise<string> {
  const fromEnv = process.env[envVar];
  if (fromEnv) return fromEnv;
  const root = '/usr/lib/jvm';
  const candidates = await readdir(root).catch(() => [] as string[]);
  let best: { home: string; major: number } | undefined;
  for (const name of candidates) {
    const home = join(root, name);
    const major = await javaMajorVersion(home);
    if (major !== undefined && major >= minMajor && (best === undefined || major > best.major)) best = { home, major };
  }
  if (best === undefined) {
    throw new Error(`${who} needs Java ${minMajor}+: none found under /usr/lib/jvm. Install one (e.g. Temurin 21/25) or set ${envVar}.`);
  }
  return best.home;
}
