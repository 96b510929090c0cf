/**
 * Lookups shared by every subscriber of one live event. The live feed parses
 * each event once and hands the same object to all its subscribers; field
 * resolvers of subscriptions key their Elasticsearch lookups by that object
 * (its identity) and a name, so 1,000 subscribers of one complaint cost one
 * complaint lookup and one customer lookup, not 2,000, whatever queries they
 * sent. Entries live as long as the event object (a WeakMap): nothing to
 * expire, nothing stale beyond the event it was made for.
 *
 * Results are handed out as structured copies made once per event: a lookup
 * may answer an object the index keeps (the in-memory adapter does), and
 * nested lookups are keyed by the objects returned here, so they must belong
 * to this event only, never to a longer-lived store object.
 */
export interface EventMemo {
  /**
   * `load()` once per (event, key); every later call for the same event and
   * key gets the same promise (its result, or its error).
   */
  once<V>(event: object, key: string, load: () => Promise<V>): Promise<V>;
}

export function createEventMemo(): EventMemo {
  const memo = new WeakMap<object, Map<string, Promise<unknown>>>();
  return {
    once<V>(event: object, key: string, load: () => Promise<V>): Promise<V> {
      let byKey = memo.get(event);
      if (byKey === undefined) memo.set(event, (byKey = new Map()));
      let p = byKey.get(key) as Promise<V> | undefined;
      if (p === undefined) {
        p = load().then((v) => (typeof v === 'object' && v !== null ? structuredClone(v) : v));
        byKey.set(key, p);
      }
      return p;
    },
  };
}
