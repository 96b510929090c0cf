/**
 * Small, fast readers for untrusted JSON fields. Each throws an
 * InvalidRecordError naming the field; parsers catch it once and return a
 * Result, so no untyped error escapes a parser.
 */
import { InvalidRecordError } from '../errors.js';

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}` : `${typeof v} ${String(v)}`;

/** An integer, also from a decimal string ("42"); KSQL and Debezium emit both. */
export function readInt(o: Json, field: string, opts: { min?: number; max?: number } = {}): number {
  const v = o[field];
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^-?\d{1,16}$/.test(v.trim())) n = Number(v.trim());
  else if (v === undefined) throw new InvalidRecordError(field, 'is missing');
  else throw new InvalidRecordError(field, `must be an integer, got ${describe(v)}`);
  if (!Number.isSafeInteger(n)) throw new InvalidRecordError(field, `must be an integer, got ${describe(v)}`);
  if (opts.min !== undefined && n < opts.min) throw new InvalidRecordError(field, `must be at least ${opts.min}, got ${n}`);
  if (opts.max !== undefined && n > opts.max) throw new InvalidRecordError(field, `must be at most ${opts.max}, got ${n}`);
  return n;
}

export function readOptionalInt(o: Json, field: string, opts: { min?: number; max?: number } = {}): number | null {
  const v = o[field];
  return v === undefined || v === null ? null : readInt(o, field, opts);
}

/** A string; numbers and booleans are accepted and turned into strings. */
export function readOptionalString(o: Json, field: string, maxLength = 1024): string | null {
  const v = o[field];
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') {
    if (v.length > maxLength) throw new InvalidRecordError(field, `is ${v.length} characters long; at most ${maxLength} are accepted`);
    return v;
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new InvalidRecordError(field, `must be a string, got ${describe(v)}`);
}

export function readString(o: Json, field: string, maxLength = 1024): string {
  const s = readOptionalString(o, field, maxLength);
  if (s === null) throw new InvalidRecordError(field, 'is missing');
  return s;
}

/** Decodes bytes as UTF-8 JSON; `''` field in the error means the whole value. */
export function decodeJson(bytes: Buffer | Uint8Array | string): unknown {
  const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InvalidRecordError('', `value is not JSON (${(e as Error).message})`);
  }
}

/** A record key as a value: JSON when it parses (`{"id":1}`, `1`), else the plain string (`"abc"`), null without a key. */
export function decodeKey(key: Buffer | null): unknown {
  if (key === null) return null;
  const text = key.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
