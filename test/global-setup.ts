/**
 * Vitest global setup: starts a real Kafka broker, a second, secured Kafka broker
 * (SASL_SSL only, for the tests of Kafka security) and a real Elasticsearch node once per
 * run (in parallel, on free ports) and always stops them when the run ends. Tests read
 * the addresses through `test/support/infra.ts`.
 *
 * A Schema Registry (Apicurio, see scripts/infra/apicurio.ts) is started too, in parallel,
 * only when the run includes a test file that calls `schemaRegistryUrl()`: runs of other
 * files do not pay for it. Likewise one Kafka Connect worker (Debezium, JDBC sink, Apicurio's
 * converter; scripts/infra/connect.ts), once Kafka is up, for files calling `kafkaConnectUrl()`.
 *
 * Environment:
 * - `KAFKA_BROKERS_TEST` / `ELASTICSEARCH_URL_TEST`: reuse an already running server
 *   instead of starting one (faster while developing, e.g. with `npm run stack`).
 * - `KAFKA_SECURE_BROKERS_TEST` with `KAFKA_SECURE_USERNAME_TEST`, `KAFKA_SECURE_PASSWORD_TEST`
 *   and `KAFKA_SECURE_CA_FILE_TEST` (as `npm run -s stack -- --secure` prints them): reuse a
 *   running secured broker (SASL_SSL, SCRAM-SHA-512) instead of starting the second one;
 *   with `KAFKA_SECURE_MTLS_BROKERS_TEST`, `KAFKA_SECURE_CERT_FILE_TEST` and
 *   `KAFKA_SECURE_KEY_FILE_TEST` also its mutual-TLS listener (the mutual-TLS tests need them).
 * - `SCHEMA_REGISTRY_URL_TEST`: reuse a running Schema Registry (its Confluent-compatible
 *   endpoint) instead of starting one.
 * - `KAFKA_CONNECT_URL_TEST`: reuse a running Kafka Connect worker (with the plugins of
 *   scripts/infra/connect.ts, on the same Kafka) instead of starting one.
 * - `INFRA=off`: start nothing and provide empty strings, for unit-only runs; tests that
 *   need a server then fail with a message saying so.
 *
 * Failure: if a server cannot start, setup throws with the reason (and the tail of the
 * server log), which fails the whole run, under `CI=true` as everywhere else: a missing
 * server is never a silent skip.
 */
import { readFile } from 'node:fs/promises';
import type { TestProject } from 'vitest/node';
import { startConnect, type ConnectServer } from '../scripts/infra/connect.js';
import { startInfra, startKafka, type Infra, type KafkaClientSecurity, type KafkaServer } from '../scripts/infra/index.js';

/** The secured broker as tests receive it: bootstrap servers plus how to authenticate. */
export interface SecureKafkaInfo extends KafkaClientSecurity {
  readonly brokers: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Kafka bootstrap servers, comma-separated; empty when `INFRA=off`. */
    kafkaBrokers: string;
    /** Elasticsearch base URL; empty when `INFRA=off`. */
    elasticsearchUrl: string;
    /** The secured Kafka broker; null when `INFRA=off`. */
    secureKafka: SecureKafkaInfo | null;
    /** Confluent-compatible Schema Registry URL; empty when no test of the run needs one. */
    schemaRegistryUrl: string;
    /** Kafka Connect worker's REST URL (Debezium and JDBC plugins); empty when no test of the run needs one. */
    kafkaConnectUrl: string;
  }
}

/** What a test file that needs the registry contains (see `test/support/infra.ts`). */
const REGISTRY_MARKER = 'schemaRegistryUrl()';
/** What a test file that needs the Kafka Connect worker contains. */
const CONNECT_MARKER = 'kafkaConnectUrl()';

/**
 * Which of the on-demand servers the test files of this run call for (`schemaRegistryUrl()`,
 * `kafkaConnectUrl()`). The run's file filters are Vitest-internal (`filenamePattern`); when
 * they cannot be read, every file counts.
 */
async function runNeeds(project: TestProject): Promise<{ registry: boolean; connect: boolean }> {
  const filters = (project.vitest as unknown as { filenamePattern?: unknown }).filenamePattern;
  const { testFiles } = await project.globTestFiles(Array.isArray(filters) ? filters.filter((filter): filter is string => typeof filter === 'string') : []);
  const contents = await Promise.all(testFiles.map((file) => readFile(file, 'utf8').catch(() => '')));
  return {
    registry: contents.some((content) => content.includes(REGISTRY_MARKER)),
    connect: contents.some((content) => content.includes(CONNECT_MARKER)),
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const reusedBrokers = process.env.KAFKA_BROKERS_TEST?.trim() ?? '';
  const reusedUrl = process.env.ELASTICSEARCH_URL_TEST?.trim() ?? '';
  const reusedRegistry = process.env.SCHEMA_REGISTRY_URL_TEST?.trim() ?? '';
  const reusedConnect = process.env.KAFKA_CONNECT_URL_TEST?.trim() ?? '';
  const off = process.env.INFRA === 'off';
  const reusedSecure = reusedSecureKafka();
  const needs = off ? { registry: false, connect: false } : await runNeeds(project);
  const needsRegistry = needs.registry && reusedRegistry === '';
  const needsConnect = needs.connect && reusedConnect === '';
  const startedAt = Date.now();
  let infra: Infra;
  let secureServer: KafkaServer | undefined;
  let connectServer: ConnectServer | undefined;
  try {
    // The secured broker is small (its heap, its own internal topics) and starts beside the others.
    const [plain, secured] = await Promise.allSettled([
      startInfra({ kafka: !off && reusedBrokers === '', elasticsearch: !off && reusedUrl === '', apicurio: needsRegistry }),
      off || reusedSecure ? Promise.resolve(undefined) : startKafka({ secure: true, heap: '384m' }),
    ]);
    if (plain.status === 'rejected' || secured.status === 'rejected') {
      if (plain.status === 'fulfilled') await plain.value.stop();
      if (secured.status === 'fulfilled') await secured.value?.stop();
      throw plain.status === 'rejected' ? plain.reason : (secured as PromiseRejectedResult).reason;
    }
    infra = plain.value;
    secureServer = secured.value;
    // One Kafka Connect worker (~300 MB, 35-80 s to start) for every file of the run that
    // needs one (Debezium sources and JDBC sinks, each with its own connector names).
    if (needsConnect) {
      try {
        connectServer = await startConnect({ bootstrapServers: infra.kafka?.brokers ?? reusedBrokers, groupId: `test-connect-${Date.now().toString(36)}` });
      } catch (error) {
        await Promise.all([infra.stop(), secureServer?.stop()]);
        throw error;
      }
    }
  } catch (error) {
    throw new Error(
      'Test infrastructure (Kafka, Elasticsearch, Schema Registry, Kafka Connect) could not start, so the run fails. ' +
        'Fix its cause (below), or set INFRA=off for unit tests only, or point ' +
        'KAFKA_BROKERS_TEST / ELASTICSEARCH_URL_TEST / SCHEMA_REGISTRY_URL_TEST / KAFKA_CONNECT_URL_TEST at running servers.',
      { cause: error },
    );
  }

  const kafkaBrokers = off ? '' : (infra.kafka?.brokers ?? reusedBrokers);
  const elasticsearchUrl = off ? '' : (infra.elasticsearch?.url ?? reusedUrl);
  project.provide('kafkaBrokers', kafkaBrokers);
  project.provide('elasticsearchUrl', elasticsearchUrl);
  const secureKafka: SecureKafkaInfo | null = off ? null : (reusedSecure ?? (secureServer?.security ? { brokers: secureServer.brokers, ...secureServer.security } : null));
  project.provide('secureKafka', secureKafka);
  const schemaRegistryUrl = off ? '' : (infra.apicurio?.schemaRegistryUrl ?? reusedRegistry);
  project.provide('schemaRegistryUrl', schemaRegistryUrl);
  const kafkaConnectUrl = off ? '' : (connectServer?.url ?? reusedConnect);
  project.provide('kafkaConnectUrl', kafkaConnectUrl);

  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  if (off) {
    console.log('[infra] INFRA=off: no Kafka, no Elasticsearch; integration tests will fail.');
  } else {
    const kafkaNote = infra.kafka ? `Kafka ${infra.kafka.version}` : 'Kafka (reused)';
    const esNote = infra.elasticsearch ? `Elasticsearch ${infra.elasticsearch.version}` : 'Elasticsearch (reused)';
    const secureNote = secureServer ? `secured Kafka (SASL_SSL) at ${secureServer.brokers}` : `secured Kafka (reused) at ${secureKafka?.brokers ?? ''}`;
    const registryNote = infra.apicurio ? `, Apicurio Registry ${infra.apicurio.version} at ${schemaRegistryUrl}` : reusedRegistry ? `, Schema Registry (reused) at ${reusedRegistry}` : '';
    const connectNote = connectServer ? `, Kafka Connect at ${kafkaConnectUrl}` : reusedConnect ? `, Kafka Connect (reused) at ${reusedConnect}` : '';
    console.log(`[infra] ${kafkaNote} at ${kafkaBrokers}, ${secureNote}, ${esNote} at ${elasticsearchUrl}${registryNote}${connectNote} (${seconds} s)`);
  }

  const started = infra;
  const startedSecure = secureServer;
  const startedConnect = connectServer;
  return async () => {
    // Connect first: it uses the Kafka broker.
    await startedConnect?.stop();
    await Promise.all([started.stop(), startedSecure?.stop()]);
  };
}

/** `KAFKA_SECURE_*_TEST`: a running secured broker to reuse, or null; a partial set is an error. */
function reusedSecureKafka(): SecureKafkaInfo | null {
  const names = ['KAFKA_SECURE_BROKERS_TEST', 'KAFKA_SECURE_USERNAME_TEST', 'KAFKA_SECURE_PASSWORD_TEST', 'KAFKA_SECURE_CA_FILE_TEST'] as const;
  const values = names.map((n) => process.env[n]?.trim() ?? '');
  if (values.every((v) => v === '')) return null;
  const missing = names.filter((_, i) => values[i] === '');
  if (missing.length > 0) throw new Error(`Set all of ${names.join(', ')} to reuse a secured Kafka broker (missing: ${missing.join(', ')})`);
  const [brokers, username, password, caFile] = values as [string, string, string, string];
  // Its mutual-TLS listener, when given (npm run stack -- --secure prints it).
  const mtlsBrokers = process.env.KAFKA_SECURE_MTLS_BROKERS_TEST?.trim() ?? '';
  const certFile = process.env.KAFKA_SECURE_CERT_FILE_TEST?.trim() ?? '';
  const keyFile = process.env.KAFKA_SECURE_KEY_FILE_TEST?.trim() ?? '';
  const mtls = mtlsBrokers !== '' && certFile !== '' && keyFile !== '' ? { brokers: mtlsBrokers, certFile, keyFile } : undefined;
  return { brokers, mechanism: 'scram-sha-512', username, password, caFile, ...(mtls ? { mtls } : {}) };
}
