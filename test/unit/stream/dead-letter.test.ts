import { describe, expect, it } from 'vitest';
import { InvalidRecordError } from '../../../src/errors.js';
import { DeadLetterHeader } from '../../../src/topics.js';
import { deadLetter, deadLettered } from '../../../stream/dead-letter.js';
import { NOW, rec } from './fixtures.js';

describe('dead letters', () => {
  it('keep the original key and value bytes and name the error, the source and the processor', () => {
    const source = rec('ratings', Buffer.from([0xff, 0xfe, 0x00]), { key: 'k-1', partition: 2, headers: { trace: 'abc' } });
    const d = deadLetter(source, new InvalidRecordError('stars', 'must be at most 5, got 7'), { topic: 'dead-letters', processor: 'enrich-ratings', now: NOW });
    expect(d.topic).toBe('dead-letters');
    expect(d.key).toEqual(Buffer.from('k-1'));
    expect(d.value).toEqual(Buffer.from([0xff, 0xfe, 0x00]));
    expect(d.timestamp).toBe(NOW);
    expect(d.headers).toEqual({
      trace: 'abc',
      [DeadLetterHeader.error]: 'stars: must be at most 5, got 7',
      [DeadLetterHeader.errorCode]: 'INVALID_RECORD',
      [DeadLetterHeader.errorField]: 'stars',
      [DeadLetterHeader.topic]: 'ratings',
      [DeadLetterHeader.partition]: '2',
      [DeadLetterHeader.offset]: source.offset,
      [DeadLetterHeader.processor]: 'enrich-ratings',
      [DeadLetterHeader.time]: new Date(NOW).toISOString(),
    });
  });

  it('call an unexpected error internal, with an empty field', () => {
    const d = deadLetter(rec('t', 'x'), new TypeError('x is not a function'), { topic: 'dlq', processor: 'p', now: NOW });
    expect(d.headers?.[DeadLetterHeader.errorCode]).toBe('INTERNAL_SERVER_ERROR');
    expect(d.headers?.[DeadLetterHeader.errorField]).toBe('');
    expect(d.headers?.[DeadLetterHeader.error]).toBe('x is not a function');
  });

  it('cut a value too large for the topic and say how large it was', () => {
    const big = Buffer.alloc(2_000, 0x61);
    const d = deadLetter(rec('t', big), new Error('too long'), { topic: 'dlq', processor: 'p', now: NOW, maxValueBytes: 500 });
    expect((d.value as Buffer).length).toBe(500);
    expect(d.headers?.[DeadLetterHeader.valueTruncated]).toBe('2000');
  });

  it('keep a tombstone a tombstone', () => {
    expect(deadLetter(rec('t', null), new Error('no'), { topic: 'dlq', processor: 'p', now: NOW }).value).toBeNull();
  });

  it('count as one failed record in a step', () => {
    expect(deadLettered(rec('t', 'x'), new Error('no'), { topic: 'dlq', processor: 'p', now: NOW })).toMatchObject({ kind: 'done', failed: 1 });
  });
});
