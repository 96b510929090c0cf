/**
 * Maps (and filters) an async iterator without an async generator: a
 * generator suspended in `await source.next()` would not run `return()`
 * until the next event, so an unsubscribe would leave its listener attached
 * until then. Here `return()` goes straight to the source.
 */
export function filterMapAsync<T, U>(source: AsyncIterator<T>, fn: (item: T) => Promise<U | undefined> | U | undefined): AsyncIterableIterator<U> {
  const done = (): IteratorResult<U> => ({ value: undefined, done: true });
  const it: AsyncIterableIterator<U> = {
    async next() {
      for (;;) {
        const r = await source.next();
        if (r.done) return done();
        const u = await fn(r.value);
        if (u !== undefined) return { value: u, done: false };
      }
    },
    async return() {
      await source.return?.();
      return done();
    },
    async throw() {
      await source.return?.();
      return done();
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}
