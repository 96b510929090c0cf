/**
 * Test helpers for the real Kafka, Elasticsearch and Schema Registry started by
 * `test/global-setup.ts`.
 */
import { randomBytes } from 'node:crypto';
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
 * A name no other test (or earlier run against a reused server) has used, for topics,
 * indices, consumer groups and transactional ids: `<prefix>-<base36 time>-<random hex>`,
 * lower-case, so it is a valid Elasticsearch index name when the prefix is one.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`.toLowerCase();
}
