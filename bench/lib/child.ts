/**
 * Child processes of the bench: workers (TypeScript files run with tsx,
 * answering calls over IPC) and plain processes (the built product). Every
 * child is tracked and killed when the bench stops, fails or is interrupted.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTailSync } from './util.js';

/** Root of the project (the folder holding package.json). */
export const projectRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Children still running; killed by {@link killAllChildren} and on exit. */
const live = new Set<ChildProcess>();

process.on('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // gone already
    }
  }
});

/** Kills every child still running (SIGTERM, then SIGKILL after `graceMs`). */
export async function killAllChildren(graceMs = 3_000): Promise<void> {
  await Promise.all([...live].map((child) => stopChild(child, graceMs)));
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    live.delete(child);
    return;
  }
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  live.delete(child);
}

export interface Worker {
  readonly name: string;
  readonly pid: number;
  /** Calls `method` in the worker; rejects with the worker's error, on timeout, or when it exits. */
  call<T = unknown>(method: string, params?: unknown, timeoutMs?: number): Promise<T>;
  /** Listens to events the worker emits (bench/lib/worker.ts `emit`). */
  on(event: string, listener: (data: unknown) => void): void;
  /** Asks the worker to stop, then kills it if it does not. Idempotent. */
  stop(): Promise<void>;
}

export interface WorkerOptions {
  /** Extra environment (merged over the bench's). */
  readonly env?: NodeJS.ProcessEnv;
  /** Extra node flags, e.g. `--max-old-space-size=2048`. */
  readonly nodeArgs?: readonly string[];
  /** @default 30_000 // ms to get the worker's ready message */
  readonly startTimeoutMs?: number;
}

/**
 * Forks `bench/<file>` (a TypeScript module calling `serve`) with tsx and
 * waits until it is ready. Its stdout/stderr go to the bench's stderr.
 */
export async function startWorker(file: string, name: string, options: WorkerOptions = {}): Promise<Worker> {
  const path = join(projectRoot, 'bench', file);
  const child = fork(path, [], {
    cwd: projectRoot,
    execArgv: ['--import', 'tsx', ...(options.nodeArgs ?? [])],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  live.add(child);
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout | undefined }>();
  const listeners = new Map<string, ((data: unknown) => void)[]>();
  let exitReason: string | null = null;

  const ready = new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`worker ${name} (${file}) was not ready within ${options.startTimeoutMs ?? 30_000} ms`)), options.startTimeoutMs ?? 30_000);
    child.on('message', (m: unknown) => {
      const msg = m as { kind?: string; id?: number; result?: unknown; error?: string; event?: string; data?: unknown };
      if (msg.kind === 'ready') {
        clearTimeout(timer);
        res();
      } else if (msg.kind === 'reply' && msg.id !== undefined) {
        const p = pending.get(msg.id);
        if (!p) return;
        pending.delete(msg.id);
        if (p.timer) clearTimeout(p.timer);
        if (msg.error !== undefined) p.reject(new Error(`${name}: ${msg.error}`));
        else p.resolve(msg.result);
      } else if (msg.kind === 'event' && msg.event) {
        for (const l of listeners.get(msg.event) ?? []) l(msg.data);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      exitReason = `worker ${name} exited (${signal ?? `code ${String(code)}`})`;
      rej(new Error(exitReason));
      for (const p of pending.values()) {
        if (p.timer) clearTimeout(p.timer);
        p.reject(new Error(exitReason));
      }
      pending.clear();
    });
  });
  try {
    await ready;
  } catch (e) {
    await stopChild(child, 1_000);
    throw e;
  }

  let stopping: Promise<void> | null = null;
  return {
    name,
    pid: child.pid ?? -1,
    call<T>(method: string, params?: unknown, timeoutMs = 120_000): Promise<T> {
      if (exitReason !== null) return Promise.reject(new Error(exitReason));
      const id = nextId++;
      return new Promise<T>((res, rej) => {
        const timer =
          timeoutMs > 0
            ? setTimeout(() => {
                pending.delete(id);
                rej(new Error(`${name}: ${method} did not answer within ${timeoutMs} ms`));
              }, timeoutMs)
            : undefined;
        pending.set(id, { resolve: res as (v: unknown) => void, reject: rej, timer });
        child.send({ kind: 'call', id, method, params: params ?? null });
      });
    },
    on(event, listener) {
      const list = listeners.get(event) ?? [];
      list.push(listener);
      listeners.set(event, list);
    },
    stop() {
      stopping ??= (async () => {
        if (exitReason !== null) return;
        const exited = new Promise<void>((res) => child.once('exit', () => res()));
        try {
          child.send({ kind: 'call', id: nextId++, method: 'stop', params: null });
        } catch {
          // IPC closed already
        }
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
        live.delete(child);
      })();
      return stopping;
    },
  };
}

export interface ProcessHandle {
  readonly pid: number;
  readonly logFile: string;
  /** A description of how it exited, or null while it runs. */
  exited(): string | null;
  /** SIGTERM, then SIGKILL after `graceMs`. Resolves once it exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
  /** The last lines of its output. */
  logTail(lines?: number): string;
}

/** Spawns a plain process (the built product) with its output in `logFile`. */
export function startProcess(command: string, args: readonly string[], options: { env: NodeJS.ProcessEnv; logFile: string; cwd?: string }): ProcessHandle {
  const fd = openSync(options.logFile, 'a');
  const child = spawn(command, args, { cwd: options.cwd ?? projectRoot, env: options.env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  live.add(child);
  let exitDescription: string | null = null;
  child.once('exit', (code, signal) => {
    exitDescription = signal ? `signal ${signal}` : `exit code ${String(code)}`;
    live.delete(child);
  });
  child.once('error', (err) => {
    exitDescription = `could not start: ${err.message}`;
    live.delete(child);
  });
  let stopping: Promise<void> | null = null;
  return {
    pid: child.pid ?? -1,
    logFile: options.logFile,
    exited: () => exitDescription,
    stop(graceMs = 15_000) {
      stopping ??= exitDescription !== null ? Promise.resolve() : stopChild(child, graceMs);
      return stopping;
    },
    logTail: (lines = 30) => readTailSync(options.logFile, lines),
  };
}
