import { describe, expect, it } from 'vitest';
import { isSlackClaim } from '../../../src/domain/index.js';
import { claimTs, parseClaim } from '../../../slack-app/claims.js';

describe('claims', () => {
  it('round-trips the instance and the time', () => {
    const ts = claimTs('3f2a-instance', 1_700_000_000_123);
    expect(ts).toBe('pending:3f2a-instance:1700000000123');
    expect(parseClaim(ts)).toEqual({ instance: '3f2a-instance', at: 1_700_000_000_123 });
    expect(isSlackClaim({ channel: 'C1', ts })).toBe(true);
  });

  it('reads a real message ts as no claim', () => {
    expect(parseClaim('1700000000.000100')).toBeNull();
    expect(isSlackClaim({ channel: 'C1', ts: '1700000000.000100' })).toBe(false);
    expect(isSlackClaim(null)).toBe(false);
  });

  it('reads a malformed claim as abandoned long ago', () => {
    expect(parseClaim('pending:garbage')).toEqual({ instance: '', at: 0 });
  });

  it('refuses an instance id that would make the claim ambiguous', () => {
    expect(() => claimTs('a:b', 1)).toThrow(/cannot contain/);
  });
});
