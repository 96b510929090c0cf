/**
 * Test helpers for the real Kafka, Elasticsearch and Schema Registry started by
 * `test/global-setup.ts`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inject } from 'vitest';

function required(value: string, what: string, reusable: string): string {
  if (value === '') {
    throw new Error(
      `This test needs ${what}, but none is running: the run was started with INFRA=off ` +
        `(or without test/global-setup.ts as vitest globalSetup). Run without INFRA=off, ` +
        `or set ${reusable} to a running server.`,
    );
  }
  return value;
}

/**
 * Bootstrap servers of the test Kafka broker, ready for kafkajs (`new Kafka({ brokers })`).
 * Join with ',' for a `KAFKA_BROKERS` value.
 *
 * @throws Error explaining why when the run has no Kafka (e.g. `INFRA=off`)
 */
export function kafkaBrokers(): string[] {
  return required(inject('kafkaBrokers'), 'Kafka', 'KAFKA_BROKERS_TEST')
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
}

/**
 * Base URL of the test Elasticsearch node, e.g. `http://127.0.0.1:41234`.
 *
 * @throws Error explaining why when the run has no Elasticsearch (e.g. `INFRA=off`)
 */
export function elasticsearchUrl(): string {
  return required(inject('elasticsearchUrl'), 'Elasticsearch', 'ELASTICSEARCH_URL_TEST');
}

/** The secured test broker (SASL_SSL, SCRAM-SHA-512) of `test/global-setup.ts`. */
export interface SecureKafka {
  readonly brokers: string[];
  readonly sasl: { readonly mechanism: 'scram-sha-512'; readonly username: string; readonly password: string };
  /** PEM file of the CA that signed the broker's certificate. */
  readonly caFile: string;
  /** The CA certificate itself (PEM). */
  readonly ca: string;
  /** The product's environment for it: `KAFKA_BROKERS`, `KAFKA_SASL_*`, `KAFKA_SSL`, `KAFKA_SSL_CA_FILE`. */
  readonly env: Record<string, string>;
  /**
   * The same broker's mutual-TLS listener (no SASL; `ssl.client.auth=required`) and a client
   * certificate its CA signed; null when the broker is reused through KAFKA_SECURE_*_TEST.
   */
  readonly mtls: {
    readonly brokers: string[];
    /** PEM text of the client certificate and its key. */
    readonly cert: string;
    readonly key: string;
    /** The product's environment for it: `KAFKA_BROKERS`, `KAFKA_SSL`, `KAFKA_SSL_CA_FILE`, `KAFKA_SSL_CERT_FILE`, `KAFKA_SSL_KEY_FILE`. */
    readonly env: Record<string, string>;
  } | null;
}

/**
 * The secured Kafka broker of the run and how to authenticate to it.
 *
 * @throws Error explaining why when the run has none (e.g. `INFRA=off`)
 */
export function secureKafka(): SecureKafka {
  const info = inject('secureKafka');
  if (!info) required('', 'the secured Kafka broker', 'KAFKA_SECURE_BROKERS_TEST (and KAFKA_SECURE_USERNAME_TEST, KAFKA_SECURE_PASSWORD_TEST, KAFKA_SECURE_CA_FILE_TEST)');
  const { brokers, mechanism, username, password, caFile, mtls } = info!;
  return {
    mtls: mtls
      ? {
          brokers: [mtls.brokers],
          cert: readFileSync(mtls.certFile, 'utf8'),
          key: readFileSync(mtls.keyFile, 'utf8'),
          env: { KAFKA_BROKERS: mtls.brokers, KAFKA_SSL: 'on', KAFKA_SSL_CA_FILE: caFile, KAFKA_SSL_CERT_FILE: mtls.certFile, KAFKA_SSL_KEY_FILE: mtls.keyFile },
        }
      : null,
    brokers: brokers
      .split(',')
      .map((b) => b.trim())
      .filter((b) => b !== ''),
    sasl: { mechanism, username, password },
    caFile,
    ca: readFileSync(caFile, 'utf8'),
    env: { KAFKA_BROKERS: brokers, KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password, KAFKA_SSL: 'on', KAFKA_SSL_CA_FILE: caFile },
  };
}

/**
 * The Confluent-compatible Schema Registry of the run (Apicurio's `/apis/ccompat/v7`),
 * e.g. `http://127.0.0.1:41234/apis/ccompat/v7`. `test/global-setup.ts` starts one only
 * for runs including a test file that calls this function.
 *
 * @throws Error explaining why when the run has no registry (e.g. `INFRA=off`)
 */
export function schemaRegistryUrl(): string {
  return required(inject('schemaRegistryUrl'), 'a Schema Registry', 'SCHEMA_REGISTRY_URL_TEST');
}

/**
 * REST URL of the run's Kafka Connect worker (Debezium's MariaDB/MySQL sources, the JDBC
 * sink, Apicurio's Avro converter), shared by every file of the run: use unique connector
 * names and delete them. `test/global-setup.ts` starts it for runs including a file that
 * calls this function. Use it with `connectClient()` of scripts/infra/connect.ts.
 *
 * @throws Error explaining why when the run has none (e.g. `INFRA=off`)
 */
export function kafkaConnectUrl(): string {
  return required(inject('kafkaConnectUrl'), 'a Kafka Connect worker', 'KAFKA_CONNECT_URL_TEST');
}

/**
 * A name no other test (or earlier run against a reused server) has used, for topics,
 * indices, consumer groups and transactional ids: `<prefix>-<base36 time>-<random hex>`,
 * lower-case, so it is a valid Elasticsearch index name when the prefix is one.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`.toLowerCase();
}
