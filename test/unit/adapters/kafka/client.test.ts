import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaLogCreator, kafkaSaslOption, kafkaTlsOption, recordBytes, splitByBytes, uncommittedAdmin } from '../../../../src/adapters/kafka/client.js';
import type { Logger } from '../../../../src/logger.js';

/** A logger that records level and message of what the kafkajs log creator passes on. */
function recordingLogger(): { logger: Logger; lines: { level: string; msg: string }[] } {
  const lines: { level: string; msg: string }[] = [];
  const at =
    (level: string) =>
    (_fields: unknown, msg: string): void =>
      void lines.push({ level, msg });
  const logger = { child: () => logger, warn: at('warn'), debug: at('debug'), info: at('info'), error: at('error') } as unknown as Logger;
  return { logger, lines };
}

describe('kafkajs logs', () => {
  const entry = (message: string, extra: Record<string, unknown> = {}) => ({ message, timestamp: 'now', ...extra });

  it('keep a member dropped from its group (a session timeout, the sign of a rebalance loop) at warn', () => {
    const { logger, lines } = recordingLogger();
    const log = kafkaLogCreator(logger)(logLevel.ERROR);
    log({ namespace: 'Runner', level: logLevel.ERROR, label: 'ERROR', log: entry('The coordinator is not aware of this member, re-joining the group', { groupId: 'g' }) });
    expect(lines).toEqual([{ level: 'warn', msg: 'The coordinator is not aware of this member, re-joining the group' }]);
  });

  it('turn the known noise down to debug', () => {
    const { logger, lines } = recordingLogger();
    const log = kafkaLogCreator(logger)(logLevel.ERROR);
    log({ namespace: 'Runner', level: logLevel.WARN, label: 'WARN', log: entry('The group is rebalancing, re-joining') });
    log({ namespace: 'Producer', level: logLevel.ERROR, label: 'ERROR', log: entry('Failed', { error: 'There is already another concurrent operation on the same transaction' }) });
    log({ namespace: 'Consumer', level: logLevel.ERROR, label: 'ERROR', log: entry('Crash: KafkaJSNonRetriableError: boom') });
    expect(lines.map((l) => l.level)).toEqual(['debug', 'debug', 'warn']);
  });
});

describe('uncommittedAdmin', () => {
  it('finds the cluster factory kafkajs keeps under a private symbol (fails when a kafkajs upgrade moves it)', () => {
    const client = new Kafka({ brokers: ['127.0.0.1:1'], clientId: 't', logLevel: logLevel.NOTHING });
    const admin = uncommittedAdmin(client);
    expect(admin).not.toBeNull();
    expect(typeof admin!.fetchTopicOffsets).toBe('function');
  });

  it('answers null for something that is not a kafkajs client', () => {
    expect(uncommittedAdmin({ admin: () => ({}) } as unknown as Kafka)).toBeNull();
  });
});

describe('TLS and SASL options of the kafkajs client', () => {
  it('is plaintext without TLS, trusts the system CAs with TLS and no files, else passes the PEM contents', () => {
    expect(kafkaTlsOption(null)).toBe(false);
    expect(kafkaTlsOption({ ca: null, cert: null, key: null })).toBe(true);
    expect(kafkaTlsOption({ ca: 'CA', cert: null, key: null })).toEqual({ ca: ['CA'] });
    expect(kafkaTlsOption({ ca: 'CA', cert: 'CERT', key: 'KEY' })).toEqual({ ca: ['CA'], cert: 'CERT', key: 'KEY' });
  });

  it('passes the SASL mechanism and credentials as kafkajs expects them', () => {
    expect(kafkaSaslOption(null)).toBeUndefined();
    expect(kafkaSaslOption({ mechanism: 'scram-sha-512', username: 'u', password: 'p' })).toEqual({ mechanism: 'scram-sha-512', username: 'u', password: 'p' });
  });
});

describe('splitByBytes (a transaction output over message.max.bytes, sent in runs)', () => {
  const rec = (i: number, size: number) => ({ topic: 't', key: String(i), value: 'x'.repeat(size) });

  it('cuts records, in order, into runs of at most maxBytes each', () => {
    const records = Array.from({ length: 100 }, (_, i) => rec(i, 1_000));
    const runs = splitByBytes(records, 10_000);
    expect(runs.length).toBeGreaterThan(1);
    expect(runs.flat()).toEqual(records);
    for (const run of runs) expect(run.reduce((n, r) => n + recordBytes(r), 0)).toBeLessThanOrEqual(10_000);
  });

  it('sends a record bigger than maxBytes alone, and nothing for no records', () => {
    const runs = splitByBytes([rec(1, 10), rec(2, 50_000), rec(3, 10)], 1_000);
    expect(runs.map((r) => r.map((x) => x.key))).toEqual([['1'], ['2'], ['3']]);
    expect(splitByBytes([], 1_000)).toEqual([]);
  });

  it('counts multi-byte characters and headers', () => {
    expect(recordBytes({ topic: 't', key: null, value: 'é' })).toBe(recordBytes({ topic: 't', key: null, value: 'ab' }));
    expect(recordBytes({ topic: 't', key: null, value: null, headers: { a: 'b' } })).toBeGreaterThan(recordBytes({ topic: 't', key: null, value: null }));
  });
});
