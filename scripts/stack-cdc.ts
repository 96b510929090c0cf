/**
 * The CDC part of `npm run stack -- --cdc`: a MariaDB holding the article's
 * `demo.CUSTOMERS` and a Kafka Connect worker running Debezium's source on it into
 * `asgard.demo.CUSTOMERS`, next to the Kafka, Elasticsearch and Apicurio Registry that
 * `startInfra` started.
 */
import { apicurioAvroConverterConfig, debeziumCustomersSourceConfig, plainJsonConverterConfig, startConnect, type ConnectServer } from './infra/connect.js';
import type { Infra } from './infra/index.js';
import { DEBEZIUM_DB_USER, startMariaDb, type MariaDbServer } from './infra/mariadb.js';

/** The name of the Debezium source connector in the stack's Connect worker. */
export const STACK_SOURCE_CONNECTOR = 'asgard-customers-source';

export interface CdcStack {
  readonly mariadb: MariaDbServer;
  readonly connect: ConnectServer;
  /** `export` lines for the shell. */
  readonly exports: readonly string[];
  /** Stops Connect, then MariaDB. Never rejects. */
  stop(): Promise<void>;
}

/** `--cdc-format=json` or `--cdc-format=avro` (the default, as in the article). */
export function cdcFormatFromArgs(args: readonly string[]): 'json' | 'avro' {
  const given = args.find((arg) => arg.startsWith('--cdc-format='))?.slice('--cdc-format='.length);
  if (given === undefined || given === 'avro') return 'avro';
  if (given === 'json') return 'json';
  throw new Error(`--cdc-format must be json or avro, got ${JSON.stringify(given)}`);
}

/**
 * Starts MariaDB and Connect in parallel, then the Debezium source writing
 * `asgard.demo.CUSTOMERS` in `format` (Avro through the stack's Apicurio Registry, in the
 * Confluent wire format, or plain JSON), and waits until it is RUNNING.
 *
 * @throws Error if a server or the connector cannot start; what started is stopped first.
 */
export async function startCdcStack(infra: Infra, format: 'json' | 'avro'): Promise<CdcStack> {
  const { kafka, apicurio } = infra;
  if (!kafka) throw new Error('The CDC stack needs Kafka');
  if (format === 'avro' && !apicurio) throw new Error('Avro CDC needs the Apicurio Registry');
  const startedAt = Date.now();
  const seconds = (): string => ((Date.now() - startedAt) / 1000).toFixed(1);
  const [mariadb, connect] = await Promise.allSettled([
    startMariaDb({ startupTimeoutMs: 5 * 60_000 }).then((server) => {
      console.error(`MariaDB ${server.version} is up on 127.0.0.1:${server.port} (${seconds()} s).`);
      return server;
    }),
    startConnect({ bootstrapServers: kafka.brokers, groupId: 'stack-connect', startupTimeoutMs: 5 * 60_000 }).then((server) => {
      console.error(`Kafka Connect is up at ${server.url} (${seconds()} s).`);
      return server;
    }),
  ]);
  const stop = async (): Promise<void> => {
    if (connect.status === 'fulfilled') await connect.value.stop();
    if (mariadb.status === 'fulfilled') await mariadb.value.stop();
  };
  try {
    if (mariadb.status === 'rejected') throw mariadb.reason;
    if (connect.status === 'rejected') throw connect.reason;
    const converters =
      format === 'avro' && apicurio
        ? { ...apicurioAvroConverterConfig('key.converter', apicurio.url), ...apicurioAvroConverterConfig('value.converter', apicurio.url) }
        : { ...plainJsonConverterConfig('key.converter'), ...plainJsonConverterConfig('value.converter') };
    await connect.value.createConnector(
      STACK_SOURCE_CONNECTOR,
      debeziumCustomersSourceConfig({
        host: mariadb.value.host,
        port: mariadb.value.port,
        ...DEBEZIUM_DB_USER,
        bootstrapServers: kafka.brokers,
        converters,
      }),
    );
    console.error(`Debezium captures demo.CUSTOMERS into asgard.demo.CUSTOMERS (${format}) (${seconds()} s).`);
    const exports = [
      ...(apicurio ? [`export SCHEMA_REGISTRY_URL=${apicurio.schemaRegistryUrl}`, `export SCHEMA_REGISTRY_URL_TEST=${apicurio.schemaRegistryUrl}`] : []),
      `export KAFKA_CONNECT_URL=${connect.value.url}`,
      // npm test reuses the worker too (test/global-setup.ts): same plugins, same Kafka.
      `export KAFKA_CONNECT_URL_TEST=${connect.value.url}`,
      `export DEMO_DB_URL=${mariadb.value.demoUrl}`,
    ];
    return { mariadb: mariadb.value, connect: connect.value, exports, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
