import { describe, expect, it } from 'vitest';
import { isKnownMessageTs, isSlackClaim } from '../../../src/domain/index.js';
import { claimTs, parseClaim, unknownMessageTs } from '../../../slack-app/claims.js';

describe('claims', () => {
  it('round-trips the instance, the phase and the time', () => {
    const ts = claimTs('3f2a-instance', 1_700_000_000_123);
    expect(ts).toBe('pending:3f2a-instance:claimed:1700000000123');
    expect(parseClaim(ts)).toEqual({ instance: '3f2a-instance', at: 1_700_000_000_123, phase: 'claimed' });
    expect(parseClaim(claimTs('3f2a-instance', 5, 'sending'))).toEqual({ instance: '3f2a-instance', at: 5, phase: 'sending' });
    expect(isSlackClaim({ channel: 'C1', ts })).toBe(true);
    expect(isKnownMessageTs(ts)).toBe(false);
  });

  it('reads a claim written by an older version (no phase) as sending: a message may exist', () => {
    expect(parseClaim('pending:3f2a-instance:1700000000123')).toEqual({ instance: '3f2a-instance', at: 1_700_000_000_123, phase: 'sending' });
  });

  it('reads a real message ts as no claim', () => {
    expect(parseClaim('1700000000.000100')).toBeNull();
    expect(isSlackClaim({ channel: 'C1', ts: '1700000000.000100' })).toBe(false);
    expect(isSlackClaim(null)).toBe(false);
    expect(isKnownMessageTs('1700000000.000100')).toBe(true);
  });

  it('reads an unknown message as no claim, and as no known message', () => {
    const ts = unknownMessageTs(1_700_000_000_123);
    expect(ts).toBe('unknown:1700000000123');
    expect(parseClaim(ts)).toBeNull();
    expect(isSlackClaim({ channel: 'C1', ts })).toBe(false);
    expect(isKnownMessageTs(ts)).toBe(false);
  });

  it('reads a malformed claim as abandoned long ago, sending', () => {
    for (const ts of ['pending:garbage', 'pending::1', 'pending:a:maybe:1', 'pending:a:b:c:1']) expect(parseClaim(ts)).toEqual({ instance: '', at: 0, phase: 'sending' });
  });

  it('refuses an instance id that would make the claim ambiguous', () => {
    expect(() => claimTs('a:b', 1)).toThrow(/cannot contain/);
  });
});
