/**
 * The article's CDC source for integration tests: a throw-away MariaDB holding
 * `demo.CUSTOMERS` and a Kafka Connect worker running Debezium's connector on it, writing
 * `<topicPrefix>.demo.CUSTOMERS` to the test Kafka, in one of two formats:
 *
 * - `json`: Kafka's JsonConverter without schemas (flat rows, `{"id":1}` keys), what the
 *   product reads today;
 * - `avro`: Apicurio's Avro converter in Confluent wire format, registered in the
 *   Schema Registry at `registryUrl` (Apicurio Registry 3, `scripts/infra/apicurio.ts`).
 *
 * Started once per test file (beforeAll) and always stopped (afterAll).
 */
import {
  apicurioAvroConverterConfig,
  debeziumCustomersSourceConfig,
  plainJsonConverterConfig,
  startConnect,
  type ConnectServer,
} from '../../scripts/infra/connect.js';
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
  readonly connect: ConnectServer;
  /** The topic Debezium writes: `<topicPrefix>.demo.CUSTOMERS`. */
  readonly topic: string;
  /** Stops Connect and MariaDB (in parallel). Never rejects. */
  stop(): Promise<void>;
}

/** What the two servers took to start (ms), for the notes. */
export interface CdcTimings {
  mariadbMs: number;
  connectMs: number;
  connectorMs: number;
}

/**
 * Starts MariaDB and Connect in parallel, then the Debezium source (snapshot, then binlog)
 * and waits until it and its task are RUNNING. Stops what started if anything fails.
 */
export async function startCdcSource(options: {
  readonly brokers: string;
  readonly topicPrefix: string;
  readonly format: CdcFormat;
  readonly timings?: CdcTimings;
}): Promise<CdcSource> {
  const { brokers, topicPrefix, format, timings } = options;
  const startedAt = Date.now();
  const [mariadb, connect] = await Promise.allSettled([
    startMariaDb().then((server) => {
      if (timings) timings.mariadbMs = Date.now() - startedAt;
      return server;
    }),
    startConnect({ bootstrapServers: brokers, groupId: `${topicPrefix}-connect` }).then((server) => {
      if (timings) timings.connectMs = Date.now() - startedAt;
      return server;
    }),
  ]);
  const stop = async (): Promise<void> => {
    await Promise.all([mariadb, connect].map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined)));
  };
  try {
    if (mariadb.status === 'rejected') throw mariadb.reason;
    if (connect.status === 'rejected') throw connect.reason;
    const connectorAt = Date.now();
    await connect.value.createConnector(
      `${topicPrefix}-customers-source`,
      debeziumCustomersSourceConfig({
        host: mariadb.value.host,
        port: mariadb.value.port,
        ...DEBEZIUM_DB_USER,
        bootstrapServers: brokers,
        topicPrefix,
        converters: convertersFor(format),
      }),
    );
    if (timings) timings.connectorMs = Date.now() - connectorAt;
    return { mariadb: mariadb.value, connect: connect.value, topic: `${topicPrefix}.demo.CUSTOMERS`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
