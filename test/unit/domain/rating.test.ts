import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeJson, normalizeChannel, parseRating, ratingToRecord, MAX_MESSAGE_LENGTH } from '../../../src/domain/index.js';
import { InvalidRecordError } from '../../../src/errors.js';

const valid = { rating_id: 604087, user_id: 7, stars: 1, route_id: 2777, rating_time: 1528800546808, channel: 'android', message: 'worst. flight. ever. #neveragain' };

describe('parseRating', () => {
  it('parses the article example', () => {
    const r = parseRating(valid);
    expect(r).toEqual({ ok: true, value: { ratingId: 604087, userId: 7, stars: 1, routeId: 2777, ratingTime: 1528800546808, channel: 'android', message: 'worst. flight. ever. #neveragain' } });
  });

  it.each([
    ['anonymous user -1', { ...valid, user_id: -1 }, true],
    ['numeric strings', { ...valid, rating_id: '604087', stars: '2' }, true],
    ['missing message becomes empty', { ...valid, message: undefined }, true],
    ['missing channel becomes unknown', { ...valid, channel: null }, true],
  ])('accepts %s', (_name, input, expected) => {
    expect(parseRating(input).ok).toBe(expected);
  });

  it.each([
    ['stars 0', { ...valid, stars: 0 }, 'stars', 'at least 1'],
    ['stars 6', { ...valid, stars: 6 }, 'stars', 'at most 5'],
    ['stars as text', { ...valid, stars: 'five' }, 'stars', 'integer'],
    ['fractional stars', { ...valid, stars: 2.5 }, 'stars', 'integer'],
    ['missing rating_id', { ...valid, rating_id: undefined }, 'rating_id', 'missing'],
    ['user id below -1', { ...valid, user_id: -2 }, 'user_id', 'at least -1'],
    ['object message', { ...valid, message: { a: 1 } }, 'message', 'string'],
    ['huge message', { ...valid, message: 'x'.repeat(MAX_MESSAGE_LENGTH + 1) }, 'message', 'at most'],
    ['an array', [1, 2], '', 'JSON object'],
    ['null', null, '', 'JSON object'],
  ])('rejects %s naming the field', (_name, input, field, text) => {
    const r = parseRating(input);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toBeInstanceOf(InvalidRecordError);
      expect(r.error.field).toBe(field);
      expect(r.error.message).toContain(text);
    }
  });

  it('takes the record timestamp when rating_time is missing', () => {
    const r = parseRating({ ...valid, rating_time: undefined }, 42);
    expect(r.ok && r.value.ratingTime).toBe(42);
    expect(parseRating({ ...valid, rating_time: undefined }).ok).toBe(false);
  });

  it('round-trips through its wire form', () => {
    fc.assert(
      fc.property(
        fc.record({
          ratingId: fc.nat(),
          userId: fc.integer({ min: -1, max: 1_000_000 }),
          stars: fc.integer({ min: 1, max: 5 }),
          routeId: fc.option(fc.nat(), { nil: null }),
          ratingTime: fc.nat(),
          channel: fc.constantFrom('iOS', 'ios', 'iOS-test', 'android', 'web'),
          message: fc.string({ maxLength: 200 }),
        }),
        (rating) => {
          const r = parseRating(JSON.parse(JSON.stringify(ratingToRecord(rating))));
          expect(r).toEqual({ ok: true, value: rating });
        },
      ),
    );
  });

  it('never throws on arbitrary JSON, only returns a typed error', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const r = parseRating(v);
        if (!r.ok) expect(r.error).toBeInstanceOf(InvalidRecordError);
      }),
    );
  });
});

describe('decodeJson', () => {
  it('names non-JSON bytes as an invalid record', () => {
    expect(() => decodeJson(Buffer.from([0xff, 0x00, 0x41]))).toThrow(InvalidRecordError);
    expect(() => decodeJson('not json')).toThrow(/not JSON/);
  });
});

describe('normalizeChannel', () => {
  it.each([
    ['iOS', 'ios'],
    ['ios', 'ios'],
    ['iOS-test', 'ios'],
    ['android', 'android'],
    [' Web ', 'web'],
    ['', 'unknown'],
  ])('%s → %s', (input, expected) => expect(normalizeChannel(input)).toBe(expected));
});

describe('parseRecordValue', () => {
  it('returns one typed error for bytes that are not JSON and for JSON that breaks the contract', async () => {
    const { parseRecordValue } = await import('../../../src/domain/index.js');
    const notJson = parseRecordValue(Buffer.from('{"rating_id":'), (v) => parseRating(v));
    expect(!notJson.ok && notJson.error.message).toMatch(/not JSON/);
    const wrong = parseRecordValue(Buffer.from('{"rating_id":1,"user_id":2,"stars":9,"rating_time":1}'), (v) => parseRating(v));
    expect(!wrong.ok && wrong.error.field).toBe('stars');
    const good = parseRecordValue(Buffer.from(JSON.stringify(valid)), (v) => parseRating(v));
    expect(good.ok && good.value.ratingId).toBe(604087);
  });
});
