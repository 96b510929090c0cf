import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay } from '../../src/retry.js';

describe('backoffDelay', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('waits between half the ceiling and the ceiling (equal jitter)', () => {
    const random = vi.spyOn(Math, 'random');
    random.mockReturnValue(0);
    expect(backoffDelay(1, { initialDelayMs: 100 })).toBe(50);
    expect(backoffDelay(3, { initialDelayMs: 100 })).toBe(200);
    random.mockReturnValue(0.999_999);
    expect(backoffDelay(1, { initialDelayMs: 100 })).toBe(100);
    expect(backoffDelay(3, { initialDelayMs: 100 })).toBe(400);
  });

  it('caps the ceiling at maxDelayMs', () => {
    const random = vi.spyOn(Math, 'random');
    random.mockReturnValue(0);
    expect(backoffDelay(30, { initialDelayMs: 100, maxDelayMs: 1_000 })).toBe(500);
    random.mockReturnValue(0.999_999);
    expect(backoffDelay(30, { initialDelayMs: 100, maxDelayMs: 1_000 })).toBe(1_000);
  });
});
