import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COMPLAINT_RULE, enrich, enrichedToRecord, isComplaint, type Customer, type Rating } from '../../../src/domain/index.js';
import { DeadLetterHeader } from '../../../src/topics.js';
import { complaintOf } from '../../../stream/processors/complaints.js';
import { NOW, TOPICS, emitted, json, only, rec, ruthie } from './fixtures.js';

const cfg = { output: TOPICS.complaints, deadLetters: TOPICS.dlq, rule: DEFAULT_COMPLAINT_RULE };
const base: Rating = { ratingId: 604087, userId: 2, stars: 1, routeId: 2777, ratingTime: 1528800546808, channel: 'iOS', message: 'worst. flight. ever. #neveragain' };
const enriched = (r: Partial<Rating> = {}, c: Partial<Customer> = {}) => enrichedToRecord(enrich({ ...base, ...r }, { ...ruthie, ...c }));

describe('complaints', () => {
  it('emits an unhappy platinum customer keyed by rating id, at the rating time, with the columns a complaint needs', () => {
    const out = only(complaintOf(rec(TOPICS.enriched, enriched()), cfg, NOW));
    expect(out).toMatchObject({ topic: TOPICS.complaints, key: '604087', timestamp: 1528800546808 });
    expect(json(out)).toMatchObject({
      RATING_ID: 604087,
      ID: 2,
      CLUB_STATUS: 'platinum',
      EMAIL: 'rbrockherst1@ow.ly',
      STARS: 1,
      MESSAGE: 'worst. flight. ever. #neveragain',
      FIRST_NAME: 'Ruthie',
      LAST_NAME: 'Brockherst',
      CHANNEL: 'iOS',
      RATING_TIME: 1528800546808,
    });
  });

  it.each([
    [1, 'platinum', true],
    [2, 'platinum', true],
    [3, 'platinum', false],
    [5, 'platinum', false],
    [1, 'gold', false],
    [1, 'PLATINUM', true],
    [1, null, false],
  ])('stars %i from a %s customer → complaint: %s', (stars, clubStatus, expected) => {
    const value = { ...enriched({ stars }), CLUB_STATUS: clubStatus };
    expect(emitted(complaintOf(rec(TOPICS.enriched, value), cfg, NOW))).toHaveLength(expected ? 1 : 0);
  });

  it('follows the configured rule', () => {
    const rule = { starsBelow: 4, clubStatuses: ['gold'] };
    expect(emitted(complaintOf(rec(TOPICS.enriched, enriched({ stars: 3 }, { clubStatus: 'gold' })), { ...cfg, rule }, NOW))).toHaveLength(1);
    expect(emitted(complaintOf(rec(TOPICS.enriched, enriched({ stars: 1 })), { ...cfg, rule }, NOW))).toHaveLength(0);
  });

  it.each([
    ['not JSON', Buffer.from('{oops'), ''],
    ['a tombstone', null, ''],
    ['stars missing', { ...enriched(), STARS: undefined }, 'STARS'],
    ['ID not a number', { ...enriched(), ID: 'two' }, 'ID'],
  ])('dead-letters %s', (_, value, field) => {
    const out = only(complaintOf(rec(TOPICS.enriched, value), cfg, NOW));
    expect(out.topic).toBe(TOPICS.dlq);
    expect(out.headers?.[DeadLetterHeader.errorField]).toBe(field);
    expect(out.headers?.[DeadLetterHeader.processor]).toBe('complaints');
  });

  it('emits a complaint exactly when the rule says so', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.option(fc.constantFrom('bronze', 'silver', 'gold', 'platinum')), (stars, clubStatus) => {
        const e = enrich({ ...base, stars }, { ...ruthie, clubStatus });
        expect(emitted(complaintOf(rec(TOPICS.enriched, enrichedToRecord(e)), cfg, NOW))).toHaveLength(isComplaint(e) ? 1 : 0);
      }),
    );
  });
});
