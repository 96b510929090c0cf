import { describe, expect, it } from 'vitest';
import { aggregateReports, parseStatusReport, type StatusReport } from '../../src/adapters/kafka/pipeline-status.js';

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
    const [s] = aggregateReports(
      [report({}), report({ instance: 'b', state: 'ERROR', lastError: 'broker down', messagesPerSecond: 5, totalMessages: 50, lastMessageTime: NOW - 10 })],
      NOW,
      10_000,
    );
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
});
