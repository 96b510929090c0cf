import { describe, expect, it } from 'vitest';
import { loadConfig, redactUrl } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

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

  it('parses API keys', () => {
    const c = loadConfig({ API_KEYS: 'k-viewer-123:viewer:dash,k-agent-456:agent:ops' });
    expect(c.apiKeys).toEqual([
      { key: 'k-viewer-123', role: 'viewer', name: 'dash' },
      { key: 'k-agent-456', role: 'agent', name: 'ops' },
    ]);
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
