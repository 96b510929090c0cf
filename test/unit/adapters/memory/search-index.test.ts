import { describe, expect, it } from 'vitest';
import { createMemorySearch } from '../../../../src/adapters/memory/search-index.js';
import { rating, searchContract } from '../../../contract/search.contract.js';

searchContract('in memory', async () => {
  const search = createMemorySearch();
  return { index: search, writer: search, store: search, refresh: () => search.refresh() };
});

describe('memory search index', () => {
  it('keeps at most maxRatings ratings, dropping the oldest written', async () => {
    const search = createMemorySearch({ maxRatings: 3 });
    await search.write([1, 2, 3, 4, 5].map((id) => ({ kind: 'upsertRating', rating: rating(id) })));
    expect(search.counts().ratings).toBe(3);
    expect(await search.getRating('2')).toBeNull();
    expect((await search.searchRatings({ first: 10, sort: 'OLDEST' })).edges.map((e) => e.node.ratingId)).toEqual([3, 4, 5]);
  });

  it('is not changed by a caller mutating what it wrote', async () => {
    const search = createMemorySearch();
    const r = { ...rating(1) } as { -readonly [K in keyof ReturnType<typeof rating>]: ReturnType<typeof rating>[K] };
    await search.write([{ kind: 'upsertRating', rating: r }]);
    r.stars = 5;
    expect((await search.getRating('1'))?.stars).toBe(3);
  });
});
