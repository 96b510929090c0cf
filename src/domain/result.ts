import { InvalidRecordError } from '../errors.js';

export type Result<T, E = InvalidRecordError> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const fail = (field: string, message: string): Result<never> => ({ ok: false, error: new InvalidRecordError(field, message) });
