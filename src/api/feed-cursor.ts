/**
 * Cursors of `complaintRaised`: a position vector, the next offset to read
 * per partition, as opaque base64url JSON (`{"v":1,"p":{"0":"12","1":"7"}}`).
 * A vector rather than one number because order across partitions is not
 * defined; resuming from it misses nothing and repeats nothing on any
 * partition.
 */
import { BadInputError } from '../errors.js';

/** partition → next offset to read (decimal string, as in the EventLog port). */
export type Positions = ReadonlyMap<number, string>;

const VERSION = 1;
const MAX_CURSOR_LENGTH = 4_096;
const OFFSET = /^\d{1,19}$/;

export function encodeCursor(positions: Positions): string {
  const p: Record<string, string> = {};
  for (const [partition, next] of [...positions].sort(([a], [b]) => a - b)) p[String(partition)] = next;
  return Buffer.from(JSON.stringify({ v: VERSION, p })).toString('base64url');
}

/** @throws BadInputError naming what is wrong, for anything that is not a cursor this server issued. */
export function decodeCursor(cursor: string): Positions {
  const bad = (why: string): BadInputError =>
    new BadInputError(`malformed cursor ${JSON.stringify(cursor.length > 64 ? `${cursor.slice(0, 64)}…` : cursor)}: ${why}; pass the cursor of a delivered event, or none`);
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad('not base64url');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad('not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || (parsed as { v?: unknown }).v !== VERSION) throw bad('unknown version');
  const p = (parsed as { p?: unknown }).p;
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw bad('no positions');
  const out = new Map<number, string>();
  for (const [k, v] of Object.entries(p)) {
    if (!/^\d{1,6}$/.test(k)) throw bad(`partition ${JSON.stringify(k)} is not a number`);
    if (typeof v !== 'string' || !OFFSET.test(v)) throw bad(`offset of partition ${k} is not a number`);
    out.set(Number(k), BigInt(v).toString());
  }
  return out;
}

/** Offsets compare as integers; they may exceed 2^53 in principle. */
export function compareOffsets(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
