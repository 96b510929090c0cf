/**
 * `npm run stack`: starts a real Kafka broker and a real Elasticsearch node on free ports
 * of 127.0.0.1, prints the variables to use them, and keeps them up until Ctrl-C (SIGINT)
 * or SIGTERM, then stops both and deletes their data.
 *
 * Paste the printed lines into another shell to run the product (`npm start`) against
 * them, or use the `*_TEST` variants to make `npm test` reuse them instead of starting
 * its own servers. Exits 1 with the reason (and the server log tail) if either cannot start.
 */
import { startInfra, type Infra } from './infra/index.js';

const startedAt = Date.now();
console.error('Starting Kafka and Elasticsearch (first run downloads them with Maven)...');

let infra: Infra;
try {
  infra = await startInfra();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

const { kafka, elasticsearch } = infra;
if (!kafka || !elasticsearch) throw new Error('startInfra did not start both servers');

console.error(
  `Kafka ${kafka.version} and Elasticsearch ${elasticsearch.version} are up ` +
    `(${((Date.now() - startedAt) / 1000).toFixed(1)} s). Press Ctrl-C to stop them.\n`,
);
console.log(`export KAFKA_BROKERS=${kafka.brokers}`);
console.log(`export ELASTICSEARCH_URL=${elasticsearch.url}`);
console.log(`export KAFKA_BROKERS_TEST=${kafka.brokers}`);
console.log(`export ELASTICSEARCH_URL_TEST=${elasticsearch.url}`);

// Keep the event loop alive until a signal arrives.
const keepAlive = setInterval(() => undefined, 60_000);
let stopping = false;

async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.error(`\n${signal}: stopping Kafka and Elasticsearch...`);
  await infra.stop();
  clearInterval(keepAlive);
  console.error('Stopped.');
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, (received) => void shutdown(received));
}
