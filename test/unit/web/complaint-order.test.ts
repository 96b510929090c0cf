import { describe, expect, it } from 'vitest';
import { later } from '../../../web/src/complaint-order.js';

const copy = (status: string, note: string | null = null) => ({ id: '7', status, note });

describe('later (which copy of a complaint the dashboard shows)', () => {
  it('keeps a resolved complaint when a stale acknowledged copy arrives after it', () => {
    const resolved = copy('RESOLVED', 'Refunded the upgrade');
    expect(later(resolved, copy('ACKNOWLEDGED', 'Called the customer'))).toBe(resolved);
    expect(later(resolved, copy('OPEN'))).toBe(resolved);
    expect(later(copy('ACKNOWLEDGED'), copy('OPEN')).status).toBe('ACKNOWLEDGED');
  });

  it('takes the incoming copy when it is as far along or further', () => {
    const next = copy('RESOLVED', 'Refunded the upgrade');
    expect(later(copy('ACKNOWLEDGED'), next)).toBe(next);
    const sameStatus = copy('OPEN', 'snoozed');
    expect(later(copy('OPEN'), sameStatus)).toBe(sameStatus);
    expect(later(null, next)).toBe(next);
    expect(later(undefined, next)).toBe(next);
  });
});
