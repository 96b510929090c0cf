/**
 * Elasticsearch with security on, through a TLS-terminating proxy that
 * demands an API key (or basic credentials) in front of the real test
 * Elasticsearch (test/support/es-auth-proxy.ts): the configuration is read by
 * loadConfig exactly as the product reads it, the search adapter queries and
 * the sink writes through the proxy, and wrong credentials or an untrusted
 * certificate are reported naming the variable to fix.
 */
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElasticsearchSearch, type ElasticsearchSearch } from '../../src/adapters/elasticsearch/search.js';
import { createKafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import { createMemoryEventLog } from '../../src/adapters/memory/event-log.js';
import { elasticsearchAccessError } from '../../src/compose.js';
import { loadConfig, type ElasticsearchConfig } from '../../src/config.js';
import { customerToRekeyRecord, enrichedToRecord } from '../../src/domain/index.js';
import type { SearchWriter } from '../../src/ports/search.js';
import { createSink } from '../../src/sink/sink.js';
import { DEFAULT_TOPICS, type IndexNames } from '../../src/topics.js';
import { customer, rating } from '../contract/search.contract.js';
import { startEsAuthProxy, type EsAuthProxy } from '../support/es-auth-proxy.js';
import { elasticsearchUrl, kafkaBrokers, uniqueName } from '../support/infra.js';
import { startProduct } from '../support/product-process.js';
import { createTestCa, type TestCa } from '../support/test-ca.js';

const topics = DEFAULT_TOPICS;

async function eventually(check: () => unknown | Promise<unknown>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: unknown;
    try {
      if ((await check()) !== false) return;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw last instanceof Error ? last : new Error(`condition not met within ${timeoutMs} ms: ${check.toString()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Elasticsearch with security on (API-key TLS proxy)', () => {
  let ca: TestCa;
  let otherCa: TestCa;
  let proxy: EsAuthProxy;
  const password = randomBytes(12).toString('hex');

  beforeAll(async () => {
    ca = createTestCa();
    otherCa = createTestCa('some other CA');
    proxy = await startEsAuthProxy({
      upstream: elasticsearchUrl(),
      tls: ca,
      apiKey: { id: 'VuaCfGcBCdbkQm-e5aOx', key: randomBytes(16).toString('base64url') },
      basic: { username: 'feedback-sink', password },
    });
  });
  afterAll(async () => {
    await proxy?.close();
    ca?.remove();
    otherCa?.remove();
  });

  /** The elasticsearch section of the configuration, as the product would load it. */
  function esConfig(env: Record<string, string>): ElasticsearchConfig {
    const c = loadConfig({ KAFKA_BROKERS: '127.0.0.1:9092', ELASTICSEARCH_URL: proxy.url, ...env }).elasticsearch;
    if (!c) throw new Error('no elasticsearch configuration');
    return c;
  }

  function open(es: ElasticsearchConfig, indices: IndexNames): ElasticsearchSearch {
    return createElasticsearchSearch({ ...es, indices, requestTimeoutMs: 5_000, maxRetries: 0 });
  }

  const freshIndices = (): IndexNames => {
    const base = uniqueName('t-secured');
    return { ratings: `${base}-ratings`, complaints: `${base}-complaints`, customers: `${base}-customers` };
  };

  it.each([
    ['a CA file and an API key', () => ({ ELASTICSEARCH_CA_FILE: ca.caFile, ELASTICSEARCH_API_KEY: proxy.encodedApiKey })],
    ['a CA fingerprint and an API key', () => ({ ELASTICSEARCH_CA_FINGERPRINT: ca.caFingerprint.replace(/:/g, '').toLowerCase(), ELASTICSEARCH_API_KEY: proxy.encodedApiKey })],
    ['a CA file and a username and password', () => ({ ELASTICSEARCH_CA_FILE: ca.caFile, ELASTICSEARCH_USERNAME: 'feedback-sink', ELASTICSEARCH_PASSWORD: password })],
  ])('the sink writes and queries read through the proxy with %s', async (_, env) => {
    const indices = freshIndices();
    const es = open(esConfig(env()), indices);
    const log = createMemoryEventLog({ partitions: 2 });
    const sink = createSink({ log, writer: es, topics, groupId: uniqueName('sink'), batchSize: 100, flushMs: 20, retryInitialDelayMs: 50, retryMaxDelayMs: 500 });
    const before = { ...proxy.counts };
    try {
      expect(await es.checkAccess()).toBeNull();
      await sink.start();
      await log.produce([
        ...[1, 2, 3].map((id) => ({ topic: topics.customersRekeyed, key: String(id), value: JSON.stringify(customerToRekeyRecord(customer(id, 'gold'))) })),
        ...Array.from({ length: 20 }, (_, i) => ({
          topic: topics.ratingsEnriched,
          key: String(i),
          value: JSON.stringify(enrichedToRecord(rating(i + 1, { customer: customer((i % 3) + 1, 'gold') }))),
        })),
        { topic: topics.complaints, key: '7', value: JSON.stringify(enrichedToRecord(rating(7, { stars: 1, customer: customer(1, 'platinum') }))) },
      ]);
      await eventually(async () => (await sink.lag()) === 0);
      expect(sink.stats()).toMatchObject({ indexed: 24, failed: 0 });
      await es.refresh();
      const page = await es.searchRatings({ first: 50 });
      expect(page.totalCount).toBe(20);
      expect((await es.getCustomer(2))?.clubStatus).toBe('gold');
      expect((await es.getComplaint('7'))?.status).toBe('OPEN');
      expect(log.records(topics.deadLetters)).toHaveLength(0);
      // Every request went through the proxy, authenticated.
      expect(proxy.counts.refused).toBe(before.refused);
      expect(proxy.counts.forwarded - before.forwarded).toBeGreaterThan(5);
    } finally {
      await sink.stop();
      await es.deleteIndices().catch(() => undefined);
      await es.close();
      await log.close();
    }
  });

  it('reports a wrong API key naming ELASTICSEARCH_API_KEY, and a wrong password naming the username and password', async () => {
    const wrongKey = Buffer.from('VuaCfGcBCdbkQm-e5aOx:not-the-key').toString('base64');
    const keyConfig = esConfig({ ELASTICSEARCH_CA_FILE: ca.caFile, ELASTICSEARCH_API_KEY: wrongKey });
    const es = open(keyConfig, freshIndices());
    const failure = await es.checkAccess();
    await es.close();
    expect(failure).toMatchObject({ kind: 'authentication', status: 401 });
    const line = elasticsearchAccessError(failure!, keyConfig).message;
    expect(line).toMatch(
      /^ELASTICSEARCH_API_KEY: Elasticsearch at https:\/\/127\.0\.0\.1:\d+: authentication failed \(401\): security_exception: unable to authenticate .*: check ELASTICSEARCH_API_KEY$/,
    );
    expect(line).not.toContain(wrongKey);

    const basicConfig = esConfig({ ELASTICSEARCH_CA_FILE: ca.caFile, ELASTICSEARCH_USERNAME: 'feedback-sink', ELASTICSEARCH_PASSWORD: 'wrong-password' });
    const basic = open(basicConfig, freshIndices());
    const basicFailure = await basic.checkAccess();
    await basic.close();
    expect(basicFailure).toMatchObject({ kind: 'authentication', status: 401 });
    expect(elasticsearchAccessError(basicFailure!, basicConfig).message).toMatch(/^ELASTICSEARCH_USERNAME: .*check ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD$/);

    // No credentials at all against a secured cluster.
    const none = esConfig({ ELASTICSEARCH_CA_FILE: ca.caFile });
    const anonymous = open(none, freshIndices());
    const anonymousFailure = await anonymous.checkAccess();
    await anonymous.close();
    expect(elasticsearchAccessError(anonymousFailure!, none).message).toMatch(/^ELASTICSEARCH_API_KEY: .*missing authentication credentials.*set ELASTICSEARCH_API_KEY/);
  });

  it('reports a certificate from an unknown CA naming ELASTICSEARCH_CA_FILE or ELASTICSEARCH_CA_FINGERPRINT', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ ELASTICSEARCH_CA_FILE: otherCa.caFile, ELASTICSEARCH_API_KEY: proxy.encodedApiKey }, /^ELASTICSEARCH_CA_FILE: .*TLS failed \(.*certificate.*\): check ELASTICSEARCH_CA_FILE/],
      [
        { ELASTICSEARCH_CA_FINGERPRINT: otherCa.caFingerprint, ELASTICSEARCH_API_KEY: proxy.encodedApiKey },
        /^ELASTICSEARCH_CA_FINGERPRINT: .*TLS failed \(.*fingerprint does not match.*\): check ELASTICSEARCH_CA_FINGERPRINT/,
      ],
      [{ ELASTICSEARCH_API_KEY: proxy.encodedApiKey }, /^ELASTICSEARCH_CA_FILE: .*TLS failed \(.*certificate.*\): set ELASTICSEARCH_CA_FILE or ELASTICSEARCH_CA_FINGERPRINT/],
    ];
    const before = proxy.counts.forwarded + proxy.counts.refused;
    for (const [env, expected] of cases) {
      const config = esConfig(env);
      const es = open(config, freshIndices());
      const failure = await es.checkAccess();
      await es.close();
      expect(failure?.kind).toBe('tls');
      expect(elasticsearchAccessError(failure!, config).message).toMatch(expected);
    }
    // Not one request got past the handshake.
    expect(proxy.counts.forwarded + proxy.counts.refused).toBe(before);
  });

  it('a sink whose key is refused retries and commits nothing, dead-letters nothing, and catches up with a good key', async () => {
    const indices = freshIndices();
    const secret = randomBytes(16).toString('hex');
    const badKey = Buffer.from(`VuaCfGcBCdbkQm-e5aOx:${secret}`).toString('base64');
    // The product's log format and serializers, into an array.
    const lines: string[] = [];
    const logger = pino({ level: 'debug', serializers: { err: pino.stdSerializers.err } }, { write: (line: string) => void lines.push(line) });
    const bad = createElasticsearchSearch({ ...esConfig({ ELASTICSEARCH_CA_FILE: ca.caFile, ELASTICSEARCH_API_KEY: badKey }), indices, requestTimeoutMs: 5_000, maxRetries: 0, logger });
    const log = createMemoryEventLog({ partitions: 1 });
    const options = { log, topics, groupId: uniqueName('sink'), batchSize: 100, flushMs: 20, maxRetryMs: 300, retryInitialDelayMs: 20, retryMaxDelayMs: 100, logger };
    const good = open(esConfig({ ELASTICSEARCH_CA_FILE: ca.caFile, ELASTICSEARCH_API_KEY: proxy.encodedApiKey }), indices);
    // The indices exist (created with a key that could), then the sink's key is refused: revoked, or rotated on one side only.
    const revoked: SearchWriter = { ensureIndices: () => good.ensureIndices(), write: (ops) => bad.write(ops), refresh: () => bad.refresh() };
    const sink = createSink({ ...options, writer: revoked });
    try {
      void sink.start();
      await eventually(() => sink.stats().state === 'running');
      await log.produce(Array.from({ length: 5 }, (_, i) => ({ topic: topics.ratingsEnriched, key: null, value: JSON.stringify(enrichedToRecord(rating(i + 1))) })));
      await eventually(() => sink.stats().retries >= 3);
      expect(sink.stats().lastError).toMatch(/401/);
      expect(await sink.lag()).toBe(5);
      await sink.stop();
      expect(log.records(topics.deadLetters)).toHaveLength(0);
      // The refusals were logged, with the error, and the key never was.
      expect(lines.some((l) => l.includes('401') && l.includes('"err"'))).toBe(true);
      for (const l of lines) {
        expect(l).not.toContain(secret);
        expect(l).not.toContain(badKey);
      }

      const fixed = createSink({ ...options, writer: good });
      await fixed.start();
      await eventually(async () => (await fixed.lag()) === 0);
      await fixed.stop();
      await good.refresh();
      expect((await good.searchRatings({ first: 10 })).totalCount).toBe(5);
      expect(log.records(topics.deadLetters)).toHaveLength(0);
    } finally {
      await sink.stop();
      await good.deleteIndices().catch(() => undefined);
      await bad.close();
      await good.close();
      await log.close();
    }
  });

  it('the product (sink and API roles) indexes and answers GraphQL through the proxy, and never logs the key', async () => {
    const run = uniqueName('secured');
    const env = {
      KAFKA_BROKERS: kafkaBrokers().join(','),
      ELASTICSEARCH_URL: proxy.url,
      ELASTICSEARCH_API_KEY: proxy.encodedApiKey,
      ELASTICSEARCH_CA_FILE: ca.caFile,
      ROLES: 'sink,api',
      KAFKA_GROUP_PREFIX: run,
      TOPIC_RATINGS_ENRICHED: `${run}.ratings-with-customer-data`,
      TOPIC_COMPLAINTS: `${run}.UNHAPPY_PLATINUM_CUSTOMERS`,
      TOPIC_CUSTOMERS_REKEYED: `${run}.CUSTOMERS_SRC_REKEY`,
      TOPIC_ACKNOWLEDGEMENTS: `${run}.complaint-acknowledgements`,
      TOPIC_DEAD_LETTERS: `${run}.dead-letters`,
      INDEX_RATINGS: `${run}-ratings`,
      INDEX_COMPLAINTS: `${run}-complaints`,
      INDEX_CUSTOMERS: `${run}-customers`,
    };
    const log = createKafkaEventLog({ brokers: kafkaBrokers(), clientId: run, partitions: 3 });
    const product = await startProduct(env, { name: 'secured product' });
    try {
      await log.produce(Array.from({ length: 5 }, (_, i) => ({ topic: env.TOPIC_RATINGS_ENRICHED, key: String(i + 1), value: JSON.stringify(enrichedToRecord(rating(i + 1))) })));
      await eventually(async () => {
        const res = await fetch(product.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ ratings(first: 10) { totalCount } }' }) });
        const body = (await res.json()) as { data?: { ratings?: { totalCount: number } } };
        return body.data?.ratings?.totalCount === 5;
      }, 60_000);
      const ready = await fetch(`${product.url}/readyz`);
      expect(((await ready.json()) as { checks: Record<string, string> }).checks.elasticsearch).toBe('ok');
    } finally {
      await product.stop();
      await log.close();
      const admin = createElasticsearchSearch({ url: elasticsearchUrl(), indices: { ratings: env.INDEX_RATINGS, complaints: env.INDEX_COMPLAINTS, customers: env.INDEX_CUSTOMERS } });
      await admin.deleteIndices().catch(() => undefined);
      await admin.close();
    }
    expect(product.lines.join('\n')).not.toContain(proxy.encodedApiKey);
  }, 120_000);
});
