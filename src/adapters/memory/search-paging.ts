/**
 * Sorting and paging of the in-memory search index: the sorts of the
 * Elasticsearch adapter (queries.ts RATING_SORTS, each ending in the rating
 * id) and `search_after` over an unsorted list, with the cursors of
 * ../page-cursor.ts.
 */
import type { EnrichedRating } from '../../domain/index.js';
import type { Page, RatingSort } from '../../ports/search.js';
import { checkFirst, decodeCursor, encodeCursor } from '../page-cursor.js';

type SortKey = (r: EnrichedRating) => number;
export type SortSpec = ReadonlyArray<readonly [SortKey, 1 | -1]>;

const time: SortKey = (r) => r.ratingTime;
const id: SortKey = (r) => r.ratingId;
const stars: SortKey = (r) => r.stars;

/** As the Elasticsearch adapter (queries.ts RATING_SORTS): every sort ends in the rating id. */
export const RATING_SORTS: Readonly<Record<RatingSort, SortSpec>> = {
  NEWEST: [
    [time, -1],
    [id, -1],
  ],
  OLDEST: [
    [time, 1],
    [id, 1],
  ],
  STARS_ASC: [
    [stars, 1],
    [time, -1],
    [id, -1],
  ],
  STARS_DESC: [
    [stars, -1],
    [time, -1],
    [id, -1],
  ],
};

function sortValues(spec: SortSpec, r: EnrichedRating): number[] {
  return spec.map(([key]) => key(r));
}

/** Orders two ratings by `spec`; negative when `a` comes first. */
function compare(spec: SortSpec, a: EnrichedRating, b: EnrichedRating): number {
  for (const [key, dir] of spec) {
    const d = key(a) - key(b);
    if (d !== 0) return d * dir;
  }
  return 0;
}

/** Orders a rating against a cursor's sort values; positive when the rating comes after the cursor. */
function compareToCursor(spec: SortSpec, r: EnrichedRating, cursor: readonly number[]): number {
  for (const [i, [key, dir]] of spec.entries()) {
    const d = key(r) - (cursor[i] ?? 0);
    if (d !== 0) return d * dir;
  }
  return 0;
}

/**
 * Checks `first` and the `after` cursor (tagged `tag`; BadInputError), then
 * pages `items()` as {@link paginate} does.
 */
export function page<T>(items: () => readonly T[], spec: SortSpec, tag: string, first: number, after: string | null | undefined, rating: (t: T) => EnrichedRating): Page<T> {
  checkFirst(first);
  const from = after ? decodeCursor(after, tag, spec.length) : null;
  return paginate(items(), spec, tag, first, from, rating);
}

/**
 * search_after over an unsorted list: keeps the `first + 1` smallest items
 * after the cursor (O(n log k), no full sort), counts every match.
 */
function paginate<T>(items: readonly T[], spec: SortSpec, tag: string, first: number, after: number[] | null, rating: (t: T) => EnrichedRating): Page<T> {
  const k = first + 1;
  const top: T[] = [];
  for (const item of items) {
    const r = rating(item);
    if (after && compareToCursor(spec, r, after) <= 0) continue;
    const last = top[top.length - 1];
    if (top.length >= k && last !== undefined && compare(spec, r, rating(last)) >= 0) continue;
    let lo = 0;
    let hi = top.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(spec, rating(top[mid]!), r) < 0) lo = mid + 1;
      else hi = mid;
    }
    top.splice(lo, 0, item);
    if (top.length > k) top.pop();
  }
  const edges = top.slice(0, first).map((node) => ({ node, cursor: encodeCursor(tag, sortValues(spec, rating(node))) }));
  return { edges, totalCount: items.length, hasNextPage: top.length > first };
}
