/**
 * Turning record bytes into values for the domain parsers. Every record from
 * Kafka passes through here and then a `parseX(value: unknown)`.
 */
import { decodeJson } from '../src/domain/index.js';

export { decodeKey } from '../src/domain/index.js';

/** A value as JSON, null for a tombstone. @throws InvalidRecordError when the bytes are not JSON */
export function decodeValue(value: Buffer | null): unknown {
  return value === null ? null : decodeJson(value);
}

/** A numeric id as a record key (KSQL writes keys as plain strings). */
export const idKey = (id: number): string => String(id);
