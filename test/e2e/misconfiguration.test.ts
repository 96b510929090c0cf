import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEsAuthProxy, type EsAuthProxy } from '../support/es-auth-proxy.js';
import { runToExit } from '../support/product-process.js';
import { createTestCa, type TestCa } from '../support/test-ca.js';

describe('misconfiguration stops start-up with one line naming what to fix', () => {
  it.each([
    [{ KAFKA_BROKERS: '127.0.0.1:9092' }, 'ELASTICSEARCH_URL'],
    [{ ELASTICSEARCH_URL: 'http://127.0.0.1:9200' }, 'KAFKA_BROKERS'],
    [{ ROLES: 'api,frontend' }, 'ROLES'],
    [{ API_KEYS: 'abcdefgh12:superuser:me' }, 'API_KEYS'],
    [{ API_KEYS: 'just-a-key' }, 'API_KEYS'],
    [{ PORT: 'http' }, 'PORT'],
  ])('%o → %s', async (env, variable) => {
    const { code, stderr, stdout } = await runToExit(env as Record<string, string>);
    expect(code).toBe(78);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^configuration error: ${variable}: `));
    expect(stdout).toBe('');
  });
});

describe('a secured Elasticsearch that refuses the configuration stops start-up with one line naming the variable', () => {
  let ca: TestCa;
  let otherCa: TestCa;
  let proxy: EsAuthProxy;
  const wrongKey = Buffer.from('VuaCfGcBCdbkQm-e5aOx:a-wrong-secret-key').toString('base64');

  beforeAll(async () => {
    ca = createTestCa();
    otherCa = createTestCa('some other CA');
    // Refused requests never reach the upstream: no Elasticsearch needed behind it.
    proxy = await startEsAuthProxy({ upstream: 'http://127.0.0.1:9', tls: ca, apiKey: { id: 'VuaCfGcBCdbkQm-e5aOx', key: 'the-right-key' } });
  });
  afterAll(async () => {
    await proxy?.close();
    ca?.remove();
    otherCa?.remove();
  });

  it.each([
    [
      'a wrong API key',
      () => ({ ELASTICSEARCH_CA_FILE: ca.caFile, ELASTICSEARCH_API_KEY: wrongKey }),
      /^configuration error: ELASTICSEARCH_API_KEY: Elasticsearch at https:\/\/127\.0\.0\.1:\d+: authentication failed \(401\).*check ELASTICSEARCH_API_KEY$/,
    ],
    ['an unknown CA', () => ({ ELASTICSEARCH_CA_FILE: otherCa.caFile, ELASTICSEARCH_API_KEY: wrongKey }), /^configuration error: ELASTICSEARCH_CA_FILE: .*TLS failed .*check ELASTICSEARCH_CA_FILE/],
    [
      'a CA fingerprint that does not match',
      () => ({ ELASTICSEARCH_CA_FINGERPRINT: otherCa.caFingerprint, ELASTICSEARCH_API_KEY: wrongKey }),
      /^configuration error: ELASTICSEARCH_CA_FINGERPRINT: .*TLS failed .*check ELASTICSEARCH_CA_FINGERPRINT/,
    ],
  ])('%s', async (_, env, line) => {
    // The check runs before anything connects to Kafka: no broker needed at this address.
    const { code, stderr, stdout } = await runToExit({ KAFKA_BROKERS: '127.0.0.1:9', ELASTICSEARCH_URL: proxy.url, LOG_LEVEL: 'warn', ...env() });
    expect(code).toBe(78);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(stdout + stderr).not.toContain(wrongKey);
    expect(stdout + stderr).not.toContain('a-wrong-secret-key');
  });
});
