import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COMPLAINT_RULE, enrich, isComplaint, parseRating, type Customer } from '../../../src/domain/index.js';
import { joinRating, type JoinConfig } from '../../../stream/processors/enrich-ratings.js';
import { NOW, TOPICS, emitted, json, rating, rec, ruthie } from './fixtures.js';

/** The join with the complaint rule on, as the pipeline runs it. */
const cfg: JoinConfig = { output: TOPICS.enriched, pending: TOPICS.pending, deadLetters: TOPICS.dlq, graceMs: 10_000, complaints: { output: TOPICS.complaints, rule: DEFAULT_COMPLAINT_RULE } };
const lookup = (c: Customer) => ({ get: (id: number) => (id === c.id ? c : undefined) });
const join = (r: Record<string, unknown>, c: Partial<Customer> = {}, o: JoinConfig = cfg) => emitted(joinRating(rec(TOPICS.ratings, rating(r)), lookup({ ...ruthie, ...c }), o, NOW));
const complaints = (out: ReturnType<typeof join>) => out.filter((r) => r.topic === TOPICS.complaints);

describe('complaints, emitted by the join in the same step as the enriched rating', () => {
  it('emits an unhappy platinum customer keyed by rating id, at the rating time, with the columns a complaint needs', () => {
    const out = join({ stars: 1, message: 'worst. flight. ever. #neveragain', channel: 'iOS' });
    expect(out.map((r) => r.topic)).toEqual([TOPICS.enriched, TOPICS.complaints]);
    const complaint = out[1]!;
    expect(complaint).toMatchObject({ topic: TOPICS.complaints, key: '604087', timestamp: 1528800546808 });
    expect(json(complaint)).toMatchObject({
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
    // The same columns as the enriched rating it derives from.
    expect(json(complaint)).toEqual(json(out[0]!));
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
    const out = join({ stars }, { clubStatus });
    expect(out[0]!.topic).toBe(TOPICS.enriched); // the enriched rating either way
    expect(complaints(out)).toHaveLength(expected ? 1 : 0);
  });

  it('follows the configured rule', () => {
    const o = { ...cfg, complaints: { output: TOPICS.complaints, rule: { starsBelow: 4, clubStatuses: ['gold'] } } };
    expect(complaints(join({ stars: 3 }, { clubStatus: 'gold' }, o))).toHaveLength(1);
    expect(complaints(join({ stars: 1 }, {}, o))).toHaveLength(0);
  });

  it('emits none without a complaints configuration', () => {
    const { complaints: _, ...noRule } = cfg;
    expect(join({ stars: 1 }, {}, noRule).map((r) => r.topic)).toEqual([TOPICS.enriched]);
  });

  it('emits a complaint exactly when the rule says so', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.option(fc.constantFrom('bronze', 'silver', 'gold', 'platinum')), (stars, clubStatus) => {
        const parsed = parseRating(rating({ stars }), 0);
        if (!parsed.ok) throw parsed.error;
        const expected = isComplaint(enrich(parsed.value, { ...ruthie, clubStatus }));
        expect(complaints(join({ stars }, { clubStatus }))).toHaveLength(expected ? 1 : 0);
      }),
    );
  });
});
