import { InvalidRecordError } from '../errors.js';
import { isObject, readInt, readOptionalString, type Json } from './fields.js';
import { ok, tryRead, type Result } from './result.js';

/** A customer row from the `demo.CUSTOMERS` table, as captured by CDC. */
export interface Customer {
  readonly id: number;
  readonly firstName: string | null;
  readonly lastName: string | null;
  readonly email: string | null;
  readonly gender: string | null;
  /** Lower-case (`bronze`, `silver`, `gold`, `platinum`). */
  readonly clubStatus: string | null;
  readonly comments: string | null;
  readonly createTs: string | null;
  readonly updateTs: string | null;
}

/** What one CDC record means for the customers table. */
export type CustomerChange = { readonly kind: 'upsert'; readonly customer: Customer } | { readonly kind: 'delete'; readonly id: number };

/**
 * Parses a record of `asgard.demo.CUSTOMERS`. Accepts:
 * - a flat row (Debezium `ExtractNewRecordState`), with `__deleted: "true"` meaning delete;
 * - a full Debezium envelope (`before`/`after`/`op`), optionally wrapped in `{schema, payload}`;
 * - a tombstone (null value) or `op: "d"`: a delete, the id taken from the key or `before`.
 *
 * `key` is the decoded key (`{"id":1}`, `{"payload":{"id":1}}`, `1`, or null).
 */
export function parseCustomerChange(key: unknown, value: unknown): Result<CustomerChange> {
  return tryRead(() => readChange(key, value));
}

/** The customer id a CDC key names, or null. */
export function customerIdFromKey(key: unknown): number | null {
  if (key === null || key === undefined) return null;
  if (typeof key === 'number' && Number.isSafeInteger(key)) return key;
  if (typeof key === 'string' && /^\d+$/.test(key.trim())) return Number(key.trim());
  if (isObject(key)) {
    const inner = isObject(key.payload) ? key.payload : key;
    for (const f of ['id', 'ID']) if (f in inner) return readInt(inner, f);
  }
  return null;
}

function readChange(key: unknown, value: unknown): CustomerChange {
  if (value === null || value === undefined) {
    const id = customerIdFromKey(key);
    if (id === null) throw new InvalidRecordError('key', 'a tombstone needs a key naming the customer id');
    return { kind: 'delete', id };
  }
  if (!isObject(value)) throw new InvalidRecordError('', `a customer must be a JSON object, got ${typeof value}`);
  // {"schema": ..., "payload": ...} (JsonConverter with schemas.enable=true)
  const body = 'payload' in value && ('schema' in value || Object.keys(value).length === 1) ? value.payload : value;
  if (body === null) return readChange(key, null);
  if (!isObject(body)) throw new InvalidRecordError('payload', 'must be an object');
  if ('op' in body || 'after' in body || 'before' in body) return readEnvelope(key, body);
  if (body.__deleted === 'true' || body.__deleted === true) {
    return { kind: 'delete', id: readInt(body, 'id') };
  }
  return { kind: 'upsert', customer: readRow(body) };
}

function readEnvelope(key: unknown, env: Json): CustomerChange {
  const op = env.op;
  if (op !== undefined && !['c', 'u', 'd', 'r', 't'].includes(String(op))) {
    throw new InvalidRecordError('op', `must be one of c, u, d, r, got ${JSON.stringify(op)}`);
  }
  if (op === 'd' || (env.after === null && op !== 't')) {
    const before = env.before;
    const id = isObject(before) ? readInt(before, 'id') : customerIdFromKey(key);
    if (id === null) throw new InvalidRecordError('before.id', 'a delete needs the customer id in before or in the key');
    return { kind: 'delete', id };
  }
  if (!isObject(env.after)) throw new InvalidRecordError('after', 'must be an object');
  try {
    return { kind: 'upsert', customer: readRow(env.after) };
  } catch (e) {
    if (e instanceof InvalidRecordError) throw new InvalidRecordError(`after.${e.field}`.replace(/\.$/, ''), e.message.replace(/^[^:]*: /, ''));
    throw e;
  }
}

function readRow(o: Json): Customer {
  // Accept KSQL-style upper-case columns too (records of CUSTOMERS_SRC_REKEY).
  const row: Json = 'ID' in o && !('id' in o) ? lowerKeys(o) : o;
  return {
    id: readInt(row, 'id'),
    firstName: readOptionalString(row, 'first_name', 256),
    lastName: readOptionalString(row, 'last_name', 256),
    email: readOptionalString(row, 'email', 320),
    gender: readOptionalString(row, 'gender', 64),
    clubStatus: readOptionalString(row, 'club_status', 64)?.trim().toLowerCase() ?? null,
    comments: readOptionalString(row, 'comments', 4096),
    createTs: timestampString(row, 'create_ts'),
    updateTs: timestampString(row, 'update_ts'),
  };
}

/** Debezium emits timestamps as ISO strings or epoch numbers, by connector settings. */
function timestampString(o: Json, field: string): string | null {
  const v = o[field];
  if (typeof v === 'number' && Number.isFinite(v)) return new Date(v).toISOString();
  return readOptionalString(o, field, 64);
}

function lowerKeys(o: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) out[k.toLowerCase()] = v;
  return out;
}

/** The CUSTOMERS_SRC_REKEY value: KSQL-style upper-case columns. */
export function customerToRekeyRecord(c: Customer): Json {
  return {
    ID: c.id,
    FIRST_NAME: c.firstName,
    LAST_NAME: c.lastName,
    EMAIL: c.email,
    GENDER: c.gender,
    CLUB_STATUS: c.clubStatus,
    COMMENTS: c.comments,
    CREATE_TS: c.createTs,
    UPDATE_TS: c.updateTs,
  };
}

/** Parses a CUSTOMERS_SRC_REKEY value (upper-case columns). */
export function parseRekeyedCustomer(value: unknown): Result<Customer> {
  const r = parseCustomerChange(null, value);
  if (!r.ok) return r;
  if (r.value.kind !== 'upsert') return { ok: false, error: new InvalidRecordError('', 'expected a customer row') };
  return ok(r.value.customer);
}

export const fullName = (c: Pick<Customer, 'firstName' | 'lastName'>): string => [c.firstName, c.lastName].filter(Boolean).join(' ');
