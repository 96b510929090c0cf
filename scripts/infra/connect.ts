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
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
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
  createConnector(name: string, config: Readonly<Record<string, string | number | boolean>>, options?: { readonly timeoutMs?: number; readonly minTasks?: number }): Promise<ConnectorStatus>;
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
  const dep = (group: string, artifact: string, version: string): string => `    <dependency><groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${version}</version></dependency>`;
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
async function resolveInto(home: string, folder: string, dependencies: string, mustHave: string, excludeArtifactIds: readonly string[] = []): Promise<string> {
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
        ...(excludeArtifactIds.length > 0 ? [`-DexcludeArtifactIds=${excludeArtifactIds.join(',')}`] : []),
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
  const kafkaDep = (artifact: string): string => `    <dependency><groupId>org.apache.kafka</groupId><artifactId>${artifact}</artifactId><version>${kafkaVersion}</version></dependency>`;
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
        // Hibernate registers every Jackson module the worker's class path announces
        // (ServiceLoader); with its own jackson-databind they are "not a subtype". The
        // worker's Jackson (the same 2.16 line) serves the JDBC sink instead.
        plugin === 'debezium-connector-jdbc' ? ['jackson-core', 'jackson-databind', 'jackson-annotations'] : [],
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

const LOG4J_PROPERTIES = `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.org.apache.kafka.clients=WARN
log4j.logger.org.reflections=ERROR
log4j.logger.org.apache.kafka.connect.runtime.isolation=WARN
log4j.logger.org.eclipse.jetty=WARN
`;

const LOG4J2_PROPERTIES = `status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
logger.isolation.name = org.apache.kafka.connect.runtime.isolation
logger.isolation.level = WARN
`;

/**
 * The worker settings for Apicurio's Avro converter (as `key.converter` or
 * `value.converter`, prefix included) reading and writing the Confluent wire format
 * (magic byte 0, 4-byte schema id = the registry's content id), as Confluent's
 * `KafkaAvroSerializer` and `@kafkajs/confluent-schema-registry` do.
 *
 * @param registryUrl the registry's base URL, e.g. `http://127.0.0.1:8080`, or its
 *   Confluent-compatible URL (`<base>/apis/ccompat/v7`); the converter uses its v2 API
 */
export function apicurioAvroConverterConfig(prefix: 'key.converter' | 'value.converter', registryUrl: string): Record<string, string> {
  const base = registryUrl.replace(/\/+$/, '').replace(/\/apis\/ccompat\/v\d+$/, '');
  return {
    [prefix]: 'io.apicurio.registry.utils.converter.AvroConverter',
    [`${prefix}.apicurio.registry.url`]: `${base}/apis/registry/v2`,
    [`${prefix}.apicurio.registry.auto-register`]: 'true',
    [`${prefix}.apicurio.registry.find-latest`]: 'true',
    [`${prefix}.apicurio.registry.as-confluent`]: 'true',
    [`${prefix}.apicurio.registry.use-id`]: 'contentId',
    [`${prefix}.apicurio.registry.headers.enabled`]: 'false',
  };
}

/** The worker settings for Kafka's JsonConverter without the schema envelope (plain JSON rows). */
export function plainJsonConverterConfig(prefix: 'key.converter' | 'value.converter'): Record<string, string> {
  return { [prefix]: 'org.apache.kafka.connect.json.JsonConverter', [`${prefix}.schemas.enable`]: 'false' };
}

function workerProperties(bootstrapServers: string, groupId: string, port: number, pluginPath: string, overrides: ConnectOptions['properties']): string {
  const properties: Record<string, string | number | boolean> = {
    'bootstrap.servers': bootstrapServers,
    'group.id': groupId,
    'config.storage.topic': `${groupId}-configs`,
    'offset.storage.topic': `${groupId}-offsets`,
    'status.storage.topic': `${groupId}-status`,
    'config.storage.replication.factor': 1,
    'offset.storage.replication.factor': 1,
    'status.storage.replication.factor': 1,
    'offset.storage.partitions': 1,
    'status.storage.partitions': 1,
    ...plainJsonConverterConfig('key.converter'),
    ...plainJsonConverterConfig('value.converter'),
    listeners: `http://127.0.0.1:${port}`,
    'rest.advertised.host.name': '127.0.0.1',
    'rest.advertised.port': port,
    'plugin.path': pluginPath,
    'plugin.discovery': 'hybrid_warn',
    'offset.flush.interval.ms': 1_000,
    'scheduled.rebalance.max.delay.ms': 0,
    'task.shutdown.graceful.timeout.ms': 2_000,
    ...overrides,
  };
  return Object.entries(properties)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join('\n')
    .concat('\n');
}

async function rest(url: string, method: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let json: unknown = text;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, json };
}

/**
 * Starts a Kafka Connect worker in distributed mode against `bootstrapServers`: its
 * internal topics (replication factor 1) are named after a unique group id, its REST API
 * listens on a free port of 127.0.0.1, and it is ready when `GET /connectors` answers.
 * Default converters: Kafka's JsonConverter without schemas (override per connector).
 *
 * The worker is also killed, and its files removed, if this process exits without `stop()`.
 *
 * @throws Error if the jars cannot be resolved, or `StartupError` with the tail of the
 *   worker log; nothing is left running in that case.
 */
export async function startConnect(options: ConnectOptions): Promise<ConnectServer> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (!(error instanceof StartupError && error.portWasTaken && attempt < 3)) throw error;
    }
  }
}

async function startOnce(options: ConnectOptions): Promise<ConnectServer> {
  const {
    bootstrapServers,
    kafkaVersion = kafkaVersionFromEnv(),
    debeziumVersion = DEFAULT_DEBEZIUM_VERSION,
    apicurioVersion = DEFAULT_APICURIO_CONVERTER_VERSION,
    heap = '512m',
    java = 'java',
    startupTimeoutMs = DEFAULT_STARTUP_TIMEOUT_MS,
    groupId = `connect-${randomBytes(4).toString('hex')}`,
    properties,
  } = options;
  const { libs, pluginPath } = await fetchConnect(kafkaVersion, debeziumVersion, apicurioVersion);
  const root = await makeTempDir('connect');
  let server: ServerProcess | undefined;
  try {
    const [port] = await freePorts(1);
    if (port === undefined) throw new Error('Kafka Connect: no free port');
    const propertiesFile = join(root, 'connect-distributed.properties');
    const log4j2 = Number(kafkaVersion.split('.')[0]) >= 4;
    const log4jFile = join(root, log4j2 ? 'log4j2.properties' : 'log4j.properties');
    const logFile = join(root, 'connect.log');
    await writeFile(propertiesFile, workerProperties(bootstrapServers, groupId, port, pluginPath, properties));
    await writeFile(log4jFile, log4j2 ? LOG4J2_PROPERTIES : LOG4J_PROPERTIES);
    server = await startServerProcess({
      name: 'Kafka Connect',
      command: java,
      args: [
        `-Xmx${heap}`,
        '-XX:+UseG1GC',
        '-XX:TieredStopAtLevel=1',
        '-Djava.awt.headless=true',
        log4j2 ? `-Dlog4j2.configurationFile=${log4jFile}` : `-Dlog4j.configuration=file:${log4jFile}`,
        '-cp',
        join(libs, '*'),
        'org.apache.kafka.connect.cli.ConnectDistributed',
        propertiesFile,
      ],
      cwd: root,
      env: process.env,
      logFile,
      cleanupPaths: [root],
    });
    const url = `http://127.0.0.1:${port}`;
    const proc = server;
    await waitUntilReady({
      server: proc,
      timeoutMs: startupTimeoutMs,
      intervalMs: 500,
      isReady: async () => (await rest(`${url}/connectors`, 'GET')).status === 200,
    });

    const client = connectClient(url, {
      timeoutMs: startupTimeoutMs,
      exited: () => (proc.hasExited() ? (proc.exitDescription() ?? 'exited') : null),
      logTail: () => readTail(logFile, 4096),
    });
    return {
      ...client,
      groupId,
      version: kafkaVersion,
      stop: () => proc.stop(),
    };
  } catch (error) {
    if (server) await server.stop(2_000);
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

/** A running worker's connector API, by its REST URL (for a worker started elsewhere, e.g. by the test set-up). */
export type ConnectClient = Pick<ConnectServer, 'url' | 'createConnector' | 'connectorStatus' | 'deleteConnector'>;

/**
 * The connector API of the worker at `url`. `exited` and `logTail`, when the caller runs
 * the worker, make a failure say why (its exit, the tail of its log).
 */
export function connectClient(
  url: string,
  {
    timeoutMs: defaultTimeoutMs = 120_000,
    exited = () => null,
    logTail = async () => '',
  }: {
    readonly timeoutMs?: number;
    readonly exited?: () => string | null;
    readonly logTail?: () => Promise<string>;
  } = {},
): ConnectClient {
  const connectorStatus = async (name: string): Promise<ConnectorStatus> => {
    const { status, json } = await rest(`${url}/connectors/${encodeURIComponent(name)}/status`, 'GET');
    if (status !== 200) throw new Error(`Kafka Connect: no status for connector ${name} (HTTP ${status}): ${JSON.stringify(json)}`);
    return json as ConnectorStatus;
  };
  return {
    url,
    connectorStatus,
    createConnector: async (name, config, { timeoutMs = defaultTimeoutMs, minTasks = 1 } = {}) => {
      const body = Object.fromEntries(Object.entries(config).map(([key, value]) => [key, String(value)]));
      // PUT /config creates or updates; it may answer 409 while the worker rebalances.
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { status, json } = await rest(`${url}/connectors/${encodeURIComponent(name)}/config`, 'PUT', body);
        if (status === 200 || status === 201) break;
        if (status !== 409 || Date.now() > deadline) {
          throw new Error(`Kafka Connect: creating connector ${name} failed (HTTP ${status}): ${JSON.stringify(json)}`);
        }
        await sleep(500);
      }
      let last: ConnectorStatus | undefined;
      for (;;) {
        last = await connectorStatus(name).catch(() => undefined);
        const failed = last && [last.connector, ...last.tasks].find((entry) => entry.state === 'FAILED');
        if (failed) {
          throw new Error(`Kafka Connect: connector ${name} FAILED:\n${failed.trace ?? JSON.stringify(last)}\n${await logTail()}`);
        }
        if (last && last.connector.state === 'RUNNING' && last.tasks.length >= minTasks && last.tasks.every((task) => task.state === 'RUNNING')) {
          return last;
        }
        const exit = exited();
        if (exit !== null) throw new Error(`Kafka Connect exited (${exit}):\n${await logTail()}`);
        if (Date.now() > deadline) {
          throw new Error(`Kafka Connect: connector ${name} not RUNNING within ${Math.round(timeoutMs / 1000)} s: ${JSON.stringify(last)}`);
        }
        await sleep(500);
      }
    },
    deleteConnector: async (name) => {
      const { status, json } = await rest(`${url}/connectors/${encodeURIComponent(name)}`, 'DELETE');
      if (status !== 204 && status !== 404) throw new Error(`Kafka Connect: deleting ${name} failed (HTTP ${status}): ${JSON.stringify(json)}`);
    },
  };
}

/** Options for {@link debeziumCustomersSourceConfig}. */
export interface DebeziumSourceOptions {
  /** The database: MariaDB's host and port (the Debezium account of `mariadb.ts`). */
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** The Kafka cluster, for the schema history topic. */
  readonly bootstrapServers: string;
  /** Topic prefix; the customers topic is `<prefix>.demo.CUSTOMERS`. @default 'asgard' */
  readonly topicPrefix?: string;
  /** Schema history topic. @default `<prefix>.schema-history` */
  readonly schemaHistoryTopic?: string;
  /** Binlog client id; must differ from the server's own `server-id`. @default 42 */
  readonly serverId?: number;
  /** Converter settings for keys and values. @default plain JSON (no schema envelope) */
  readonly converters?: Readonly<Record<string, string>>;
  /**
   * `mysql` runs `io.debezium.connector.mysql.MySqlConnector`, `mariadb`
   * `io.debezium.connector.mariadb.MariaDbConnector` (Debezium 3's connector for MariaDB).
   * @default 'mariadb'
   */
  readonly connector?: 'mysql' | 'mariadb';
}

/**
 * The article's Debezium source as connector settings: `demo.CUSTOMERS` into
 * `asgard.demo.CUSTOMERS`, an initial snapshot then the binlog, flattened with
 * `ExtractNewRecordState` (deletes become tombstones, so the table forgets the customer).
 *
 * `schema.name.adjustment.mode=avro`: Debezium names the key and value schemas after the
 * topic (`<prefix>.demo.CUSTOMERS.Value`); a prefix with a `-` (e.g. `prod-asgard`) makes
 * names that Avro forbids, which Connect's converters register anyway but Avro readers such
 * as avsc refuse. Adjusted, every character Avro forbids becomes `_`.
 */
export function debeziumCustomersSourceConfig(options: DebeziumSourceOptions): Record<string, string> {
  const {
    host,
    port,
    user,
    password,
    bootstrapServers,
    topicPrefix = 'asgard',
    schemaHistoryTopic = `${topicPrefix}.schema-history`,
    serverId = 42,
    converters = { ...plainJsonConverterConfig('key.converter'), ...plainJsonConverterConfig('value.converter') },
    connector = 'mariadb',
  } = options;
  return {
    'connector.class': connector === 'mariadb' ? 'io.debezium.connector.mariadb.MariaDbConnector' : 'io.debezium.connector.mysql.MySqlConnector',
    'tasks.max': '1',
    'database.hostname': host,
    'database.port': String(port),
    'database.user': user,
    'database.password': password,
    'database.server.id': String(serverId),
    'database.ssl.mode': connector === 'mariadb' ? 'disable' : 'disabled',
    'topic.prefix': topicPrefix,
    'schema.name.adjustment.mode': 'avro',
    'database.include.list': 'demo',
    'table.include.list': 'demo.CUSTOMERS',
    'snapshot.mode': 'initial',
    'schema.history.internal.kafka.bootstrap.servers': bootstrapServers,
    'schema.history.internal.kafka.topic': schemaHistoryTopic,
    'include.schema.changes': 'false',
    'topic.creation.default.replication.factor': '1',
    'topic.creation.default.partitions': '1',
    transforms: 'unwrap',
    'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
    'transforms.unwrap.drop.tombstones': 'false',
    'transforms.unwrap.delete.tombstone.handling.mode': 'tombstone',
    ...converters,
  };
}

/** Options for {@link jdbcSinkConfig}. */
export interface JdbcSinkOptions {
  /** The topic read unchanged, e.g. `ratings-with-customer-data`. */
  readonly topic: string;
  /** e.g. `jdbc:postgresql://127.0.0.1:5432/lake`. */
  readonly connectionUrl: string;
  readonly user: string;
  readonly password: string;
  /** The table written. @default the topic name with `-` and `.` turned into `_` */
  readonly table?: string;
  /** The column of the value that is the primary key. @default 'RATING_ID' */
  readonly primaryKey?: string;
  /** Value converter settings (e.g. {@link apicurioAvroConverterConfig}); the key is read as a string. */
  readonly valueConverter: Readonly<Record<string, string>>;
}

/**
 * Debezium's JDBC sink connector (`io.debezium.connector.jdbc.JdbcSinkConnector`) as
 * connector settings: upserts every record of `topic` by the primary key column of its
 * value, creating the table from the record schema (and adding columns as it evolves).
 */
export function jdbcSinkConfig(options: JdbcSinkOptions): Record<string, string> {
  const { topic, connectionUrl, user, password, table = topic.replace(/[-.]/g, '_'), primaryKey = 'RATING_ID', valueConverter } = options;
  return {
    'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
    'tasks.max': '1',
    topics: topic,
    'connection.url': connectionUrl,
    'connection.username': user,
    'connection.password': password,
    'insert.mode': 'upsert',
    'primary.key.mode': 'record_value',
    'primary.key.fields': primaryKey,
    'schema.evolution': 'basic',
    'collection.name.format': table,
    'delete.enabled': 'false',
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    ...valueConverter,
  };
}
