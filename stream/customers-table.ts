/**
 * The customers table: CUSTOMERS_SRC_REKEY materialized by customer id, read
 * on every partition by every instance (a global table), so ratings join
 * without repartitioning. The runtime feeds it records; it is read by the
 * join. State is a plain Map; nothing here does I/O.
 */
import { customerIdFromKey, parseRekeyedCustomer, type Customer } from '../src/domain/index.js';
import { InvalidRecordError } from '../src/errors.js';
import type { LogRecord } from '../src/ports/event-log.js';
import { decodeKey, decodeValue } from './decode.js';

/** What the join needs from the table. */
export interface CustomerLookup {
  get(id: number): Customer | undefined;
}

export type TableChange =
  { readonly kind: 'upsert'; readonly customer: Customer } | { readonly kind: 'delete'; readonly id: number } | { readonly kind: 'skipped'; readonly error: InvalidRecordError };

/** Reads one CUSTOMERS_SRC_REKEY record: a customer row, or a tombstone deleting the key's customer. */
export function readCustomerRecord(record: Pick<LogRecord, 'key' | 'value'>): TableChange {
  try {
    if (record.value === null) {
      const id = customerIdFromKey(decodeKey(record.key));
      if (id === null) return { kind: 'skipped', error: new InvalidRecordError('key', 'a tombstone needs a customer id key') };
      return { kind: 'delete', id };
    }
    const r = parseRekeyedCustomer(decodeValue(record.value));
    return r.ok ? { kind: 'upsert', customer: r.value } : { kind: 'skipped', error: r.error };
  } catch (e) {
    if (e instanceof InvalidRecordError) return { kind: 'skipped', error: e };
    throw e;
  }
}

/** Applies a change to the state; returns it. */
export function applyCustomerRecord(state: Map<number, Customer>, record: Pick<LogRecord, 'key' | 'value'>): TableChange {
  const change = readCustomerRecord(record);
  if (change.kind === 'upsert') state.set(change.customer.id, change.customer);
  else if (change.kind === 'delete') state.delete(change.id);
  return change;
}

export interface CustomersTable extends CustomerLookup {
  readonly size: number;
  /** Records that were not customers (counted, never applied). */
  readonly skipped: number;
  apply(record: LogRecord): TableChange;
}

export function createCustomersTable(onSkip?: (record: LogRecord, error: InvalidRecordError) => void): CustomersTable {
  const state = new Map<number, Customer>();
  let skipped = 0;
  return {
    get: (id) => state.get(id),
    get size() {
      return state.size;
    },
    get skipped() {
      return skipped;
    },
    apply(record) {
      const change = applyCustomerRecord(state, record);
      if (change.kind === 'skipped') {
        skipped++;
        onSkip?.(record, change.error);
      }
      return change;
    },
  };
}
