/**
 * The page cursors of the search ports, one codec for both adapters
 * (Elasticsearch `search_after` values and the in-memory index's sort
 * values), so a cursor reads the same whichever adapter made it: base64url of
 * `[tag, ...sort values]`, the tag catching a cursor from another sort.
 */
import { BadInputError } from '../errors.js';
import { MAX_PAGE_SIZE } from '../ports/search.js';

/** Cursor = base64url of `[tag, ...sort values]`; the tag catches a cursor from another sort. */
export function encodeCursor(tag: string, values: readonly unknown[]): string {
  return Buffer.from(JSON.stringify([tag, ...values])).toString('base64url');
}

/** Throws BadInputError unless `cursor` came from {@link encodeCursor} with the same tag and arity. */
export function decodeCursor(cursor: string, tag: string, arity: number): number[] {
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,512}$/.test(cursor)) throw new Error('not base64url');
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new BadInputError(`malformed cursor ${JSON.stringify(cursor.slice(0, 64))}; pass a cursor from a previous page`);
  }
  if (!Array.isArray(parsed) || parsed[0] !== tag || parsed.length !== arity + 1 || !parsed.slice(1).every((v) => Number.isSafeInteger(v))) {
    throw new BadInputError(`cursor ${JSON.stringify(cursor.slice(0, 64))} does not belong to this query (sort ${tag}); start again without one`);
  }
  return parsed.slice(1) as number[];
}

/** Validates `first`: an integer in [0, MAX_PAGE_SIZE]. */
export function checkFirst(first: number): void {
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw new BadInputError(`first must be an integer between 0 and ${MAX_PAGE_SIZE}, got ${first}`);
  }
}
