/**
 * A real, throw-away Elasticsearch node on free ports of 127.0.0.1, run from the
 * `integ-test-zip` distribution on Maven Central. No Docker.
 *
 * That distribution is the server core only (no Painless, no reindex, no analysis-common),
 * which keeps our code honest: what works here works on any full Elasticsearch.
 */
import { randomBytes } from 'node:crypto';
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  DEFAULT_STARTUP_TIMEOUT_MS,
  MAVEN_DEPENDENCY_PLUGIN,
  StartupError,
  cacheDir,
  errorMessage,
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

/** Elasticsearch version run by default (9.2.1 is not on Maven Central). */
export const DEFAULT_ELASTICSEARCH_VERSION = '9.2.0';

/** Unprivileged account Elasticsearch runs as when we are root (it refuses to run as root). */
export const DEFAULT_ELASTICSEARCH_USER = 'esrunner';

/** Options for {@link startElasticsearch}; every field is optional. */
export interface ElasticsearchOptions {
  /** Elasticsearch release (`org.elasticsearch.distribution.integ-test-zip:elasticsearch`). @default '9.2.0' */
  readonly version?: string;
  /** JVM heap, passed as both -Xms and -Xmx. @default '512m' */
  readonly heap?: string;
  /**
   * A JDK 21+ home for Elasticsearch 9.
   * @default `$ES_JAVA_HOME` if set, else the newest JDK >= 21 under /usr/lib/jvm
   */
  readonly javaHome?: string;
  /** Account to run as when this process is root; created (as a system user) if missing. @default 'esrunner' */
  readonly user?: string;
  /** @default DEFAULT_STARTUP_TIMEOUT_MS // 5 minutes */
  readonly startupTimeoutMs?: number;
  /** Extra `elasticsearch.yml` settings, overriding the defaults. */
  readonly settings?: Readonly<Record<string, string | number | boolean>>;
}

/** A running node. */
export interface ElasticsearchServer {
  /** HTTP endpoint: `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Version reported by `GET /`, e.g. `9.2.0`. */
  readonly version: string;
  /**
   * Stops the node (SIGTERM to its whole process group, SIGKILL after 15 s) and deletes
   * its data. Idempotent; never rejects.
   */
  stop(): Promise<void>;
}

interface Account {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/**
 * Makes sure the distribution is unpacked in `.cache/infra/elasticsearch-<version>`,
 * taking the zip from `~/.m2` or resolving it with Maven the first time. Safe to call
 * concurrently.
 *
 * @returns the Elasticsearch home directory
 * @throws Error with Maven's or unzip's output when that fails
 */
export async function fetchElasticsearch(version = DEFAULT_ELASTICSEARCH_VERSION): Promise<string> {
  const home = join(cacheDir, `elasticsearch-${version}`);
  if (exists(join(home, 'bin', 'elasticsearch'))) return home;
  const coordinates = `org.elasticsearch.distribution.integ-test-zip:elasticsearch:${version}:zip`;
  let zip = join(mavenRepository, 'org/elasticsearch/distribution/integ-test-zip/elasticsearch', version, `elasticsearch-${version}.zip`);
  const downloads = join(cacheDir, 'downloads');
  if (!exists(zip)) {
    await runMaven([`${MAVEN_DEPENDENCY_PLUGIN}:copy`, `-Dartifact=${coordinates}`, `-DoutputDirectory=${downloads}`], downloads);
    zip = join(downloads, `elasticsearch-${version}.zip`);
  }
  // Unpack into a private folder, then rename: a concurrent run never sees half a folder.
  const staging = join(cacheDir, `elasticsearch-${version}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(staging, { recursive: true });
    await runCommand('unzip', ['-q', zip, '-d', staging]);
    const unpacked = join(staging, `elasticsearch-${version}`);
    if (!exists(join(unpacked, 'bin', 'elasticsearch'))) {
      throw new Error(`${zip} holds no elasticsearch-${version}/bin/elasticsearch`);
    }
    if (!exists(home)) await rename(unpacked, home);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  await rm(downloads, { recursive: true, force: true });
  return home;
}

/**
 * Finds a JDK 21+ for Elasticsearch 9: `$ES_JAVA_HOME`, else the newest under /usr/lib/jvm.
 *
 * @throws Error saying how to install or point at one when none is found
 */
export async function findElasticsearchJavaHome(): Promise<string> {
  return findJavaHome(21, 'Elasticsearch 9', 'ES_JAVA_HOME');
}

/**
 * Returns the account to run Elasticsearch as, creating it as a locked system user
 * (no home, no login shell) if it does not exist. Idempotent and safe to race.
 */
async function ensureAccount(name: string): Promise<Account> {
  const lookup = async (): Promise<Account> => ({
    name,
    uid: Number((await runCommand('id', ['-u', name])).trim()),
    gid: Number((await runCommand('id', ['-g', name])).trim()),
  });
  try {
    return await lookup();
  } catch {
    // Missing: create it. A concurrent run may win the race, so a failed useradd only
    // matters if the account still does not exist afterwards.
    const created = await runCommand('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', name]).then(
      () => undefined,
      (error: unknown) => error,
    );
    try {
      return await lookup();
    } catch (error) {
      const reason = errorMessage(created ?? error);
      throw new Error(`Could not create the account ${name} to run Elasticsearch as: ${reason}`, { cause: error });
    }
  }
}

/** Whether `account` can run `<home>/bin/elasticsearch` (every parent folder traversable). */
async function canRun(account: Account, home: string): Promise<boolean> {
  return runCommand('setpriv', [`--reuid=${account.uid}`, `--regid=${account.gid}`, '--clear-groups', '--', 'test', '-x', join(home, 'bin', 'elasticsearch')]).then(
    () => true,
    () => false,
  );
}

/**
 * Returns an Elasticsearch home the unprivileged account can read: the cached one, or,
 * when the project lives where that account cannot go (e.g. under /root), a copy in
 * `/var/tmp/fg-infra/` made once and reused.
 */
async function runnableBy(account: Account, cached: string): Promise<string> {
  if (await canRun(account, cached)) return cached;
  const copy = join('/var/tmp/fg-infra', basename(cached));
  if (exists(join(copy, 'bin', 'elasticsearch'))) return copy;
  const staging = `${copy}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(dirname(copy), { recursive: true, mode: 0o755 });
  try {
    await cp(cached, staging, { recursive: true });
    if (!exists(copy)) await rename(staging, copy);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  if (!(await canRun(account, copy))) {
    throw new Error(`The account ${account.name} cannot run ${join(copy, 'bin', 'elasticsearch')}; check the permissions of its folders.`);
  }
  return copy;
}

function elasticsearchYaml(settings: Record<string, string | number | boolean>): string {
  return Object.entries(settings)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`)
    .join('\n')
    .concat('\n');
}

interface NodesInfoResponse {
  readonly nodes?: Readonly<Record<string, { readonly version?: unknown }>>;
}

/**
 * The node's version from `GET /_nodes/_local`. Not `GET /`: that endpoint lives in the
 * `rest-root` module, which the integ-test-zip distribution does not ship.
 */
async function fetchVersion(url: string): Promise<string> {
  const response = await fetch(`${url}/_nodes/_local?filter_path=nodes.*.version`, {
    signal: AbortSignal.timeout(5_000),
  });
  const body = (await response.json()) as NodesInfoResponse;
  const version = Object.values(body.nodes ?? {})[0]?.version;
  if (typeof version !== 'string') {
    throw new Error(`Elasticsearch at ${url}: GET /_nodes/_local returned no version (HTTP ${response.status})`);
  }
  return version;
}

async function isHealthy(url: string): Promise<boolean> {
  const response = await fetch(`${url}/_cluster/health?wait_for_status=yellow&timeout=1s`, {
    signal: AbortSignal.timeout(5_000),
  });
  await response.body?.cancel();
  return response.status === 200;
}

/**
 * Starts a fresh single-node Elasticsearch and waits until the cluster is at least yellow.
 *
 * Defaults: version 9.2.0, heap 512 MB, `discovery.type: single-node`, security off,
 * disk-based shard allocation thresholds off, GC logging off. Config, data, logs and JVM
 * temp files live in a new temp dir; ports (HTTP and transport) are free ports on
 * 127.0.0.1, retried with new ones if taken before the node binds them (3 attempts).
 * When this process is root, the node runs as the unprivileged `esrunner` account
 * (created if missing) through `setpriv`.
 *
 * The node's whole process group is also killed, and its data removed, if this process
 * exits or is killed without calling `stop()`.
 *
 * @throws Error if the distribution, a JDK 21+ or the account cannot be provided, or
 *   `StartupError` (with the tail of the node's output) if the node exits or is not
 *   healthy within the timeout; nothing is left running in that case.
 */
export async function startElasticsearch(options: ElasticsearchOptions = {}): Promise<ElasticsearchServer> {
  const { version = DEFAULT_ELASTICSEARCH_VERSION, heap = '512m', user = DEFAULT_ELASTICSEARCH_USER, startupTimeoutMs = DEFAULT_STARTUP_TIMEOUT_MS, settings } = options;
  const javaHome = options.javaHome ?? (await findElasticsearchJavaHome());
  const account = process.getuid?.() === 0 ? await ensureAccount(user) : undefined;
  const cached = await fetchElasticsearch(version);
  const home = account ? await runnableBy(account, cached) : cached;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce({ home, heap, javaHome, account, startupTimeoutMs, settings });
    } catch (error) {
      if (!(error instanceof StartupError && error.portWasTaken && attempt < 3)) throw error;
    }
  }
}

interface StartOnceOptions {
  readonly home: string;
  readonly heap: string;
  readonly javaHome: string;
  readonly account: Account | undefined;
  readonly startupTimeoutMs: number;
  readonly settings: ElasticsearchOptions['settings'];
}

async function startOnce(options: StartOnceOptions): Promise<ElasticsearchServer> {
  const { home, heap, javaHome, account, startupTimeoutMs, settings } = options;
  const root = await makeTempDir('elasticsearch');
  let server: ServerProcess | undefined;
  try {
    const [httpPort, transportPort] = await freePorts(2);
    if (httpPort === undefined || transportPort === undefined) throw new Error('Elasticsearch: no free ports');
    const config = join(root, 'config');
    const dirs = { data: join(root, 'data'), logs: join(root, 'logs'), tmp: join(root, 'tmp') };
    await Promise.all(Object.values(dirs).map((dir) => mkdir(dir)));
    // A private config dir per node: the keystore it creates and our settings stay ours.
    await cp(join(home, 'config'), config, { recursive: true });
    const jvmOptions = await readFile(join(config, 'jvm.options'), 'utf8');
    await writeFile(
      join(config, 'jvm.options'),
      jvmOptions
        .split('\n')
        .filter((line) => !/^-Xlog:gc/.test(line))
        .join('\n'),
    );
    await writeFile(
      join(config, 'elasticsearch.yml'),
      elasticsearchYaml({
        'cluster.name': `fg-test-${randomBytes(4).toString('hex')}`,
        'node.name': 'node-1',
        'discovery.type': 'single-node',
        'network.host': '127.0.0.1',
        'http.port': httpPort,
        'transport.port': transportPort,
        'path.data': dirs.data,
        'path.logs': dirs.logs,
        'cluster.routing.allocation.disk.threshold_enabled': false,
        ...(exists(join(home, 'modules', 'x-pack-security')) ? { 'xpack.security.enabled': false } : {}),
        ...settings,
      }),
    );
    if (account) await runCommand('chown', ['-R', `${account.uid}:${account.gid}`, root]);

    const executable = join(home, 'bin', 'elasticsearch');
    const [command, args] = account ? ['setpriv', [`--reuid=${account.uid}`, `--regid=${account.gid}`, '--clear-groups', '--', executable]] : [executable, []];
    const url = `http://127.0.0.1:${httpPort}`;
    server = await startServerProcess({
      name: 'Elasticsearch',
      command,
      args,
      cwd: dirs.logs,
      env: {
        ...process.env,
        ES_JAVA_HOME: javaHome,
        ES_JAVA_OPTS: `-Xms${heap} -Xmx${heap}`,
        ES_PATH_CONF: config,
        ES_TMPDIR: dirs.tmp,
        HOME: root,
        ...(account ? { USER: account.name, LOGNAME: account.name } : {}),
      },
      logFile: join(root, 'console.log'),
      cleanupPaths: [root],
    });
    await waitUntilReady({ server, timeoutMs: startupTimeoutMs, intervalMs: 500, isReady: () => isHealthy(url) });

    const started = server;
    return { url, version: await fetchVersion(url), stop: () => started.stop() };
  } catch (error) {
    if (server) await server.stop(2_000);
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}
