/**
 * A real, throw-away Apache Kafka broker (KRaft, one combined broker + controller) on
 * free ports of 127.0.0.1, run from the jars on Maven Central. No Docker.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { prepareKafkaSecurity, scramFormatArgs, secureListenerProperties, type KafkaClientSecurity } from './kafka-security.js';
import {
  DEFAULT_STARTUP_TIMEOUT_MS,
  DEFAULT_STOP_TIMEOUT_MS,
  MAVEN_DEPENDENCY_PLUGIN,
  StartupError,
  cacheDir,
  errorMessage,
  exists,
  freePorts,
  logWatcher,
  makeTempDir,
  readTail,
  runCommand,
  runMaven,
  startServerProcess,
  waitUntilReady,
  type ServerProcess,
} from './shared.js';

/**
 * Kafka version run by default. Tests pin 3.9.x; 4.x is for trying the client against it
 * (see docs/kafka-4.md).
 */
export const DEFAULT_KAFKA_VERSION = '3.9.1';

/**
 * The version to run when none is passed: `KAFKA_VERSION` from the environment (e.g.
 * `KAFKA_VERSION=4.1.1 npm run stack`), else {@link DEFAULT_KAFKA_VERSION}.
 *
 * @throws Error if `KAFKA_VERSION` is set but is not a plain `X.Y.Z` release
 */
export function kafkaVersionFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.KAFKA_VERSION?.trim();
  if (!fromEnv) return DEFAULT_KAFKA_VERSION;
  checkVersion(fromEnv);
  return fromEnv;
}

function checkVersion(version: string): void {
  if (!/^\d+\.\d+\.\d+$/.test(version)) {
    throw new Error(`Kafka version must look like 3.9.1 or 4.1.1, got ${JSON.stringify(version)}`);
  }
}

/** Kafka 4 logs with log4j 2 (and slf4j 2); 3.x with reload4j (log4j 1). */
function usesLog4j2(version: string): boolean {
  return Number(version.split('.')[0]) >= 4;
}

/** Options for {@link startKafka}; every field is optional. */
export interface KafkaOptions {
  /**
   * Kafka release (Maven artifact `org.apache.kafka:kafka_2.13`), 3.x or 4.x. The tests pin
   * 3.9.x; kafkajs was probed against 4.0-4.4 (docs/kafka-4.md, scripts/kafka4-probe.ts).
   * @default process.env.KAFKA_VERSION, else '3.9.1'
   */
  readonly version?: string;
  /** JVM heap, passed as both -Xms and -Xmx. @default '512m' */
  readonly heap?: string;
  /** `java` executable (Java 17 or 21; Kafka 3.9 and 4.x do not need more). @default 'java' (on PATH) */
  readonly java?: string;
  /** @default DEFAULT_STARTUP_TIMEOUT_MS // 5 minutes */
  readonly startupTimeoutMs?: number;
  /** Extra `server.properties` entries, overriding the defaults. */
  readonly properties?: Readonly<Record<string, string | number | boolean>>;
  /**
   * Create the internal `__consumer_offsets` and `__transaction_state` topics before
   * returning, so the first consumer group and the first transactional producer of a test
   * do not meet "coordinator not available" while the broker creates them.
   * @default true
   */
  readonly warmUp?: boolean;
  /**
   * A secured broker: clients get only a SASL_SSL listener (SCRAM-SHA-512, a user created
   * when storage is formatted, a certificate signed by a CA made for this broker in its
   * data folder); see scripts/infra/kafka-security.ts. {@link KafkaServer.security} says
   * how to connect.
   * @default false
   */
  readonly secure?: boolean;
}

/** A running broker. */
export interface KafkaServer {
  /** Bootstrap servers, comma-separated: `127.0.0.1:<port>`. */
  readonly brokers: string;
  /** How to connect to a secured broker (`secure: true`); undefined for a plaintext one. */
  readonly security: KafkaClientSecurity | undefined;
  /** Version reported by the broker at start-up, e.g. `3.9.1`. */
  readonly version: string;
  /**
   * Bounces the broker: stops it keeping its data, stays down for `downMs`, then starts
   * it again on the same ports and waits until it is up. For tests of what clients do
   * across a broker bounce. Graceful is SIGTERM (SIGKILL after 15 s), as a rolling
   * restart does; otherwise SIGKILL at once, as a crash does (the broker then recovers
   * its logs and transaction state at start-up).
   *
   * @param downMs time with no broker @default 0
   */
  restart(downMs?: number, options?: { readonly graceful?: boolean }): Promise<void>;
  /**
   * Stops the broker (SIGTERM, SIGKILL after 15 s) and deletes its data. Idempotent;
   * never rejects.
   */
  stop(): Promise<void>;
}

/**
 * Makes sure the Kafka jars are in `.cache/infra/kafka-<version>/libs`, resolving them with
 * Maven (into `~/.m2`) the first time. Safe to call concurrently.
 *
 * @returns the `libs` directory
 * @throws Error with Maven's output when resolution fails
 */
export async function fetchKafka(version = kafkaVersionFromEnv()): Promise<string> {
  checkVersion(version);
  const home = join(cacheDir, `kafka-${version}`);
  const libs = join(home, 'libs');
  if (exists(libs)) return libs;
  await mkdir(home, { recursive: true });
  const pom = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.infra</groupId><artifactId>kafka-runtime</artifactId><version>${version}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${version}</version></dependency>
${usesLog4j2(version) ? LOG4J2_DEPENDENCIES : RELOAD4J_DEPENDENCIES}
  </dependencies>
</project>
`;
  await writeFile(join(home, 'pom.xml'), pom);
  // Resolve into a private folder, then rename: a concurrent run never sees half a folder.
  const staging = join(home, `libs.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await runMaven([`${MAVEN_DEPENDENCY_PLUGIN}:copy-dependencies`, `-DoutputDirectory=${staging}`, '-DincludeScope=runtime'], home);
    const jars = (await readdir(staging)).filter((file) => file.endsWith('.jar'));
    if (!jars.some((jar) => jar.startsWith(`kafka_2.13-${version}`))) {
      throw new Error(`Maven resolved no kafka_2.13-${version} jar into ${staging}`);
    }
    if (!exists(libs)) await rename(staging, libs);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return libs;
}

const RELOAD4J_DEPENDENCIES = `    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
    <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId><version>1.2.25</version></dependency>`;

// Kafka 4 brings log4j-api/-core but no slf4j binding; slf4j-api 2 replaces its 1.7.36 (compatible).
const LOG4J2_DEPENDENCIES = `    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.17</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>2.25.5</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.25.5</version></dependency>`;

/** Kafka's cluster id format: 16 random bytes, URL-safe base64 without padding, not starting with '-'. */
function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function serverProperties(dataDir: string, port: number, controllerPort: number, overrides: KafkaOptions['properties']): string {
  const properties: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': dataDir,
    'num.partitions': 3,
    'default.replication.factor': 1,
    'auto.create.topics.enable': true,
    'offsets.topic.replication.factor': 1,
    // Fewer internal partitions than the default 50: much faster first group / transaction.
    'offsets.topic.num.partitions': 5,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 5,
    'group.initial.rebalance.delay.ms': 0,
    // Keep everything: tests and demos use the article's 2018 rating times as
    // record timestamps, which the default 7-day retention would delete within
    // seconds of the first segment roll.
    'log.retention.ms': -1,
    ...overrides,
  };
  return Object.entries(properties)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join('\n')
    .concat('\n');
}

const LOG4J_PROPERTIES = `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.org.apache.kafka.clients=WARN
`;

const LOG4J2_PROPERTIES = `status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.stateChange.name = state.change.logger
logger.stateChange.level = WARN
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
`;

/**
 * Starts a fresh single-node Kafka broker: formats storage in a new temp dir, starts
 * `kafka.Kafka` in its own process group and waits for `Kafka Server started` in its log.
 *
 * Defaults: version `KAFKA_VERSION` or 3.9.1, heap 512 MB, `num.partitions=3`, internal topics with
 * replication factor 1 (transactions work on one broker), `group.initial.rebalance.delay.ms=0`,
 * auto topic creation on. Ports are free ports on 127.0.0.1; if one is taken before the
 * broker binds it, start-up is retried with new ports (3 attempts).
 *
 * The broker is also killed, and its data removed, if this process exits or is killed
 * without calling `stop()`.
 *
 * @throws Error if the jars cannot be resolved, or `StartupError` (with the tail of the
 *   broker log) if the broker exits or is not ready within the timeout; nothing is
 *   left running in that case.
 */
export async function startKafka(options: KafkaOptions = {}): Promise<KafkaServer> {
  const { version = kafkaVersionFromEnv(), heap = '512m', java = 'java', startupTimeoutMs = DEFAULT_STARTUP_TIMEOUT_MS, properties, warmUp = true, secure = false } = options;
  const libs = await fetchKafka(version);
  for (let attempt = 1; ; attempt += 1) {
    try {
      const server = await startOnce({ version, heap, java, startupTimeoutMs, properties, libs, secure });
      if (warmUp) await warmUpOrStop(server, startupTimeoutMs);
      return server;
    } catch (error) {
      if (!(error instanceof StartupError && error.portWasTaken && attempt < 3)) throw error;
    }
  }
}

/**
 * Asks the broker for a group coordinator and a transaction coordinator (kafkajs retries
 * until the internal topics exist). Stops the broker if that fails.
 */
async function warmUpOrStop(server: KafkaServer, timeoutMs: number): Promise<void> {
  const security = server.security;
  const kafka = new Kafka({
    clientId: 'infra-warm-up',
    brokers: server.brokers.split(','),
    ...(security
      ? {
          ssl: { ca: [await readFile(security.caFile, 'utf8')] },
          sasl: { mechanism: security.mechanism, username: security.username, password: security.password },
        }
      : {}),
    logLevel: logLevel.NOTHING,
    retry: { maxRetryTime: 2_000, retries: 30 },
  });
  const admin = kafka.admin();
  const producer = kafka.producer({
    transactionalId: `infra-warm-up-${randomBytes(4).toString('hex')}`,
    maxInFlightRequests: 1,
    idempotent: true,
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      (async () => {
        await Promise.all([admin.connect(), producer.connect()]);
        await Promise.all([
          admin.describeGroups(['infra-warm-up']),
          // Only a transaction (not connect) makes kafkajs look up the transaction coordinator.
          producer.transaction().then((transaction) => transaction.abort()),
        ]);
      })(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not done within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    await server.stop();
    throw new Error(`Kafka started but did not create its internal topics: ${errorMessage(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
    await Promise.allSettled([admin.disconnect(), producer.disconnect()]);
  }
}

interface StartOnceOptions {
  readonly version: string;
  readonly heap: string;
  readonly java: string;
  readonly startupTimeoutMs: number;
  readonly properties: KafkaOptions['properties'];
  readonly libs: string;
  readonly secure: boolean;
}

async function startOnce(options: StartOnceOptions): Promise<KafkaServer> {
  const { version, heap, java, startupTimeoutMs, properties, libs, secure } = options;
  const root = await makeTempDir('kafka');
  let server: ServerProcess | undefined;
  try {
    const [port, controllerPort, mtlsPort] = await freePorts(3);
    if (port === undefined || controllerPort === undefined || mtlsPort === undefined) throw new Error('Kafka: no free ports');
    const dataDir = join(root, 'data');
    const propertiesFile = join(root, 'server.properties');
    const log4j2 = usesLog4j2(version);
    const log4jFile = join(root, log4j2 ? 'log4j2.properties' : 'log4j.properties');
    const logFile = join(root, 'server.log');
    await mkdir(dataDir);
    const security = secure ? await prepareKafkaSecurity(root) : undefined;
    const listeners = security ? secureListenerProperties(security, port, controllerPort, mtlsPort) : {};
    await writeFile(propertiesFile, serverProperties(dataDir, port, controllerPort, { ...listeners, ...properties }));
    await writeFile(log4jFile, log4j2 ? LOG4J2_PROPERTIES : LOG4J_PROPERTIES);
    const jvmArgs = [
      '-Djava.awt.headless=true',
      log4j2 ? `-Dlog4j2.configurationFile=${log4jFile}` : `-Dlog4j.configuration=file:${log4jFile}`,
      `-Dkafka.logs.dir=${join(root, 'logs')}`,
      '-cp',
      join(libs, '*'),
    ];

    try {
      await runCommand(java, ['-Xmx256m', ...jvmArgs, 'kafka.tools.StorageTool', 'format', '-t', randomClusterId(), '-c', propertiesFile, ...(security ? scramFormatArgs(security) : [])], {
        timeoutMs: startupTimeoutMs,
      });
    } catch (error) {
      throw new Error(`Kafka: formatting storage failed: ${errorMessage(error)}`, { cause: error });
    }

    const launch = async (): Promise<ServerProcess> => {
      const from = await stat(logFile).then(
        (st) => st.size,
        () => 0,
      );
      const proc = await startServerProcess({
        name: 'Kafka',
        command: java,
        args: [`-Xms${heap}`, `-Xmx${heap}`, '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', ...jvmArgs, 'kafka.Kafka', propertiesFile],
        cwd: root,
        env: process.env,
        logFile,
        cleanupPaths: [root],
      });
      try {
        await waitUntilReady({ server: proc, timeoutMs: startupTimeoutMs, isReady: logWatcher(logFile, 'Kafka Server started', from) });
      } catch (error) {
        await proc.stop(2_000);
        throw error;
      }
      return proc;
    };
    server = await launch();

    let current: ServerProcess = server;
    let stopped = false;
    const reported = /Kafka version: (\S+)/.exec(await readTail(logFile, 4 * 1024 * 1024))?.[1];
    return {
      brokers: `127.0.0.1:${port}`,
      security: security ? { ...security.client, mtls: { brokers: `127.0.0.1:${mtlsPort}`, ...security.clientCert } } : undefined,
      version: reported ?? version,
      restart: async (downMs = 0, { graceful = true } = {}) => {
        if (stopped) throw new Error('Kafka: restart after stop');
        await current.stop(graceful ? DEFAULT_STOP_TIMEOUT_MS : 0, { keepFiles: true });
        if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
        current = await launch();
        // Stopped meanwhile: stop the broker just started too.
        if (stopped) await current.stop();
      },
      stop: async () => {
        stopped = true;
        await current.stop();
        // After a restart that failed, `current` is the process stopped with its files kept.
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (server) await server.stop(2_000);
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}
