/**
 * Pre-warms the infrastructure cache without starting anything: resolves the Kafka jars
 * and unpacks Elasticsearch and Apicurio Registry into `.cache/infra/` (from `~/.m2`, or
 * Maven Central the first time), then the Kafka Connect runtime with its Debezium and
 * Apicurio plugins, and MariaDB's empty data directory (the CDC tests). Run with `npx tsx scripts/infra/fetch.ts`; exits 1 with
 * the reason on failure.
 */
import { fetchConnect } from './connect.js';
import { fetchApicurio, fetchElasticsearch, fetchKafka } from './index.js';
import { fetchMariaDbTemplate } from './mariadb.js';

try {
  const [kafka, elasticsearch, apicurio] = await Promise.all([fetchKafka(), fetchElasticsearch(), fetchApicurio()]);
  console.log(`Kafka jars: ${kafka}\nElasticsearch: ${elasticsearch}\nApicurio Registry: ${apicurio}`);
  const [connect, mariadb] = await Promise.all([fetchConnect(), fetchMariaDbTemplate()]);
  console.log(`Kafka Connect: ${connect.libs}\nConnect plugins: ${connect.pluginPath}\nMariaDB data directory: ${mariadb}`);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
}
