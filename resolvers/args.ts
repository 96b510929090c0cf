/**
 * Argument checks shared by the resolvers: each throws a BadInputError
 * (BAD_USER_INPUT) that names the argument and what it expects.
 */
import { BadInputError } from '../src/errors.js';
import type { RatingFilter as PortRatingFilter } from '../src/ports/search.js';
import type { RatingFilter } from './__generated__/types.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
const MAX_CURSOR_LENGTH = 1_024;
const MAX_LIST = 20;
const MAX_LIST_ITEM = 64;
const MAX_TEXT = 256;

/** `first`: 1 to 100, 20 when absent. */
export function pageSize(first: number | null | undefined, name = 'first'): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) throw new BadInputError(`${name} must be between 1 and ${MAX_PAGE_SIZE}, got ${first}`);
  return first;
}

/** `after`: an opaque cursor from a previous page (the port checks its content). */
export function pageCursor(after: string | null | undefined, name = 'after'): string | null {
  if (after === null || after === undefined || after === '') return null;
  if (after.length > MAX_CURSOR_LENGTH) throw new BadInputError(`${name} is not a cursor of this API (too long); pass an endCursor or cursor you were given`);
  return after;
}

/** A rating (= complaint) id: digits. */
export function ratingId(id: string, name = 'id'): string {
  const v = id.trim();
  if (!/^\d{1,19}$/.test(v)) throw new BadInputError(`${name} must be a rating id (digits), got ${JSON.stringify(id.slice(0, 40))}`);
  return v.replace(/^0+(?=\d)/, '');
}

/** A customer id: an integer. */
export function customerId(id: string, name = 'id'): number {
  const v = id.trim();
  const n = Number(v);
  if (!/^-?\d{1,16}$/.test(v) || !Number.isSafeInteger(n)) throw new BadInputError(`${name} must be a customer id (an integer), got ${JSON.stringify(id.slice(0, 40))}`);
  return n;
}

function stars(v: number | null | undefined, name: string): number | undefined {
  if (v === null || v === undefined) return undefined;
  if (!Number.isInteger(v) || v < 1 || v > 5) throw new BadInputError(`filter.${name} must be between 1 and 5, got ${v}`);
  return v;
}

function list(v: readonly string[] | null | undefined, name: string, lower: boolean): string[] | undefined {
  if (v === null || v === undefined) return undefined;
  if (v.length > MAX_LIST) throw new BadInputError(`filter.${name} takes at most ${MAX_LIST} values, got ${v.length}`);
  const out = v.map((s) => s.trim());
  for (const s of out) {
    if (s === '' || s.length > MAX_LIST_ITEM) throw new BadInputError(`filter.${name} values must be 1 to ${MAX_LIST_ITEM} characters, got ${JSON.stringify(s.slice(0, 40))}`);
  }
  // An empty list would match nothing, which is never what a caller means: treat it as absent.
  return out.length === 0 ? undefined : lower ? out.map((s) => s.toLowerCase()) : out;
}

function time(v: Date | null | undefined): number | undefined {
  return v === null || v === undefined ? undefined : v.getTime();
}

/** The GraphQL filter as the port's, checked for sanity. */
export function ratingFilter(f: RatingFilter | null | undefined): PortRatingFilter | undefined {
  if (f === null || f === undefined) return undefined;
  const out: {
    -readonly [K in keyof PortRatingFilter]: PortRatingFilter[K];
  } = {};
  const starsMin = stars(f.starsMin, 'starsMin');
  const starsMax = stars(f.starsMax, 'starsMax');
  if (starsMin !== undefined && starsMax !== undefined && starsMin > starsMax) throw new BadInputError(`filter.starsMin (${starsMin}) is above filter.starsMax (${starsMax})`);
  if (starsMin !== undefined) out.starsMin = starsMin;
  if (starsMax !== undefined) out.starsMax = starsMax;
  const channels = list(f.channels, 'channels', false);
  if (channels) out.channels = channels;
  const clubStatuses = list(f.clubStatuses, 'clubStatuses', true);
  if (clubStatuses) out.clubStatuses = clubStatuses;
  if (f.customerId !== null && f.customerId !== undefined) out.customerId = customerId(f.customerId, 'filter.customerId');
  if (f.text !== null && f.text !== undefined) {
    const text = f.text.trim();
    if (text.length > MAX_TEXT) throw new BadInputError(`filter.text is ${text.length} characters long; at most ${MAX_TEXT} are accepted`);
    if (text !== '') out.text = text;
  }
  const from = time(f.from);
  const to = time(f.to);
  if (from !== undefined && to !== undefined && from >= to) throw new BadInputError(`filter.from (${new Date(from).toISOString()}) must be before filter.to (${new Date(to).toISOString()})`);
  if (from !== undefined) out.from = from;
  if (to !== undefined) out.to = to;
  return out;
}
