/**
 * A real, throw-away Apicurio Registry 3 (a Schema Registry with a Confluent-compatible API
 * at `/apis/ccompat/v7`) on free ports of 127.0.0.1, run from the `all` tar.gz on Maven
 * Central with in-memory storage. No Docker.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DEFAULT_STARTUP_TIMEOUT_MS,
  MAVEN_DEPENDENCY_PLUGIN,
  StartupError,
  cacheDir,
  exists,
  findJavaHome,
  freePorts,
  makeTempDir,
  mavenRepository,
  runCommand,
  runMaven,
  startServerProcess,
  waitUntilReady,
  type ServerProcess,
} from './shared.js';

/** Apicurio Registry version run by default (`io.apicurio:apicurio-registry-app`). */
export const DEFAULT_APICURIO_VERSION = '3.3.3';

/** Path of the Confluent-compatible API under the registry's base URL. */
export const CCOMPAT_PATH = '/apis/ccompat/v7';

/** Options for {@link startApicurio}; every field is optional. */
export interface ApicurioOptions {
  /** Apicurio Registry 3.x release. @default '3.3.3' */
  readonly version?: string;
  /** Maximum JVM heap (-Xmx). @default '256m' */
  readonly heap?: string;
  /**
   * A JDK 21+ home (Apicurio Registry 3 needs Java 21).
   * @default `$APICURIO_JAVA_HOME` if set, else the newest JDK >= 21 under /usr/lib/jvm
   */
  readonly javaHome?: string;
  /** @default 120_000 // 2 minutes */
  readonly startupTimeoutMs?: number;
  /** Extra `-D` system properties (Quarkus or `apicurio.*` settings), overriding the defaults. */
  readonly properties?: Readonly<Record<string, string | number | boolean>>;
}

/** A running registry. */
export interface ApicurioServer {
  /** Base URL: `http://127.0.0.1:<port>`. */
  readonly url: string;
  /**
   * The Confluent-compatible Schema Registry endpoint, `<url>/apis/ccompat/v7`: what
   * Confluent clients and converters take as `schema.registry.url` / `SCHEMA_REGISTRY_URL`.
   */
  readonly schemaRegistryUrl: string;
  /** The management interface (health, metrics): `http://127.0.0.1:<port>`. */
  readonly managementUrl: string;
  /** Version started, e.g. `3.3.3`. */
  readonly version: string;
  /**
   * Freezes the registry (SIGSTOP to its process group): connections are accepted by the
   * kernel but never answered, as with a hung server. Schemas are kept, unlike a restart
   * of an in-memory registry. Idempotent.
   */
  pause(): void;
  /** Lets a paused registry run again (SIGCONT). Idempotent. */
  resume(): void;
  /**
   * Stops the registry (resumed first if paused; SIGTERM to its whole process group,
   * SIGKILL after 15 s) and deletes its files. Idempotent; never rejects.
   */
  stop(): Promise<void>;
}

/**
 * Makes sure the distribution is unpacked in `.cache/infra/apicurio-registry-<version>`,
 * taking the tar.gz from `~/.m2` or resolving it with Maven the first time (about 160 MB).
 * Safe to call concurrently.
 *
 * @returns the registry's home (the folder holding `quarkus-run.jar`)
 * @throws Error with Maven's or tar's output when that fails
 */
export async function fetchApicurio(version = DEFAULT_APICURIO_VERSION): Promise<string> {
  const home = join(cacheDir, `apicurio-registry-${version}`);
  if (exists(join(home, 'quarkus-run.jar'))) return home;
  const coordinates = `io.apicurio:apicurio-registry-app:${version}:tar.gz:all`;
  const fileName = `apicurio-registry-app-${version}-all.tar.gz`;
  let archive = join(mavenRepository, 'io/apicurio/apicurio-registry-app', version, fileName);
  const downloads = join(cacheDir, `downloads-apicurio-${process.pid}-${randomBytes(4).toString('hex')}`);
  // Unpack into a private folder, then rename: a concurrent run never sees half a folder.
  const staging = join(cacheDir, `apicurio-registry-${version}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    if (!exists(archive)) {
      await runMaven([`${MAVEN_DEPENDENCY_PLUGIN}:copy`, `-Dartifact=${coordinates}`, `-DoutputDirectory=${downloads}`], downloads);
      archive = join(downloads, fileName);
    }
    await mkdir(staging, { recursive: true });
    await runCommand('tar', ['-xzf', archive, '-C', staging]);
    if (!exists(join(staging, 'quarkus-run.jar'))) {
      throw new Error(`${archive} holds no quarkus-run.jar`);
    }
    if (!exists(home)) await rename(staging, home);
  } finally {
    await rm(staging, { recursive: true, force: true });
    await rm(downloads, { recursive: true, force: true });
  }
  return home;
}

/**
 * Finds a JDK 21+ for Apicurio Registry 3: `$APICURIO_JAVA_HOME`, else the newest under
 * /usr/lib/jvm.
 *
 * @throws Error saying how to install or point at one when none is found
 */
export async function findApicurioJavaHome(): Promise<string> {
  return findJavaHome(21, 'Apicurio Registry 3', 'APICURIO_JAVA_HOME');
}

async function answersSubjects(schemaRegistryUrl: string): Promise<boolean> {
  const response = await fetch(`${schemaRegistryUrl}/subjects`, { signal: AbortSignal.timeout(5_000) });
  await response.body?.cancel();
  return response.status === 200;
}

/**
 * Starts a fresh Apicurio Registry and waits until its Confluent-compatible API answers
 * `GET /apis/ccompat/v7/subjects`.
 *
 * Defaults: version 3.3.3, heap at most 256 MB, in-memory storage (H2; schemas are lost
 * when it stops), no authentication, HTTP and management interfaces on free ports of
 * 127.0.0.1 (retried with new ones if taken before the registry binds them, 3 attempts),
 * access log and telemetry off. Its files (log, JVM temp files) live in a new temp dir.
 *
 * The registry's whole process group is also killed, and its files removed, if this
 * process exits or is killed without calling `stop()`.
 *
 * @throws Error if the distribution or a JDK 21+ cannot be provided, or `StartupError`
 *   (with the tail of the registry's log) if it exits or does not answer within the
 *   timeout; nothing is left running in that case.
 */
export async function startApicurio(options: ApicurioOptions = {}): Promise<ApicurioServer> {
  const { version = DEFAULT_APICURIO_VERSION, heap = '256m', startupTimeoutMs = DEFAULT_STARTUP_TIMEOUT_MS, properties } = options;
  const javaHome = options.javaHome ?? (await findApicurioJavaHome());
  const home = await fetchApicurio(version);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce({ home, version, heap, javaHome, startupTimeoutMs, properties });
    } catch (error) {
      if (!(error instanceof StartupError && error.portWasTaken && attempt < 3)) throw error;
    }
  }
}

interface StartOnceOptions {
  readonly home: string;
  readonly version: string;
  readonly heap: string;
  readonly javaHome: string;
  readonly startupTimeoutMs: number;
  readonly properties: ApicurioOptions['properties'];
}

async function startOnce(options: StartOnceOptions): Promise<ApicurioServer> {
  const { home, version, heap, javaHome, startupTimeoutMs, properties } = options;
  const root = await makeTempDir('apicurio');
  let server: ServerProcess | undefined;
  try {
    const [httpPort, managementPort] = await freePorts(2);
    if (httpPort === undefined || managementPort === undefined) throw new Error('Apicurio: no free ports');
    const tmp = join(root, 'tmp');
    await mkdir(tmp);
    const systemProperties: Record<string, string | number | boolean> = {
      'quarkus.http.host': '127.0.0.1',
      'quarkus.http.port': httpPort,
      'quarkus.management.host': '127.0.0.1',
      'quarkus.management.port': managementPort,
      'quarkus.http.access-log.enabled': false,
      // In-memory storage (Apicurio 3's default, stated here so it never depends on one).
      'apicurio.storage.kind': 'sql',
      'apicurio.storage.sql.kind': 'h2',
      'apicurio.storage.snapshot.location': tmp,
      'java.io.tmpdir': tmp,
      ...properties,
    };
    const url = `http://127.0.0.1:${httpPort}`;
    const schemaRegistryUrl = `${url}${CCOMPAT_PATH}`;
    server = await startServerProcess({
      name: 'Apicurio',
      command: join(javaHome, 'bin', 'java'),
      args: [
        '-Xms64m',
        `-Xmx${heap}`,
        // A small single-node service: the serial collector and C1 only start faster and use
        // less CPU on a shared machine.
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        '-Djava.awt.headless=true',
        ...Object.entries(systemProperties).map(([key, value]) => `-D${key}=${String(value)}`),
        '-jar',
        join(home, 'quarkus-run.jar'),
      ],
      cwd: root,
      env: { ...process.env, JAVA_HOME: javaHome },
      logFile: join(root, 'registry.log'),
      cleanupPaths: [root],
    });
    await waitUntilReady({ server, timeoutMs: startupTimeoutMs, intervalMs: 500, isReady: () => answersSubjects(schemaRegistryUrl) });

    const started = server;
    let paused = false;
    const signal = (name: NodeJS.Signals): void => {
      try {
        process.kill(-started.pid, name);
      } catch {
        // already gone
      }
    };
    return {
      url,
      schemaRegistryUrl,
      managementUrl: `http://127.0.0.1:${managementPort}`,
      version,
      pause: () => {
        if (paused || started.hasExited()) return;
        paused = true;
        signal('SIGSTOP');
      },
      resume: () => {
        if (!paused) return;
        paused = false;
        signal('SIGCONT');
      },
      stop: async () => {
        // A stopped process acts on SIGTERM only once continued.
        if (paused) {
          paused = false;
          signal('SIGCONT');
        }
        await started.stop();
      },
    };
  } catch (error) {
    if (server) await server.stop(2_000);
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}
