/**
 * Turning record bytes into values for the domain parsers. Every record from
 * Kafka passes through here and then a `parseX(value: unknown)`.
 */
import { decodeJson } from '../src/domain/index.js';

/** A key as a value: JSON when it parses (`{"id":1}`, `1`), else the plain string (`"abc"`), null without a key. */
export function decodeKey(key: Buffer | null): unknown {
  if (key === null) return null;
  const text = key.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A value as JSON, null for a tombstone. @throws InvalidRecordError when the bytes are not JSON */
export function decodeValue(value: Buffer | null): unknown {
  return value === null ? null : decodeJson(value);
}

/** A numeric id as a record key (KSQL writes keys as plain strings). */
export const idKey = (id: number): string => String(id);
