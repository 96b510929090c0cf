/**
 * A real, throw-away Kafka Connect worker (distributed mode, one worker) on a free port of
 * 127.0.0.1, run from the `connect-runtime` jars of the broker's Kafka version on Maven
 * Central, with these plugins on its plugin path (each in its own folder, resolved with
 * Maven and cached in `.cache/infra/`):
 *
 * - Debezium's MySQL connector (`io.debezium:debezium-connector-mysql`) and MariaDB
 *   connector (`io.debezium:debezium-connector-mariadb`);
 * - Debezium's JDBC sink connector (`io.debezium:debezium-connector-jdbc`, PostgreSQL
 *   driver included);
 * - Apicurio Registry's Avro converter (`io.apicurio:apicurio-registry-utils-converter`,
 *   class `io.apicurio.registry.utils.converter.AvroConverter`), which speaks the
 *   Confluent wire format when configured so (see {@link apicurioAvroConverterConfig}).
 *
 * No Docker.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kafkaVersionFromEnv } from './kafka.js';
import {
  DEFAULT_STARTUP_TIMEOUT_MS,
  MAVEN_DEPENDENCY_PLUGIN,
  StartupError,
  cacheDir,
  errorMessage,
  exists,
  freePorts,
  makeTempDir,
  readTail,
  runMaven,
  startServerProcess,
  waitUntilReady,
  type ServerProcess,
} from './shared.js';

/**
 * Debezium release used for the MySQL, MariaDB and JDBC connectors (3.2.x; the MariaDB
 * and JDBC artifacts of later 3.2 patch releases are not all on Maven Central).
 */
export const DEFAULT_DEBEZIUM_VERSION = '3.2.0.Final';

/**
 * Apicurio Registry release of the Avro converter. The 3.x converters cannot be resolved
 * from Maven Central (3.3.3 needs `apicurio-registry-avro-serde-kafka:3.3.3`, 3.0.9 the
 * parent POM `apicurio-registry:3.0.9`, neither published), so the 2.6 line, which reads
 * the Confluent wire format (`apicurio.registry.as-confluent`) and fetches schemas by
 * content id from the registry's v2 API, which Apicurio Registry 3 still serves.
 */
export const DEFAULT_APICURIO_CONVERTER_VERSION = '2.6.13.Final';

/** Plugin folders on the worker's plugin path. */
export const CONNECT_PLUGINS = ['debezium-connector-mysql', 'debezium-connector-mariadb', 'debezium-connector-jdbc', 'apicurio-converter'] as const;

/** Options for {@link startConnect}; `bootstrapServers` is required. */
export interface ConnectOptions {
  /** The Kafka cluster, e.g. `127.0.0.1:9092`. */
  readonly bootstrapServers: string;
  /** Kafka release whose `connect-runtime` runs; should match the broker. @default `KAFKA_VERSION` or 3.9.1 */
  readonly kafkaVersion?: string;
  /** @default '3.2.0.Final' */
  readonly debeziumVersion?: string;
  /** @default '2.6.13.Final' */
  readonly apicurioVersion?: string;
  /** JVM heap, passed as -Xmx. @default '512m' */
  readonly heap?: string;
  /** Java 17+ executable. @default 'java' */
  readonly java?: string;
  /** @default 120_000 // 2 minutes */
  readonly startupTimeoutMs?: number;
  /**
   * Prefix of the worker's group id and internal topics (`<prefix>-configs`, `-offsets`,
   * `-status`), so several workers can share one broker. @default a unique `connect-<random>`
   */
  readonly groupId?: string;
  /** Extra worker properties, overriding the defaults. */
  readonly properties?: Readonly<Record<string, string | number | boolean>>;
}

/** The state of a connector and its tasks, as `GET /connectors/<name>/status` reports it. */
export interface ConnectorStatus {
  readonly name: string;
  readonly connector: { readonly state: string; readonly trace?: string };
  readonly tasks: readonly { readonly id: number; readonly state: string; readonly trace?: string }[];
}

/** A running worker. */
export interface ConnectServer {
  /** REST endpoint: `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The worker's group id (also the prefix of its internal topics). */
  readonly groupId: string;
  /** The Kafka version of the runtime. */
  readonly version: string;
  /**
   * Creates (or reconfigures) connector `name` with `config` and waits until it and
   * every task is RUNNING (at least `minTasks` tasks).
   *
   * @throws Error with the connector's status (trace included) if it or a task FAILED,
   *   or it is not running within `timeoutMs`.
   */
  createConnector(
    name: string,
    config: Readonly<Record<string, string | number | boolean>>,
    options?: { readonly timeoutMs?: number; readonly minTasks?: number },
  ): Promise<ConnectorStatus>;
  /** The current status of a connector. @throws Error if the worker does not know it */
  connectorStatus(name: string): Promise<ConnectorStatus>;
  /** Deletes a connector (no error if it does not exist). */
  deleteConnector(name: string): Promise<void>;
  /**
   * Stops the worker (SIGTERM to its process group, SIGKILL after 15 s) and deletes its
   * files. Its internal topics stay on the broker. Idempotent; never rejects.
   */
  stop(): Promise<void>;
}

/** Maven coordinates of each plugin folder, as `<dependency>` elements. */
function pluginDependencies(plugin: (typeof CONNECT_PLUGINS)[number], debezium: string, apicurio: string): string {
  const dep = (group: string, artifact: string, version: string): string =>
    `    <dependency><groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${version}</version></dependency>`;
  switch (plugin) {
    case 'debezium-connector-mysql':
      return dep('io.debezium', 'debezium-connector-mysql', debezium);
    case 'debezium-connector-mariadb':
      return dep('io.debezium', 'debezium-connector-mariadb', debezium);
    case 'debezium-connector-jdbc':
      return [dep('io.debezium', 'debezium-connector-jdbc', debezium), dep('org.postgresql', 'postgresql', '42.7.7')].join('\n');
    case 'apicurio-converter':
      return dep('io.apicurio', 'apicurio-registry-utils-converter', apicurio);
  }
}

/**
 * Resolves `dependencies` (runtime scope, transitively) into `<home>/<folder>` once, via a
 * private staging folder renamed into place, so a concurrent run never sees half a folder.
 */
async function resolveInto(home: string, folder: string, dependencies: string, mustHave: string): Promise<string> {
  const target = join(home, folder);
  if (exists(target)) return target;
  const project = join(home, `${folder}.project`);
  await mkdir(project, { recursive: true });
  const pom = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.infra</groupId><artifactId>${folder}</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
${dependencies}
  </dependencies>
</project>
`;
  await writeFile(join(project, 'pom.xml'), pom);
  const staging = join(home, `${folder}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await runMaven(
      [
        `${MAVEN_DEPENDENCY_PLUGIN}:copy-dependencies`,
        `-DoutputDirectory=${staging}`,
        '-DincludeScope=runtime',
        // Connect provides its own API, clients and logging to every plugin.
        '-DexcludeGroupIds=org.apache.kafka,org.slf4j,ch.qos.reload4j,log4j,org.apache.logging.log4j',
      ],
      project,
    );
    const jars = await readdir(staging);
    if (!jars.some((jar) => jar.startsWith(mustHave))) {
      throw new Error(`Maven resolved no ${mustHave} jar into ${staging}`);
    }
    if (!exists(target)) await rename(staging, target);
  } finally {
    await rm(staging, { recursive: true, force: true });
    await rm(project, { recursive: true, force: true });
  }
  return target;
}

/**
 * Makes sure the Connect runtime and the plugins are in `.cache/infra/connect-<kafka>/`
 * (`libs/` for the worker, `plugins/<name>/` for each plugin), taking them from `~/.m2`
 * or Maven Central the first time. Safe to call concurrently.
 *
 * @returns the worker's class-path folder and the plugin path
 * @throws Error with Maven's output when resolution fails
 */
export async function fetchConnect(
  kafkaVersion = kafkaVersionFromEnv(),
  debeziumVersion = DEFAULT_DEBEZIUM_VERSION,
  apicurioVersion = DEFAULT_APICURIO_CONVERTER_VERSION,
): Promise<{ libs: string; pluginPath: string }> {
  const home = join(cacheDir, `connect-${kafkaVersion}`);
  const pluginPath = join(cacheDir, `connect-plugins-debezium-${debeziumVersion}-apicurio-${apicurioVersion}`);
  await mkdir(home, { recursive: true });
  await mkdir(pluginPath, { recursive: true });
  const kafkaDep = (artifact: string): string =>
    `    <dependency><groupId>org.apache.kafka</groupId><artifactId>${artifact}</artifactId><version>${kafkaVersion}</version></dependency>`;
  const log4j2 = Number(kafkaVersion.split('.')[0]) >= 4;
  const logging = log4j2
    ? `    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.17</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>2.25.5</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.25.5</version></dependency>`
    : `    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
    <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId><version>1.2.25</version></dependency>`;
  // allSettled: every Maven run finishes (and cleans its staging folder) before a failure is reported.
  const results = await Promise.allSettled([
    resolveLibs(home, [kafkaDep('connect-runtime'), kafkaDep('connect-json'), kafkaDep('connect-transforms'), logging].join('\n'), `connect-runtime-${kafkaVersion}`),
    ...CONNECT_PLUGINS.map((plugin) =>
      resolveInto(
        pluginPath,
        plugin,
        pluginDependencies(plugin, debeziumVersion, apicurioVersion),
        plugin === 'apicurio-converter' ? 'apicurio-registry-utils-converter' : plugin,
      ),
    ),
  ]);
  const failed = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  if (failed.length > 0) throw failed.length === 1 ? failed[0] : new AggregateError(failed, failed.map(errorMessage).join('\n\n'));
  const libs = (results[0] as PromiseFulfilledResult<string>).value;
  return { libs, pluginPath };
}

/** The worker's own class path: like {@link resolveInto} but keeping Kafka and logging jars. */
async function resolveLibs(home: string, dependencies: string, mustHave: string): Promise<string> {
  const target = join(home, 'libs');
  if (exists(target)) return target;
  const pom = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.infra</groupId><artifactId>connect-runtime</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
${dependencies}
  </dependencies>
</project>
`;
  await writeFile(join(home, 'pom.xml'), pom);
  const staging = join(home, `libs.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await runMaven([`${MAVEN_DEPENDENCY_PLUGIN}:copy-dependencies`, `-DoutputDirectory=${staging}`, '-DincludeScope=runtime'], home);
    const jars = await readdir(staging);
    if (!jars.some((jar) => jar.startsWith(mustHave))) throw new Error(`Maven resolved no ${mustHave} jar into ${staging}`);
    if (!exists(target)) await rename(staging, target);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return target;
}
