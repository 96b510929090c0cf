/**
 * Vitest global setup: starts a real Kafka broker and a real Elasticsearch node once per
 * run (in parallel, on free ports) and always stops them when the run ends. Tests read
 * the addresses through `test/support/infra.ts`.
 *
 * A Schema Registry (Apicurio, see scripts/infra/apicurio.ts) is started too, in parallel,
 * only when the run includes a test file that calls `schemaRegistryUrl()`: runs of other
 * files do not pay for it.
 *
 * Environment:
 * - `KAFKA_BROKERS_TEST` / `ELASTICSEARCH_URL_TEST` / `SCHEMA_REGISTRY_URL_TEST`: reuse an
 *   already running server instead of starting one (faster while developing, e.g. with
 *   `npm run stack`); the registry URL is its Confluent-compatible endpoint.
 * - `INFRA=off`: start nothing and provide empty strings, for unit-only runs; tests that
 *   need a server then fail with a message saying so.
 *
 * Failure: if a server cannot start, setup throws with the reason (and the tail of the
 * server log), which fails the whole run, under `CI=true` as everywhere else: a missing
 * server is never a silent skip.
 */
import { readFile } from 'node:fs/promises';
import type { TestProject } from 'vitest/node';
import { startInfra, type Infra } from '../scripts/infra/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Kafka bootstrap servers, comma-separated; empty when `INFRA=off`. */
    kafkaBrokers: string;
    /** Elasticsearch base URL; empty when `INFRA=off`. */
    elasticsearchUrl: string;
    /** Confluent-compatible Schema Registry URL; empty when no test of the run needs one. */
    schemaRegistryUrl: string;
  }
}

/** What a test file that needs the registry contains (see `test/support/infra.ts`). */
const REGISTRY_MARKER = 'schemaRegistryUrl()';

/**
 * Whether a test file of this run calls `schemaRegistryUrl()`. The run's file filters are
 * Vitest-internal (`filenamePattern`); when they cannot be read, every file counts.
 */
async function runNeedsRegistry(project: TestProject): Promise<boolean> {
  const filters = (project.vitest as unknown as { filenamePattern?: unknown }).filenamePattern;
  const { testFiles } = await project.globTestFiles(
    Array.isArray(filters) ? filters.filter((filter): filter is string => typeof filter === 'string') : [],
  );
  const contents = await Promise.all(testFiles.map((file) => readFile(file, 'utf8').catch(() => '')));
  return contents.some((content) => content.includes(REGISTRY_MARKER));
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const reusedBrokers = process.env.KAFKA_BROKERS_TEST?.trim() ?? '';
  const reusedUrl = process.env.ELASTICSEARCH_URL_TEST?.trim() ?? '';
  const reusedRegistry = process.env.SCHEMA_REGISTRY_URL_TEST?.trim() ?? '';
  const off = process.env.INFRA === 'off';
  const needsRegistry = !off && reusedRegistry === '' && (await runNeedsRegistry(project));
  const startedAt = Date.now();
  let infra: Infra;
  try {
    infra = await startInfra({
      kafka: !off && reusedBrokers === '',
      elasticsearch: !off && reusedUrl === '',
      apicurio: needsRegistry,
    });
  } catch (error) {
    throw new Error(
      'Test infrastructure (Kafka, Elasticsearch, Schema Registry) could not start, so the run fails. ' +
        'Fix its cause (below), or set INFRA=off for unit tests only, or point ' +
        'KAFKA_BROKERS_TEST / ELASTICSEARCH_URL_TEST / SCHEMA_REGISTRY_URL_TEST at running servers.',
      { cause: error },
    );
  }

  const kafkaBrokers = off ? '' : (infra.kafka?.brokers ?? reusedBrokers);
  const elasticsearchUrl = off ? '' : (infra.elasticsearch?.url ?? reusedUrl);
  project.provide('kafkaBrokers', kafkaBrokers);
  project.provide('elasticsearchUrl', elasticsearchUrl);
  const schemaRegistryUrl = off ? '' : (infra.apicurio?.schemaRegistryUrl ?? reusedRegistry);
  project.provide('schemaRegistryUrl', schemaRegistryUrl);

  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  if (off) {
    console.log('[infra] INFRA=off: no Kafka, no Elasticsearch; integration tests will fail.');
  } else {
    const kafkaNote = infra.kafka ? `Kafka ${infra.kafka.version}` : 'Kafka (reused)';
    const esNote = infra.elasticsearch ? `Elasticsearch ${infra.elasticsearch.version}` : 'Elasticsearch (reused)';
    const registryNote = infra.apicurio
      ? `, Apicurio Registry ${infra.apicurio.version} at ${schemaRegistryUrl}`
      : reusedRegistry
        ? `, Schema Registry (reused) at ${reusedRegistry}`
        : '';
    console.log(`[infra] ${kafkaNote} at ${kafkaBrokers}, ${esNote} at ${elasticsearchUrl}${registryNote} (${seconds} s)`);
  }

  const started = infra;
  return async () => {
    await started.stop();
  };
}
