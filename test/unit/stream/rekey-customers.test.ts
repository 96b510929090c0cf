import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeadLetterHeader } from '../../../src/topics.js';
import { rekeyCustomer } from '../../../stream/processors/rekey-customers.js';
import { NOW, TOPICS, json, only, rec } from './fixtures.js';

const cfg = { output: TOPICS.rekeyed, deadLetters: TOPICS.dlq };
const row = {
  id: 1,
  first_name: 'Rica',
  last_name: 'Blaisdell',
  email: 'rblaisdell0@rambler.ru',
  gender: 'Female',
  club_status: 'bronze',
  comments: 'Universal optimal hierarchy',
  create_ts: '2018-06-12T11:47:30Z',
  update_ts: '2018-06-12T11:47:30Z',
};
const envelope = (op: string, before: unknown, after: unknown) => ({ before, after, op, source: { table: 'CUSTOMERS' }, ts_ms: 1 });
const step = (value: unknown, key: unknown = { id: 1 }) => rekeyCustomer(rec(TOPICS.cdc, value, { key, timestamp: 42 }), cfg, NOW);

describe('rekey-customers', () => {
  it.each([
    ['a flat row (ExtractNewRecordState)', row, { id: 1 }],
    ['a flat row with a schema-wrapped key', row, { payload: { id: 1 } }],
    ['a flat row without a key', row, null],
    ['a Debezium envelope', envelope('c', null, row), { id: 1 }],
    ['a snapshot read (op r)', envelope('r', null, row), { id: 1 }],
    ['an envelope in a {schema, payload} wrapper', { schema: { type: 'struct' }, payload: envelope('u', row, row) }, { payload: { id: 1 } }],
    ['a row with a string id and a padded, capitalised club status', { ...row, id: '1', club_status: ' Bronze ' }, '1'],
  ])('re-keys %s by customer id with KSQL upper-case columns', (_, value, key) => {
    const out = only(step(value, key));
    expect(out).toMatchObject({ topic: TOPICS.rekeyed, key: '1', timestamp: 42 });
    expect(json(out)).toEqual({
      ID: 1,
      FIRST_NAME: 'Rica',
      LAST_NAME: 'Blaisdell',
      EMAIL: 'rblaisdell0@rambler.ru',
      GENDER: 'Female',
      CLUB_STATUS: 'bronze',
      COMMENTS: 'Universal optimal hierarchy',
      CREATE_TS: '2018-06-12T11:47:30Z',
      UPDATE_TS: '2018-06-12T11:47:30Z',
    });
  });

  it('turns epoch-number timestamps into ISO strings', () => {
    expect(json(only(step({ ...row, update_ts: 1528804050000 }))).UPDATE_TS).toBe('2018-06-12T11:47:30.000Z');
  });

  it.each([
    ['a tombstone keyed {"id":5}', null, { id: 5 }],
    ['a tombstone keyed {"payload":{"id":5}}', null, { payload: { id: 5 } }],
    ['a tombstone keyed "5"', null, '5'],
    ['op d with before', envelope('d', { ...row, id: 5 }, null), null],
    ['a wrapped op d', { schema: {}, payload: envelope('d', { ...row, id: 5 }, null) }, null],
    ['__deleted "true"', { ...row, id: 5, __deleted: 'true' }, null],
    ['a null payload in a wrapper', { schema: {}, payload: null }, { id: 5 }],
  ])('turns %s into a tombstone on the id', (_, value, key) => {
    expect(only(step(value, key))).toMatchObject({ topic: TOPICS.rekeyed, key: '5', value: null });
  });

  it.each([
    ['bytes that are not JSON', Buffer.from('id=1;name=Rica'), ''],
    ['a JSON array', [row], ''],
    ['a row without id', { ...row, id: undefined }, 'id'],
    ['an id that is not a number', { ...row, id: 'one' }, 'id'],
    ['an unknown op', envelope('x', null, row), 'op'],
    ['an envelope whose after is a string', envelope('c', null, 'row'), 'after'],
    ['a first name that is an object', { ...row, first_name: { a: 1 } }, 'first_name'],
  ])('dead-letters %s with the field at fault', (_, value, field) => {
    const out = only(step(value));
    expect(out.topic).toBe(TOPICS.dlq);
    expect(out.headers?.[DeadLetterHeader.errorField]).toBe(field);
    expect(out.headers?.[DeadLetterHeader.errorCode]).toBe('INVALID_RECORD');
    expect(out.headers?.[DeadLetterHeader.processor]).toBe('rekey-customers');
    expect(step(value)).toMatchObject({ failed: 1 });
  });

  it('dead-letters a tombstone without a usable key', () => {
    expect(only(step(null, null)).headers?.[DeadLetterHeader.errorField]).toBe('key');
    expect(only(step(null, 'not-an-id')).topic).toBe(TOPICS.dlq);
  });

  it('never throws and always emits exactly one record, keyed by digits or dead-lettered with the original bytes', () => {
    fc.assert(
      fc.property(fc.option(fc.uint8Array({ maxLength: 200 })), fc.option(fc.jsonValue()), (bytes, key) => {
        const value = bytes === null ? null : Buffer.from(bytes);
        const r = rec(TOPICS.cdc, value, { key: key === null ? null : JSON.stringify(key) });
        const out = only(rekeyCustomer(r, cfg, NOW));
        if (out.topic === TOPICS.rekeyed) expect(String(out.key)).toMatch(/^-?\d+$/);
        else expect(out).toMatchObject({ topic: TOPICS.dlq, value });
      }),
    );
  });

  it('gives the same record for a flat row and for the same row in an envelope, wrapped or not', () => {
    const customer = fc.record({
      id: fc.integer({ min: 0, max: 1_000_000 }),
      first_name: fc.option(fc.string({ maxLength: 30 })),
      last_name: fc.option(fc.string({ maxLength: 30 })),
      email: fc.option(fc.emailAddress()),
      club_status: fc.option(fc.constantFrom('bronze', 'silver', 'gold', 'platinum', 'Platinum')),
    });
    fc.assert(
      fc.property(customer, (c) => {
        const flat = only(step(c, { id: c.id }));
        expect(only(step(envelope('u', null, c), { id: c.id }))).toEqual(flat);
        expect(only(step({ schema: {}, payload: envelope('c', null, c) }, null))).toEqual(flat);
        expect(flat.key).toBe(String(c.id));
      }),
    );
  });
});
