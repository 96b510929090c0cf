import { describe, expect, it } from 'vitest';
import { customerToRekeyRecord } from '../../../src/domain/index.js';
import { createCustomersTable } from '../../../stream/customers-table.js';
import { TOPICS, rec, ruthie } from './fixtures.js';

describe('the customers table', () => {
  it('upserts rows by id, deletes on tombstones, and skips what is not a customer', () => {
    const skipped: string[] = [];
    const t = createCustomersTable((_, e) => skipped.push(e.field));
    expect(t.apply(rec(TOPICS.rekeyed, customerToRekeyRecord(ruthie), { key: '2' })).kind).toBe('upsert');
    expect(t.get(2)).toEqual(ruthie);
    t.apply(rec(TOPICS.rekeyed, customerToRekeyRecord({ ...ruthie, clubStatus: 'gold' }), { key: '2' }));
    expect(t.get(2)?.clubStatus).toBe('gold');
    expect(t.size).toBe(1);
    expect(t.apply(rec(TOPICS.rekeyed, 'garbage', { key: '3' })).kind).toBe('skipped');
    expect(t.apply(rec(TOPICS.rekeyed, null, { key: null })).kind).toBe('skipped');
    expect(t.skipped).toBe(2);
    expect(skipped).toEqual(['', 'key']);
    expect(t.apply(rec(TOPICS.rekeyed, null, { key: '2' }))).toEqual({ kind: 'delete', id: 2 });
    expect(t.get(2)).toBeUndefined();
    expect(t.size).toBe(0);
  });

  it('accepts JSON keys on tombstones too', () => {
    const t = createCustomersTable();
    t.apply(rec(TOPICS.rekeyed, customerToRekeyRecord(ruthie), { key: '2' }));
    t.apply(rec(TOPICS.rekeyed, null, { key: { ID: 2 } }));
    expect(t.size).toBe(0);
  });
});
