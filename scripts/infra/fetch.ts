/**
 * Pre-warms the infrastructure cache without starting anything: resolves the Kafka jars
 * and unpacks Elasticsearch into `.cache/infra/` (from `~/.m2`, or Maven Central the first
 * time). Run with `npx tsx scripts/infra/fetch.ts`; exits 1 with the reason on failure.
 */
import { fetchElasticsearch, fetchKafka } from './index.js';

try {
  const [kafka, elasticsearch] = await Promise.all([fetchKafka(), fetchElasticsearch()]);
  console.log(`Kafka jars: ${kafka}\nElasticsearch: ${elasticsearch}`);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
}
