import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, redactUrl } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { createTestCa, type TestCa } from '../support/test-ca.js';

const fails = (env: Record<string, string>, variable: string, text?: string): void => {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).variable).toBe(variable);
    expect((e as Error).message.startsWith(`${variable}:`)).toBe(true);
    if (text) expect((e as Error).message).toContain(text);
    return;
  }
  throw new Error(`expected ${variable} to be refused`);
};

describe('loadConfig', () => {
  it('runs embedded with defaults and the demo on', () => {
    const c = loadConfig({});
    expect(c.mode).toBe('embedded');
    expect(c.port).toBe(4000);
    expect(c.demo.enabled).toBe(true);
    expect([...c.roles]).toEqual(['stream', 'sink', 'api', 'slack']);
    expect(c.topics.complaints).toBe('UNHAPPY_PLATINUM_CUSTOMERS');
    expect(c.complaintRule).toEqual({ starsBelow: 3, clubStatuses: ['platinum'] });
    expect(c.slack).toBeNull();
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('uses external backends when both are set, demo off by default', () => {
    const c = loadConfig({ KAFKA_BROKERS: 'a:9092, b:9093', ELASTICSEARCH_URL: 'http://localhost:9200' });
    expect(c.mode).toBe('external');
    expect(c.kafka?.brokers).toEqual(['a:9092', 'b:9093']);
    expect(c.demo.enabled).toBe(false);
    expect(c.kafka?.sessionTimeoutMs).toBe(30_000);
  });

  it('takes a session timeout within the bounds Kafka brokers accept by default', () => {
    const ext = { KAFKA_BROKERS: 'a:9092', ELASTICSEARCH_URL: 'http://localhost:9200' };
    expect(loadConfig({ ...ext, KAFKA_SESSION_TIMEOUT_MS: '10000' }).kafka?.sessionTimeoutMs).toBe(10_000);
    expect(() => loadConfig({ ...ext, KAFKA_SESSION_TIMEOUT_MS: '1000' })).toThrow(/KAFKA_SESSION_TIMEOUT_MS.*between 6000 and 300000/);
  });

  it('bounds the replay concurrency and the in-memory retention', () => {
    expect(loadConfig({}).api.maxConcurrentReplays).toBe(4);
    expect(loadConfig({}).memoryRetentionRecords).toBe(100_000);
    expect(loadConfig({ MAX_CONCURRENT_REPLAYS: '16', MEMORY_RETENTION_RECORDS: '5000' })).toMatchObject({ api: { maxConcurrentReplays: 16 }, memoryRetentionRecords: 5_000 });
    expect(() => loadConfig({ MAX_CONCURRENT_REPLAYS: '0' })).toThrow(/MAX_CONCURRENT_REPLAYS/);
    expect(() => loadConfig({ MEMORY_RETENTION_RECORDS: 'lots' })).toThrow(/MEMORY_RETENTION_RECORDS/);
  });

  it('takes PUBLIC_URL as the default dashboard URL (Slack links), DASHBOARD_URL overriding it', () => {
    expect(loadConfig({})).toMatchObject({ publicUrl: null, dashboardUrl: null });
    expect(loadConfig({ PUBLIC_URL: 'https://feedback.example.com/' })).toMatchObject({ publicUrl: 'https://feedback.example.com', dashboardUrl: 'https://feedback.example.com' });
    expect(loadConfig({ PUBLIC_URL: 'https://feedback.example.com', DASHBOARD_URL: 'https://dash.example.com' }).dashboardUrl).toBe('https://dash.example.com');
    fails({ PUBLIC_URL: 'feedback.example.com' }, 'PUBLIC_URL', 'http(s) URL');
    fails({ PUBLIC_URL: 'ftp://feedback.example.com' }, 'PUBLIC_URL');
  });

  it('reads inputs in auto format and writes JSON by default, without a schema registry', () => {
    const c = loadConfig({});
    expect(c.formats).toEqual({ ratings: 'auto', customers: 'auto', enriched: 'json' });
    expect(c.schemaRegistry).toBeNull();
  });

  it('takes Avro formats with a schema registry, its basic auth and CA file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-test-'));
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    try {
      const c = loadConfig({
        RATINGS_FORMAT: 'AVRO',
        CUSTOMERS_FORMAT: 'json',
        ENRICHED_FORMAT: 'avro',
        SCHEMA_REGISTRY_URL: 'https://registry.example.com:8081',
        SCHEMA_REGISTRY_USERNAME: 'key',
        SCHEMA_REGISTRY_PASSWORD: 'secret',
        SCHEMA_REGISTRY_CA_FILE: caFile,
      });
      expect(c.formats).toEqual({ ratings: 'avro', customers: 'json', enriched: 'avro' });
      expect(c.schemaRegistry).toMatchObject({ url: 'https://registry.example.com:8081', username: 'key', password: 'secret', requestTimeoutMs: 5_000 });
      expect(c.schemaRegistry?.ca).toContain('BEGIN CERTIFICATE');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes DEMO_DB_URL, a mysql:// URL of the customers database for the demo generator', () => {
    expect(loadConfig({}).demo.dbUrl).toBeNull();
    expect(loadConfig({ DEMO_DB_URL: 'mysql://user:password@127.0.0.1:3306/demo' }).demo.dbUrl).toBe('mysql://user:password@127.0.0.1:3306/demo');
    expect(() => loadConfig({ DEMO_DB_URL: 'mysql://u:hunter2@db' })).toThrow(/^DEMO_DB_URL: (?!.*hunter2).*database/);
  });

  it('parses API keys', () => {
    const c = loadConfig({ API_KEYS: 'k-viewer-123:viewer:dash,k-agent-456:agent:ops' });
    expect(c.apiKeys).toEqual([
      { key: 'k-viewer-123', role: 'viewer', name: 'dash' },
      { key: 'k-agent-456', role: 'agent', name: 'ops' },
    ]);
  });

  it('listens on loopback only without API keys, everywhere with them; a public HOST without keys needs ALLOW_OPEN_ACCESS=on', () => {
    expect(loadConfig({}).host).toBe('127.0.0.1');
    expect(loadConfig({ API_KEYS: 'k-viewer-123:viewer:dash' }).host).toBe('0.0.0.0');
    for (const host of ['localhost', '127.0.0.1', '127.0.1.1', '::1', '[::1]']) expect(loadConfig({ HOST: host }).host).toBe(host);
    fails({ HOST: '0.0.0.0' }, 'API_KEYS', 'HOST=0.0.0.0');
    fails({ HOST: '::' }, 'API_KEYS', 'ALLOW_OPEN_ACCESS=on');
    fails({ HOST: '10.0.0.5' }, 'API_KEYS');
    expect(loadConfig({ HOST: '0.0.0.0', ALLOW_OPEN_ACCESS: 'on' })).toMatchObject({ host: '0.0.0.0', api: { allowOpenAccess: true } });
    // Without the API role there is nothing open to refuse.
    expect(loadConfig({ HOST: '0.0.0.0', ROLES: 'stream,sink' }).host).toBe('0.0.0.0');
    // Production stays strict: no keys is refused even with ALLOW_OPEN_ACCESS and on loopback.
    fails({ NODE_ENV: 'production', ALLOW_OPEN_ACCESS: 'on' }, 'API_KEYS', 'production');
    fails({ NODE_ENV: 'production', HOST: '127.0.0.1' }, 'API_KEYS', 'production');
    fails({ ALLOW_OPEN_ACCESS: 'perhaps' }, 'ALLOW_OPEN_ACCESS');
  });

  it('parses the door limits: rate limits per role, Slack body, histogram, replays per connection, metrics token', () => {
    const d = loadConfig({}).api;
    expect(d).toMatchObject({
      rateLimits: { viewer: { count: 100, perMs: 1_000 }, agent: { count: 100, perMs: 1_000 } },
      slackMaxBodyBytes: 1_048_576,
      maxHistogramBuckets: 10_000,
      maxReplaysPerConnection: 2,
      metricsToken: null,
      allowOpenAccess: false,
    });
    const c = loadConfig({
      RATE_LIMIT_VIEWER: '30/m',
      RATE_LIMIT_AGENT: 'off',
      SLACK_MAX_BODY_BYTES: '65536',
      MAX_HISTOGRAM_BUCKETS: '500',
      MAX_REPLAYS_PER_CONNECTION: '1',
      METRICS_TOKEN: 'scrape-token-0123456789',
    }).api;
    expect(c).toMatchObject({
      rateLimits: { viewer: { count: 30, perMs: 60_000 }, agent: null },
      slackMaxBodyBytes: 65_536,
      maxHistogramBuckets: 500,
      maxReplaysPerConnection: 1,
      metricsToken: 'scrape-token-0123456789',
    });
    fails({ RATE_LIMIT_VIEWER: '10/h' }, 'RATE_LIMIT_VIEWER', '<n>/s or <n>/m');
    fails({ RATE_LIMIT_AGENT: '0/s' }, 'RATE_LIMIT_AGENT');
    fails({ SLACK_MAX_BODY_BYTES: '10' }, 'SLACK_MAX_BODY_BYTES');
    fails({ MAX_HISTOGRAM_BUCKETS: 'many' }, 'MAX_HISTOGRAM_BUCKETS');
    fails({ MAX_REPLAYS_PER_CONNECTION: '0' }, 'MAX_REPLAYS_PER_CONNECTION');
    fails({ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN', '16 characters');
  });

  it.each([
    [{ KAFKA_BROKERS: 'localhost:9092' }, 'ELASTICSEARCH_URL'],
    [{ ELASTICSEARCH_URL: 'http://x:9200' }, 'KAFKA_BROKERS'],
    [{ KAFKA_BROKERS: 'nohost', ELASTICSEARCH_URL: 'http://x:9200' }, 'KAFKA_BROKERS'],
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ ROLES: 'api,web' }, 'ROLES', 'web'],
    [{ API_KEYS: 'onlykey' }, 'API_KEYS', 'key:role:name'],
    [{ API_KEYS: 'abcdefgh:admin:x' }, 'API_KEYS', 'admin'],
    [{ DEMO: 'maybe' }, 'DEMO'],
    [{ ELASTICSEARCH_URL: 'ftp://x', KAFKA_BROKERS: 'a:1' }, 'ELASTICSEARCH_URL'],
    [{ SLACK_BOT_TOKEN: 'xoxb-1' }, 'SLACK_SIGNING_SECRET'],
    [{ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }, 'SLACK_CHANNEL'],
    [{ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', SLACK_CHANNEL: 'C1', SLACK_APP_TOKEN: 'nope' }, 'SLACK_APP_TOKEN'],
    [{ NODE_ENV: 'production' }, 'API_KEYS', 'production'],
    [{ TOPIC_COMPLAINTS: 'bad topic!' }, 'TOPIC_COMPLAINTS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ RATINGS_FORMAT: 'protobuf' }, 'RATINGS_FORMAT', 'json, avro, auto'],
    [{ CUSTOMERS_FORMAT: 'xml' }, 'CUSTOMERS_FORMAT'],
    [{ ENRICHED_FORMAT: 'auto' }, 'ENRICHED_FORMAT', 'json, avro'],
    [{ RATINGS_FORMAT: 'avro' }, 'SCHEMA_REGISTRY_URL', 'RATINGS_FORMAT=avro'],
    [{ CUSTOMERS_FORMAT: 'avro' }, 'SCHEMA_REGISTRY_URL', 'CUSTOMERS_FORMAT=avro'],
    [{ ENRICHED_FORMAT: 'avro' }, 'SCHEMA_REGISTRY_URL', 'ENRICHED_FORMAT=avro'],
    [{ SCHEMA_REGISTRY_URL: 'registry:8081' }, 'SCHEMA_REGISTRY_URL'],
    [{ SCHEMA_REGISTRY_USERNAME: 'key' }, 'SCHEMA_REGISTRY_URL'],
    [{ SCHEMA_REGISTRY_URL: 'http://r:8081', SCHEMA_REGISTRY_USERNAME: 'key' }, 'SCHEMA_REGISTRY_PASSWORD'],
    [{ SCHEMA_REGISTRY_URL: 'http://r:8081', SCHEMA_REGISTRY_CA_FILE: '/nonexistent/ca.pem' }, 'SCHEMA_REGISTRY_CA_FILE', 'ENOENT'],
    [{ SCHEMA_REGISTRY_URL: 'http://r:8081', SCHEMA_REGISTRY_TIMEOUT_MS: '5' }, 'SCHEMA_REGISTRY_TIMEOUT_MS'],
    [{ DEMO_DB_URL: 'http://db:3306/demo' }, 'DEMO_DB_URL', 'mysql://'],
    [{ DEMO_DB_URL: 'not a url' }, 'DEMO_DB_URL'],
    [{ REMIND_AFTER: '15' }, 'REMIND_AFTER'],
    [{ REMIND_AFTER: '10 minutes' }, 'REMIND_AFTER'],
    [{ REMIND_AFTER: '500ms' }, 'REMIND_AFTER'],
    [{ REMIND_MAX: '-1' }, 'REMIND_MAX'],
    [{ ESCALATION_CHANNEL: '#ops' }, 'ESCALATION_CHANNEL'],
    [{ ESCALATION_MENTION: '@oncall' }, 'ESCALATION_MENTION'],
    [{ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', SLACK_CHANNEL: 'C1', SLACK_CLAIM_TIMEOUT_MS: '10' }, 'SLACK_CLAIM_TIMEOUT_MS'],
  ])('refuses %o naming %s', (env, variable, text?: string) => fails(env as Record<string, string>, variable, text));
});

describe('complaint lifecycle configuration', () => {
  it('reminds every 15 minutes, 3 times, without escalation by default', () => {
    expect(loadConfig({}).lifecycle).toEqual({ remindAfterMs: 900_000, remindMax: 3, escalationChannel: null, escalationMention: null });
    expect(loadConfig({}).topics.transitions).toBe('complaint-transitions');
  });

  it('reads durations, 0 as off, and turns a group or user id into its mention', () => {
    expect(loadConfig({ REMIND_AFTER: '30s' }).lifecycle.remindAfterMs).toBe(30_000);
    expect(loadConfig({ REMIND_AFTER: '1h' }).lifecycle.remindAfterMs).toBe(3_600_000);
    expect(loadConfig({ REMIND_AFTER: '0' }).lifecycle.remindAfterMs).toBe(0);
    expect(loadConfig({ ESCALATION_CHANNEL: 'C0ESC', ESCALATION_MENTION: 'S0ONCALL', REMIND_MAX: '5' }).lifecycle).toEqual({
      remindAfterMs: 900_000,
      remindMax: 5,
      escalationChannel: 'C0ESC',
      escalationMention: '<!subteam^S0ONCALL>',
    });
    expect(loadConfig({ ESCALATION_MENTION: 'U0ALICE' }).lifecycle.escalationMention).toBe('<@U0ALICE>');
  });
});

describe('redactUrl', () => {
  it('hides credentials and keeps the rest', () => {
    expect(redactUrl('https://elastic:s3cret@es.example.com:9243/')).toBe('https://***@es.example.com:9243/');
    expect(redactUrl('http://localhost:9200')).toBe('http://localhost:9200');
  });

  it('never echoes a password in a configuration error', () => {
    expect(() => loadConfig({ KAFKA_BROKERS: 'a:1', ELASTICSEARCH_URL: 'ftp://u:hunter2@x' })).toThrow(/^ELASTICSEARCH_URL: (?!.*hunter2)/);
  });
});

describe('loadConfig: Elasticsearch security', () => {
  const https = { KAFKA_BROKERS: 'a:9092', ELASTICSEARCH_URL: 'https://es.example.com:9200' };
  let ca: TestCa;
  beforeAll(() => {
    ca = createTestCa();
  });
  afterAll(() => ca.remove());

  it('has no credentials and no CA by default', () => {
    expect(loadConfig(https).elasticsearch).toMatchObject({ auth: null, ca: null, caFingerprint: null });
  });

  it('takes an encoded API key, or id:api_key', () => {
    expect(loadConfig({ ...https, ELASTICSEARCH_API_KEY: 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==' }).elasticsearch?.auth).toEqual({
      apiKey: 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==',
    });
    expect(loadConfig({ ...https, ELASTICSEARCH_API_KEY: 'VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw' }).elasticsearch?.auth).toEqual({
      apiKey: { id: 'VuaCfGcBCdbkQm-e5aOx', api_key: 'ui2lp2axTNmsyakw9tvNnw' },
    });
  });

  it('takes a username and password, both or neither', () => {
    expect(loadConfig({ ...https, ELASTICSEARCH_USERNAME: 'sink', ELASTICSEARCH_PASSWORD: ' s3cret pass ' }).elasticsearch?.auth).toEqual({ username: 'sink', password: ' s3cret pass ' });
    fails({ ...https, ELASTICSEARCH_USERNAME: 'sink' }, 'ELASTICSEARCH_PASSWORD');
    fails({ ...https, ELASTICSEARCH_PASSWORD: 'hunter2' }, 'ELASTICSEARCH_USERNAME');
  });

  it('refuses an API key together with a username, or with credentials in the URL, without repeating secrets', () => {
    fails({ ...https, ELASTICSEARCH_API_KEY: 'c2VjcmV0a2V5', ELASTICSEARCH_USERNAME: 'u', ELASTICSEARCH_PASSWORD: 'hunter2' }, 'ELASTICSEARCH_API_KEY', 'not both');
    fails({ ...https, ELASTICSEARCH_URL: 'https://u:hunter2@es:9200', ELASTICSEARCH_API_KEY: 'c2VjcmV0a2V5' }, 'ELASTICSEARCH_URL');
    for (const env of [
      { ...https, ELASTICSEARCH_API_KEY: 'c2VjcmV0a2V5 hunter2' },
      { ...https, ELASTICSEARCH_API_KEY: 'hunter2:' },
      { ...https, ELASTICSEARCH_API_KEY: 'hunter2!' },
      { ...https, ELASTICSEARCH_URL: 'https://u:hunter2@es:9200', ELASTICSEARCH_API_KEY: 'c2VjcmV0a2V5' },
    ]) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).not.toThrow(/hunter2/);
    }
  });

  it('reads a PEM CA file, and refuses a missing or non-PEM one', () => {
    expect(loadConfig({ ...https, ELASTICSEARCH_CA_FILE: ca.caFile }).elasticsearch?.ca).toBe(ca.caPem);
    fails({ ...https, ELASTICSEARCH_CA_FILE: join(ca.dir, 'missing.pem') }, 'ELASTICSEARCH_CA_FILE', 'ENOENT');
    const notPem = join(ca.dir, 'server.csr');
    fails({ ...https, ELASTICSEARCH_CA_FILE: notPem }, 'ELASTICSEARCH_CA_FILE', 'no PEM certificate');
    const broken = join(ca.dir, 'broken.pem');
    writeFileSync(broken, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n');
    fails({ ...https, ELASTICSEARCH_CA_FILE: broken }, 'ELASTICSEARCH_CA_FILE', 'not a valid certificate');
    fails({ ...https, ELASTICSEARCH_URL: 'http://es:9200', ELASTICSEARCH_CA_FILE: ca.caFile }, 'ELASTICSEARCH_CA_FILE', 'https://');
  });

  it('normalises a SHA-256 fingerprint with or without colons, and refuses anything else', () => {
    const colons = ca.caFingerprint;
    const bare = colons.replace(/:/g, '').toLowerCase();
    expect(loadConfig({ ...https, ELASTICSEARCH_CA_FINGERPRINT: bare }).elasticsearch?.caFingerprint).toBe(colons);
    expect(loadConfig({ ...https, ELASTICSEARCH_CA_FINGERPRINT: colons.toLowerCase() }).elasticsearch?.caFingerprint).toBe(colons);
    fails({ ...https, ELASTICSEARCH_CA_FINGERPRINT: bare.slice(2) }, 'ELASTICSEARCH_CA_FINGERPRINT', '64 hex digits');
    fails({ ...https, ELASTICSEARCH_CA_FINGERPRINT: `${bare.slice(0, 62)}zz` }, 'ELASTICSEARCH_CA_FINGERPRINT');
    fails({ ...https, ELASTICSEARCH_CA_FINGERPRINT: colons.slice(0, 40) }, 'ELASTICSEARCH_CA_FINGERPRINT');
    fails({ ...https, ELASTICSEARCH_CA_FINGERPRINT: bare, ELASTICSEARCH_CA_FILE: ca.caFile }, 'ELASTICSEARCH_CA_FINGERPRINT', 'not both');
    fails({ ...https, ELASTICSEARCH_URL: 'http://es:9200', ELASTICSEARCH_CA_FINGERPRINT: bare }, 'ELASTICSEARCH_CA_FINGERPRINT', 'https://');
  });

  it('refuses Elasticsearch settings without ELASTICSEARCH_URL', () => {
    fails({ ELASTICSEARCH_API_KEY: 'c2VjcmV0a2V5' }, 'ELASTICSEARCH_API_KEY', 'ELASTICSEARCH_URL');
  });
});

describe('Kafka security settings', () => {
  const ext = { KAFKA_BROKERS: 'a:9093', ELASTICSEARCH_URL: 'http://localhost:9200' };
  const dir = mkdtempSync(join(tmpdir(), 'config-kafka-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const KEY = '-----BEGIN PRIVATE KEY-----\nsecret-key\n-----END PRIVATE KEY-----\n';
  const ca = file('ca.pem', CA);
  const cert = file('client.pem', CA);
  const key = file('client.key', KEY);

  it('has no SASL and no TLS by default', () => {
    expect(loadConfig(ext).kafka).toMatchObject({ sasl: null, ssl: null });
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512', 'SCRAM-SHA-512'])('takes SASL mechanism %s with a username and a password', (mechanism) => {
    const c = loadConfig({ ...ext, KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: 'svc', KAFKA_SASL_PASSWORD: ' p a s s ' });
    expect(c.kafka?.sasl).toMatchObject({ mechanism: mechanism.toLowerCase(), username: 'svc' });
    // Taken as it is (spaces are part of it), and hidden from logs and JSON.
    expect(c.kafka?.sasl?.password).toBe(' p a s s ');
    expect(JSON.stringify(c.kafka)).not.toContain('p a s s');
    expect(Object.keys(c.kafka!.sasl!)).toEqual(['mechanism', 'username']);
  });

  it('refuses an unknown mechanism, a mechanism without credentials, and credentials without a mechanism', () => {
    fails({ ...ext, KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }, 'KAFKA_SASL_MECHANISM', 'plain, scram-sha-256, scram-sha-512');
    fails({ ...ext, KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_PASSWORD: 'p' }, 'KAFKA_SASL_USERNAME');
    fails({ ...ext, KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u' }, 'KAFKA_SASL_PASSWORD');
    fails({ ...ext, KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }, 'KAFKA_SASL_MECHANISM');
  });

  it('never puts the password in an error message', () => {
    try {
      loadConfig({ ...ext, KAFKA_SASL_MECHANISM: 'kerberos', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'hunter2-secret' });
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter2-secret');
      return;
    }
    throw new Error('expected a ConfigError');
  });

  it('turns TLS on with KAFKA_SSL=on (system CAs) or with a CA file, and reads the PEM files', () => {
    expect(loadConfig({ ...ext, KAFKA_SSL: 'on' }).kafka?.ssl).toEqual({ ca: null, cert: null });
    expect(loadConfig({ ...ext, KAFKA_SSL: 'off' }).kafka?.ssl).toBeNull();
    expect(loadConfig({ ...ext, KAFKA_SSL_CA_FILE: ca }).kafka?.ssl).toMatchObject({ ca: CA, cert: null });
    const mutual = loadConfig({ ...ext, KAFKA_SSL: 'on', KAFKA_SSL_CA_FILE: ca, KAFKA_SSL_CERT_FILE: cert, KAFKA_SSL_KEY_FILE: key }).kafka?.ssl;
    expect(mutual).toMatchObject({ ca: CA, cert: CA });
    expect(mutual?.key).toBe(KEY);
    expect(JSON.stringify(mutual)).not.toContain('secret-key');
  });

  it('refuses a bad KAFKA_SSL, a missing, unreadable or non-PEM file, half of mutual TLS, and files with KAFKA_SSL=off', () => {
    fails({ ...ext, KAFKA_SSL: 'maybe' }, 'KAFKA_SSL', 'on or off');
    fails({ ...ext, KAFKA_SSL_CA_FILE: join(dir, 'missing.pem') }, 'KAFKA_SSL_CA_FILE', 'ENOENT');
    fails({ ...ext, KAFKA_SSL_CA_FILE: dir }, 'KAFKA_SSL_CA_FILE', 'EISDIR');
    fails({ ...ext, KAFKA_SSL_CA_FILE: file('not.pem', 'hello') }, 'KAFKA_SSL_CA_FILE', 'not a PEM file');
    fails({ ...ext, KAFKA_SSL_CERT_FILE: cert }, 'KAFKA_SSL_KEY_FILE', 'both');
    fails({ ...ext, KAFKA_SSL_KEY_FILE: key }, 'KAFKA_SSL_CERT_FILE', 'both');
    fails({ ...ext, KAFKA_SSL: 'off', KAFKA_SSL_CA_FILE: ca }, 'KAFKA_SSL', 'KAFKA_SSL_CA_FILE');
    if (process.getuid?.() !== 0) {
      const locked = file('locked.key', KEY);
      chmodSync(locked, 0o000);
      fails({ ...ext, KAFKA_SSL_CERT_FILE: cert, KAFKA_SSL_KEY_FILE: locked }, 'KAFKA_SSL_KEY_FILE', 'EACCES');
    }
  });

  it('refuses Kafka security settings without KAFKA_BROKERS', () => {
    fails({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }, 'KAFKA_SASL_MECHANISM', 'KAFKA_BROKERS');
    fails({ KAFKA_SSL: 'on' }, 'KAFKA_SSL', 'KAFKA_BROKERS');
  });
});
