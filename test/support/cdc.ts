/**
 * The article's CDC source for integration tests: a throw-away MariaDB holding
 * `demo.CUSTOMERS` and Debezium's connector on it in the run's Kafka Connect worker
 * (`kafkaConnectUrl()`, started once by test/global-setup.ts), writing
 * `<topicPrefix>.demo.CUSTOMERS` to the test Kafka, in one of two formats:
 *
 * - `json`: Kafka's JsonConverter without schemas (flat rows, `{"id":1}` keys), what the
 *   product reads today;
 * - `avro`: Apicurio's Avro converter in Confluent wire format, registered in the
 *   Schema Registry at `registryUrl` (Apicurio Registry 3, `scripts/infra/apicurio.ts`).
 *
 * Started per test suite (beforeAll: its own MariaDB, a few seconds, as the tests change its
 * rows; its own connector name) and always stopped (afterAll: connector deleted, MariaDB stopped).
 */
import { apicurioAvroConverterConfig, debeziumCustomersSourceConfig, plainJsonConverterConfig, type ConnectClient } from '../../scripts/infra/connect.js';
import { DEBEZIUM_DB_USER, startMariaDb, type MariaDbServer } from '../../scripts/infra/mariadb.js';

/** The format Debezium writes the CDC topic in. */
export type CdcFormat = { readonly name: 'json' } | { readonly name: 'avro'; readonly registryUrl: string };

/** Key and value converter settings for a connector writing or reading `format`. */
export function convertersFor(format: CdcFormat): Record<string, string> {
  return format.name === 'json'
    ? { ...plainJsonConverterConfig('key.converter'), ...plainJsonConverterConfig('value.converter') }
    : { ...apicurioAvroConverterConfig('key.converter', format.registryUrl), ...apicurioAvroConverterConfig('value.converter', format.registryUrl) };
}

export interface CdcSource {
  readonly mariadb: MariaDbServer;
  readonly connect: ConnectClient;
  /** The Debezium source connector's name. */
  readonly connector: string;
  /** The topic Debezium writes: `<topicPrefix>.demo.CUSTOMERS`. */
  readonly topic: string;
  /** Deletes the connector and stops MariaDB. Never rejects. */
  stop(): Promise<void>;
}

/** What MariaDB took to start and the connector to run (ms), for the notes. */
export interface CdcTimings {
  mariadbMs: number;
  connectorMs: number;
}

/**
 * Starts MariaDB, then the Debezium source (snapshot, then binlog) in the worker `connect`,
 * and waits until it and its task are RUNNING. Stops what started if anything fails.
 */
export async function startCdcSource(options: {
  readonly brokers: string;
  readonly connect: ConnectClient;
  readonly topicPrefix: string;
  readonly format: CdcFormat;
  readonly timings?: CdcTimings;
}): Promise<CdcSource> {
  const { brokers, connect, topicPrefix, format, timings } = options;
  const startedAt = Date.now();
  const mariadb = await startMariaDb();
  if (timings) timings.mariadbMs = Date.now() - startedAt;
  const connector = `${topicPrefix}-customers-source`;
  const stop = async (): Promise<void> => {
    await connect.deleteConnector(connector).catch(() => undefined);
    await mariadb.stop();
  };
  try {
    const connectorAt = Date.now();
    await connect.createConnector(
      connector,
      debeziumCustomersSourceConfig({
        host: mariadb.host,
        port: mariadb.port,
        ...DEBEZIUM_DB_USER,
        bootstrapServers: brokers,
        topicPrefix,
        converters: convertersFor(format),
      }),
    );
    if (timings) timings.connectorMs = Date.now() - connectorAt;
    return { mariadb, connect, connector, topic: `${topicPrefix}.demo.CUSTOMERS`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
