import { describe, expect, it } from 'vitest';
import { createMemoryEventLog } from '../../../../src/adapters/memory/event-log.js';
import { eventLogContract } from '../../../contract/event-log.contract.js';

let n = 0;
const shared = createMemoryEventLog({ retryInitialDelayMs: 10 });

eventLogContract('memory', async () => ({
  log: shared,
  fresh: async () => createMemoryEventLog(),
  name: (prefix) => `${prefix}-${++n}`,
  close: () => shared.close(),
}));

describe('MemoryEventLog transactions', () => {
  it('appends records and moves a group offset in one step, or does neither', async () => {
    const log = createMemoryEventLog();
    await log.ensureTopics([
      { name: 'in', partitions: 1 },
      { name: 'out', partitions: 1 },
    ]);
    log.commitTransaction([{ topic: 'out', key: 'k', value: 'v' }], 'g', [{ topic: 'in', partition: 0, offset: 3 }]);
    expect(log.records('out')).toHaveLength(1);
    expect(log.committedOffset('g', 'in', 0)).toBe(3);
    expect(() => log.commitTransaction([{ topic: 'out', key: 'k', value: 'v', partition: 7 }], 'g', [{ topic: 'in', partition: 0, offset: 9 }])).toThrow(/no partition 7/);
    expect(log.records('out')).toHaveLength(1);
    expect(log.committedOffset('g', 'in', 0)).toBe(3);
  });
});
