import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEnrichedRecord, type Customer } from '../../../src/domain/index.js';
import { DeadLetterHeader } from '../../../src/topics.js';
import { FIRST_SEEN_HEADER, enrichRatingStep, firstSeen, joinPending, joinRating, type JoinConfig } from '../../../stream/processors/enrich-ratings.js';
import { NOW, TOPICS, emitted, json, only, rating, rec, ruthie } from './fixtures.js';

const cfg: JoinConfig = { output: TOPICS.enriched, pending: TOPICS.pending, deadLetters: TOPICS.dlq, graceMs: 10_000 };
const table = (...cs: Customer[]) => {
  const m = new Map(cs.map((c) => [c.id, c]));
  return { get: (id: number) => m.get(id) };
};
const known = table(ruthie);
const none = table();

describe('enrich-ratings: a rating whose customer is known', () => {
  it('is emitted keyed by user id, with the article columns, at the rating time', () => {
    const out = only(joinRating(rec(TOPICS.ratings, rating()), known, cfg, NOW));
    expect(out).toMatchObject({ topic: TOPICS.enriched, key: '2', timestamp: 1528800546808 });
    expect(json(out)).toEqual({
      RATING_ID: 604087,
      USER_ID: 2,
      STARS: 1,
      ROUTE_ID: 2777,
      RATING_TIME: 1528800546808,
      CHANNEL: 'iOS-test',
      MESSAGE: 'Exceeded all my expectations. Thank you !',
      ID: 2,
      CLUB_STATUS: 'platinum',
      EMAIL: 'rbrockherst1@ow.ly',
      FIRST_NAME: 'Ruthie',
      LAST_NAME: 'Brockherst',
      GENDER: 'Female',
    });
  });

  it.each(['iOS', 'ios', 'iOS-test', 'android', 'web', 'Web ', 'carrier-pigeon'])('keeps the channel %j as sent', (channel) => {
    expect(json(only(joinRating(rec(TOPICS.ratings, rating({ channel })), known, cfg, NOW))).CHANNEL).toBe(channel.trim());
  });

  it.each([
    ['numbers as strings', { user_id: '2', stars: '1', rating_id: '604087' }],
    ['a missing route and message', { route_id: undefined, message: undefined }],
    ['a missing channel', { channel: undefined }],
  ])('accepts %s', (_, o) => {
    expect(only(joinRating(rec(TOPICS.ratings, rating(o)), known, cfg, NOW)).topic).toBe(TOPICS.enriched);
  });

  it('takes the record timestamp when rating_time is missing', () => {
    const out = only(joinRating(rec(TOPICS.ratings, rating({ rating_time: undefined }), { timestamp: 1234 }), known, cfg, NOW));
    expect(out.timestamp).toBe(1234);
    expect(json(out).RATING_TIME).toBe(1234);
  });
});

describe('enrich-ratings: a rating that cannot join yet', () => {
  it('counts an anonymous rating (user_id -1) unmatched at once', () => {
    expect(joinRating(rec(TOPICS.ratings, rating({ user_id: -1 })), known, cfg, NOW)).toEqual({ kind: 'done', emit: [], unmatched: 1 });
  });

  it('parks a rating of an unknown customer on the pending topic, keyed by user id, with when it was first seen', () => {
    const input = rec(TOPICS.ratings, rating({ user_id: 7 }), { timestamp: 99 });
    const out = only(joinRating(input, known, cfg, NOW));
    expect(out).toMatchObject({ topic: TOPICS.pending, key: '7', value: input.value, timestamp: 99 });
    expect(out.headers?.[FIRST_SEEN_HEADER]).toBe(String(NOW));
  });

  it('counts it unmatched at once when there is no grace period', () => {
    expect(joinRating(rec(TOPICS.ratings, rating({ user_id: 7 })), known, { ...cfg, graceMs: 0 }, NOW)).toEqual({ kind: 'done', emit: [], unmatched: 1 });
  });
});

describe('enrich-ratings: a pending rating', () => {
  const pending = (firstSeenAt: number | undefined, o: Record<string, unknown> = {}) =>
    rec(TOPICS.pending, rating(o), { key: '2', headers: firstSeenAt === undefined ? {} : { [FIRST_SEEN_HEADER]: String(firstSeenAt) }, timestamp: 500 });

  it('is emitted once its customer is known', () => {
    expect(only(joinPending(pending(NOW - 1_000), known, cfg, NOW)).topic).toBe(TOPICS.enriched);
  });

  it('waits until the end of the grace period while the customer is unknown', () => {
    expect(joinPending(pending(NOW - 1_000), none, cfg, NOW)).toEqual({ kind: 'wait', until: NOW - 1_000 + 10_000 });
  });

  it('is unmatched and dropped once the grace period has passed', () => {
    expect(joinPending(pending(NOW - 10_000), none, cfg, NOW)).toEqual({ kind: 'done', emit: [], unmatched: 1 });
  });

  it('falls back to the record timestamp for a missing or garbled first-seen header', () => {
    expect(firstSeen(pending(undefined))).toBe(500);
    expect(firstSeen({ headers: { [FIRST_SEEN_HEADER]: 'yesterday' }, timestamp: 500 })).toBe(500);
  });

  it('is routed by its topic', () => {
    expect(enrichRatingStep(pending(NOW - 1_000), none, cfg, NOW).kind).toBe('wait');
    expect(only(enrichRatingStep(rec(TOPICS.ratings, rating({ user_id: 7 })), none, cfg, NOW)).topic).toBe(TOPICS.pending);
  });
});

describe('enrich-ratings: bad input', () => {
  it.each([
    ['bytes that are not JSON', Buffer.from('rating_id=1'), ''],
    ['a tombstone', null, ''],
    ['a JSON string', '"hello"', ''],
    ['stars out of range', rating({ stars: 7 }), 'stars'],
    ['stars as a word', rating({ stars: 'five' }), 'stars'],
    ['a missing rating id', rating({ rating_id: undefined }), 'rating_id'],
    ['a user id below -1', rating({ user_id: -2 }), 'user_id'],
    ['a huge message', rating({ message: 'x'.repeat(20_000) }), 'message'],
    ['a message that is an object', rating({ message: { text: 'hi' } }), 'message'],
  ])('dead-letters %s (field %j) and keeps the bytes', (_, value, field) => {
    const input = rec(TOPICS.ratings, value);
    const outcome = joinRating(input, known, cfg, NOW);
    expect(outcome).toMatchObject({ kind: 'done', failed: 1 });
    const out = only(outcome);
    expect(out).toMatchObject({ topic: TOPICS.dlq, value: input.value });
    expect(out.headers?.[DeadLetterHeader.errorField]).toBe(field);
    expect(out.headers?.[DeadLetterHeader.topic]).toBe(TOPICS.ratings);
    expect(out.headers?.[DeadLetterHeader.offset]).toBe(input.offset);
  });

  it('never throws on any bytes, and decides exactly one of enriched, pending, unmatched or dead-lettered', () => {
    fc.assert(
      fc.property(fc.option(fc.uint8Array({ maxLength: 300 })), fc.boolean(), (bytes, grace) => {
        const input = rec(TOPICS.ratings, bytes === null ? null : Buffer.from(bytes));
        const o = joinRating(input, known, { ...cfg, graceMs: grace ? 1_000 : 0 }, NOW);
        const e = emitted(o);
        expect(e.length + (o.kind === 'done' ? (o.unmatched ?? 0) : 0)).toBe(1);
        if (e[0]?.topic === TOPICS.dlq) expect(e[0].value).toEqual(input.value);
      }),
    );
  });

  it('emits, for any well-formed rating of a known customer, a record that reads back to the same rating', () => {
    const ratings = fc.record({
      rating_id: fc.integer({ min: 0, max: 2 ** 31 }),
      user_id: fc.constant(2),
      stars: fc.integer({ min: 1, max: 5 }),
      route_id: fc.option(fc.integer({ min: 0, max: 10_000 })),
      rating_time: fc.integer({ min: 0, max: 2 ** 42 }),
      channel: fc.constantFrom('iOS', 'ios', 'iOS-test', 'android', 'web'),
      message: fc.string({ maxLength: 200 }),
    });
    fc.assert(
      fc.property(ratings, (r) => {
        const out = only(joinRating(rec(TOPICS.ratings, r), known, cfg, NOW));
        const back = parseEnrichedRecord(json(out));
        expect(back.ok).toBe(true);
        if (back.ok)
          expect(back.value).toMatchObject({ ratingId: r.rating_id, stars: r.stars, ratingTime: r.rating_time, routeId: r.route_id, channel: r.channel, message: r.message, customer: { id: 2 } });
        expect(out.timestamp).toBe(r.rating_time);
      }),
    );
  });
});
