import { describe, expect, it } from 'vitest';
import { aggregateReports, createKafkaPipelineStatusSource, parseStatusReport, pruneReports, type StatusReport } from '../../../../stream/runtime/status-topic.js';
import { createMemoryEventLog } from '../../../../src/adapters/memory/event-log.js';

const NOW = 1_700_000_000_000;
const report = (o: Partial<StatusReport>): StatusReport => ({
  name: 'enrich-ratings',
  instance: 'a',
  sources: ['ratings', '_feedback-join-pending'],
  sinks: ['ratings-with-customer-data'],
  state: 'RUNNING',
  messagesPerSecond: 10,
  totalMessages: 100,
  failedMessages: 1,
  unmatchedMessages: 2,
  lastMessageTime: NOW - 1_000,
  consumerGroup: 'app-enrich-ratings',
  lastError: null,
  updatedAt: NOW - 500,
  ...o,
});

describe('pipeline status reports', () => {
  it('sum live instances, keep the newest last-message time and the state that needs attention', () => {
    const [s] = aggregateReports([report({}), report({ instance: 'b', state: 'ERROR', lastError: 'broker down', messagesPerSecond: 5, totalMessages: 50, lastMessageTime: NOW - 10 })], NOW, 10_000);
    expect(s).toEqual({
      name: 'enrich-ratings',
      sources: ['ratings', '_feedback-join-pending'],
      sinks: ['ratings-with-customer-data'],
      state: 'ERROR',
      messagesPerSecond: 15,
      totalMessages: 150,
      failedMessages: 2,
      unmatchedMessages: 4,
      lastMessageTime: NOW - 10,
      consumerLag: null,
      consumerGroup: 'app-enrich-ratings',
      instances: 2,
      lastError: 'broker down',
    });
  });

  it('leave out instances that went quiet while another runs, and show STOPPED when none does', () => {
    const crashed = report({ instance: 'old', updatedAt: NOW - 60_000, totalMessages: 999 });
    expect(aggregateReports([crashed, report({})], NOW, 10_000)[0]).toMatchObject({ instances: 1, totalMessages: 100, state: 'RUNNING' });
    expect(aggregateReports([crashed], NOW, 10_000)[0]).toMatchObject({ instances: 0, totalMessages: 999, state: 'STOPPED', messagesPerSecond: 0 });
    expect(aggregateReports([report({ state: 'STOPPED' })], NOW, 10_000)[0]).toMatchObject({ state: 'STOPPED', instances: 0 });
  });

  it('read only well-formed reports', () => {
    const good = report({});
    expect(parseStatusReport(Buffer.from(JSON.stringify(good)))).toEqual(good);
    expect(parseStatusReport(null)).toBeNull();
    expect(parseStatusReport(Buffer.from('nope'))).toBeNull();
    expect(parseStatusReport(Buffer.from(JSON.stringify({ ...good, state: 'DANCING' })))).toBeNull();
    expect(parseStatusReport(Buffer.from(JSON.stringify({ ...good, name: 7 })))).toBeNull();
  });

  it('drop reports gone stale from memory, keeping the newest of each processor', () => {
    const latest = new Map<string, StatusReport>();
    for (let i = 0; i < 50; i++) latest.set(`enrich-ratings@old-${i}`, report({ instance: `old-${i}`, updatedAt: NOW - 60_000 - i }));
    latest.set('enrich-ratings@live', report({ instance: 'live' }));
    for (let i = 0; i < 5; i++) latest.set(`complaints@gone-${i}`, report({ name: 'complaints', instance: `gone-${i}`, updatedAt: NOW - 60_000 - i, state: 'STOPPED' }));
    pruneReports(latest, NOW, 10_000);
    expect([...latest.keys()].sort()).toEqual(['complaints@gone-0', 'enrich-ratings@live']);
  });
});

describe('the pipeline status reader', () => {
  it('holds only the reports it can show, however many instances came and went', async () => {
    const log = createMemoryEventLog({ partitions: 1 });
    const topic = 'status';
    const source = createKafkaPipelineStatusSource({ log, topic, staleAfterMs: 10_000, now: () => NOW });
    try {
      await source.start();
      const record = (key: string, r: StatusReport | null) => ({ topic, key, value: r === null ? null : JSON.stringify(r) });
      // 200 process restarts, each with a new instance id that never tombstoned its key (crashes).
      await log.produce(Array.from({ length: 200 }, (_, i) => record(`enrich-ratings@crashed-${i}`, report({ instance: `crashed-${i}`, updatedAt: NOW - 3_600_000 + i, totalMessages: i }))));
      await log.produce([
        record('enrich-ratings@live', report({ instance: 'live', totalMessages: 7 })),
        // A stopped instance: its last word under the processor key, its instance key tombstoned.
        record('complaints', report({ name: 'complaints', instance: 'stopped', state: 'STOPPED', updatedAt: NOW - 3_600_000, totalMessages: 42 })),
        record('complaints@stopped', report({ name: 'complaints', instance: 'stopped' })),
        record('complaints@stopped', null),
      ]);
      await expect.poll(() => source.heldReports()).toBe(2);
      const byName = Object.fromEntries((await source.status()).map((s) => [s.name, s]));
      expect(byName['enrich-ratings']).toMatchObject({ state: 'RUNNING', instances: 1, totalMessages: 7 });
      expect(byName.complaints).toMatchObject({ state: 'STOPPED', instances: 0, totalMessages: 42 });
    } finally {
      await source.stop();
      await log.close();
    }
  });
});
