/**
 * Pre-warms the infrastructure cache without starting anything: resolves the Kafka jars
 * and unpacks Elasticsearch and Apicurio Registry into `.cache/infra/` (from `~/.m2`, or
 * Maven Central the first time). Run with `npx tsx scripts/infra/fetch.ts`; exits 1 with
 * the reason on failure.
 */
import { fetchApicurio, fetchElasticsearch, fetchKafka } from './index.js';

try {
  const [kafka, elasticsearch, apicurio] = await Promise.all([fetchKafka(), fetchElasticsearch(), fetchApicurio()]);
  console.log(`Kafka jars: ${kafka}\nElasticsearch: ${elasticsearch}\nApicurio Registry: ${apicurio}`);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
}
