import { describe, expect, it } from 'vitest';
import { runToExit } from '../support/product-process.js';

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
