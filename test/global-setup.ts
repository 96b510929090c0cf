/**
 * Vitest global setup: starts a real Kafka broker and a real Elasticsearch node once per
 * run (in parallel, on free ports) and always stops them when the run ends. Tests read
 * the addresses through `test/support/infra.ts`.
 *
 * Environment:
 * - `KAFKA_BROKERS_TEST` / `ELASTICSEARCH_URL_TEST`: reuse an already running server
 *   instead of starting one (faster while developing, e.g. with `npm run stack`).
 * - `INFRA=off`: start nothing and provide empty strings, for unit-only runs; tests that
 *   need a server then fail with a message saying so.
 *
 * Failure: if a server cannot start, setup throws with the reason (and the tail of the
 * server log), which fails the whole run, under `CI=true` as everywhere else: a missing
 * server is never a silent skip.
 */
import type { TestProject } from 'vitest/node';
import { startInfra, type Infra } from '../scripts/infra/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Kafka bootstrap servers, comma-separated; empty when `INFRA=off`. */
    kafkaBrokers: string;
    /** Elasticsearch base URL; empty when `INFRA=off`. */
    elasticsearchUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const reusedBrokers = process.env.KAFKA_BROKERS_TEST?.trim() ?? '';
  const reusedUrl = process.env.ELASTICSEARCH_URL_TEST?.trim() ?? '';
  const off = process.env.INFRA === 'off';
  const startedAt = Date.now();
  let infra: Infra;
  try {
    infra = await startInfra({
      kafka: !off && reusedBrokers === '',
      elasticsearch: !off && reusedUrl === '',
    });
  } catch (error) {
    throw new Error(
      'Test infrastructure (Kafka, Elasticsearch) could not start, so the run fails. ' +
        'Fix its cause (below), or set INFRA=off for unit tests only, or point ' +
        'KAFKA_BROKERS_TEST / ELASTICSEARCH_URL_TEST at running servers.',
      { cause: error },
    );
  }

  const kafkaBrokers = off ? '' : (infra.kafka?.brokers ?? reusedBrokers);
  const elasticsearchUrl = off ? '' : (infra.elasticsearch?.url ?? reusedUrl);
  project.provide('kafkaBrokers', kafkaBrokers);
  project.provide('elasticsearchUrl', elasticsearchUrl);

  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  if (off) {
    console.log('[infra] INFRA=off: no Kafka, no Elasticsearch; integration tests will fail.');
  } else {
    const kafkaNote = infra.kafka ? `Kafka ${infra.kafka.version}` : 'Kafka (reused)';
    const esNote = infra.elasticsearch ? `Elasticsearch ${infra.elasticsearch.version}` : 'Elasticsearch (reused)';
    console.log(`[infra] ${kafkaNote} at ${kafkaBrokers}, ${esNote} at ${elasticsearchUrl} (${seconds} s)`);
  }

  const started = infra;
  return async () => {
    await started.stop();
  };
}
