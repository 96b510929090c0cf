import { describe, expect, it } from 'vitest';
import { acknowledgementToRecord, enrich, enrichedToRecord, isComplaint, parseAcknowledgement, parseEnrichedRecord, type Customer, type Rating } from '../../../src/domain/index.js';

const customer: Customer = { id: 2, firstName: 'Ruthie', lastName: 'Brockherst', email: 'r@ow.ly', gender: 'Female', clubStatus: 'platinum', comments: null, createTs: null, updateTs: null };
const rating: Rating = { ratingId: 9, userId: 2, stars: 1, routeId: 5, ratingTime: 1000, channel: 'iOS', message: 'meh' };

describe('the complaint rule', () => {
  it.each([
    [1, 'platinum', true],
    [2, 'platinum', true],
    [3, 'platinum', false],
    [1, 'gold', false],
    [1, null, false],
  ])('stars %i from %s → %s', (stars, clubStatus, expected) => {
    expect(isComplaint(enrich({ ...rating, stars }, { ...customer, clubStatus }))).toBe(expected);
  });

  it('follows a configured rule', () => {
    const e = enrich({ ...rating, stars: 3 }, { ...customer, clubStatus: 'gold' });
    expect(isComplaint(e, { starsBelow: 4, clubStatuses: ['gold', 'platinum'] })).toBe(true);
  });
});

describe('enriched records', () => {
  it('carry the article columns and round-trip', () => {
    const e = enrich(rating, customer);
    const rec = enrichedToRecord(e);
    for (const col of ['RATING_ID', 'CHANNEL', 'STARS', 'MESSAGE', 'ID', 'CLUB_STATUS', 'EMAIL', 'FIRST_NAME', 'LAST_NAME', 'USER_ID', 'ROUTE_ID', 'RATING_TIME']) {
      expect(rec).toHaveProperty(col);
    }
    const back = parseEnrichedRecord(JSON.parse(JSON.stringify(rec)));
    expect(back.ok && back.value).toMatchObject({ ...rating, customer: { id: 2, firstName: 'Ruthie', clubStatus: 'platinum' } });
  });
});

describe('acknowledgement records', () => {
  it('round-trip and reject an unknown surface', () => {
    const ack = { complaintId: '9', by: 'alice', byName: null, at: '2026-01-01T00:00:00.000Z', via: 'graphql' as const, note: 'on it' };
    expect(parseAcknowledgement(acknowledgementToRecord(ack))).toEqual({ ok: true, value: ack });
    const bad = parseAcknowledgement({ ...acknowledgementToRecord(ack), via: 'email' });
    expect(!bad.ok && bad.error.field).toBe('via');
  });
});
