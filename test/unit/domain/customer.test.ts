import { describe, expect, it } from 'vitest';
import { customerToRekeyRecord, parseCustomerChange, parseRekeyedCustomer } from '../../../src/domain/index.js';
import { readFileSync } from 'node:fs';

const row = {
  id: 2,
  first_name: 'Ruthie',
  last_name: 'Brockherst',
  email: 'rbrockherst1@ow.ly',
  gender: 'Female',
  club_status: 'platinum',
  comments: 'Reverse-engineered tangible interface',
  create_ts: '2018-06-12T11:47:30Z',
  update_ts: '2018-06-12T11:47:30Z',
};

describe('parseCustomerChange', () => {
  it('parses every demo customer as a flat Debezium row', () => {
    const lines = readFileSync(new URL('../../../data/customers.jsonl', import.meta.url), 'utf8')
      .trim()
      .split('\n');
    expect(lines).toHaveLength(20);
    for (const line of lines) {
      const r = parseCustomerChange(null, JSON.parse(line));
      expect(r.ok && r.value.kind).toBe('upsert');
    }
  });

  it('parses a flat row', () => {
    const r = parseCustomerChange({ id: 2 }, row);
    expect(r.ok && r.value).toMatchObject({ kind: 'upsert', customer: { id: 2, firstName: 'Ruthie', clubStatus: 'platinum' } });
  });

  it('lower-cases the club status', () => {
    const r = parseCustomerChange(null, { ...row, club_status: 'Platinum ' });
    expect(r.ok && r.value.kind === 'upsert' && r.value.customer.clubStatus).toBe('platinum');
  });

  it('parses a full Debezium envelope, with and without the schema wrapper', () => {
    const env = { before: null, after: row, op: 'c', ts_ms: 1 };
    for (const v of [env, { schema: { type: 'struct' }, payload: env }]) {
      const r = parseCustomerChange(null, v);
      expect(r.ok && r.value).toMatchObject({ kind: 'upsert', customer: { id: 2 } });
    }
  });

  it.each([
    ['a tombstone with {"id":1}', { id: 1 }, null],
    ['a tombstone with {"payload":{"id":1}}', { payload: { id: 1 } }, null],
    ['a tombstone with a bare id', 1, null],
    ['op d', null, { before: { ...row, id: 1 }, after: null, op: 'd' }],
    ['op d wrapped', null, { schema: {}, payload: { before: { ...row, id: 1 }, after: null, op: 'd' } }],
    ['a rewrite-mode delete', null, { ...row, id: 1, __deleted: 'true' }],
  ])('reads %s as a delete', (_name, key, value) => {
    expect(parseCustomerChange(key, value)).toEqual({ ok: true, value: { kind: 'delete', id: 1 } });
  });

  it.each([
    ['a tombstone without key', null, null, 'key'],
    ['a row without id', null, { ...row, id: undefined }, 'id'],
    ['an envelope whose after has a bad id', null, { op: 'u', before: null, after: { ...row, id: 'x' } }, 'after.id'],
    ['an unknown op', null, { op: 'z', after: row }, 'op'],
    ['a string', null, 'hello', ''],
  ])('rejects %s naming the field', (_name, key, value, field) => {
    const r = parseCustomerChange(key, value);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.field).toBe(field);
  });

  it('round-trips through CUSTOMERS_SRC_REKEY columns', () => {
    const r = parseCustomerChange(null, row);
    if (!r.ok || r.value.kind !== 'upsert') throw new Error('expected a customer');
    const rekeyed = customerToRekeyRecord(r.value.customer);
    expect(rekeyed).toMatchObject({ ID: 2, FIRST_NAME: 'Ruthie', CLUB_STATUS: 'platinum' });
    expect(parseRekeyedCustomer(JSON.parse(JSON.stringify(rekeyed)))).toEqual({ ok: true, value: r.value.customer });
  });
});
