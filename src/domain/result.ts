import { decodeJson } from './fields.js';
import { InvalidRecordError } from '../errors.js';

export type Result<T, E = InvalidRecordError> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const fail = (field: string, message: string): Result<never> => ({ ok: false, error: new InvalidRecordError(field, message) });

/** Runs a reader that throws InvalidRecordError for a record breaking the contract: that error as a failed Result, any other thrown on. */
export function tryRead<T>(read: () => T): Result<T> {
  try {
    return ok(read());
  } catch (e) {
    if (e instanceof InvalidRecordError) return { ok: false, error: e };
    throw e;
  }
}

/**
 * Decodes a record value (UTF-8 JSON) and hands it to a domain parser: one
 * Result for "not JSON" and "JSON that breaks the contract" alike. A null
 * value (tombstone) is given to the parser as null.
 */
export function parseRecordValue<T>(value: Buffer | null, parse: (v: unknown) => Result<T>): Result<T> {
  if (value === null) return parse(null);
  const json = tryRead(() => decodeJson(value));
  return json.ok ? parse(json.value) : json;
}
