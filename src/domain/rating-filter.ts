/**
 * The rating filter and its semantics, in one place: the in-memory search
 * index and the live ratings of `ratingAdded` match with {@link ratingMatcher},
 * the Elasticsearch adapter builds the same query (adapters/elasticsearch/
 * queries.ts), and one contract suite checks that both search adapters agree.
 * Channels and club statuses match case-insensitively, `text` needs every word
 * of it in the message (words as Elasticsearch's standard analyzer finds them,
 * a match query with operator `and`), `from` is inclusive and `to` exclusive.
 */
import type { EnrichedRating } from './enriched-rating.js';

export interface RatingFilter {
  readonly starsMin?: number;
  readonly starsMax?: number;
  /** Matched case-insensitively against the raw channel (`iOS` matches `ios`). */
  readonly channels?: readonly string[];
  readonly clubStatuses?: readonly string[];
  readonly customerId?: number;
  /** Full-text match in the message. */
  readonly text?: string;
  /** Epoch ms, inclusive. */
  readonly from?: number;
  /** Epoch ms, exclusive. */
  readonly to?: number;
}

/** Words as the standard analyzer finds them, lower-cased (apostrophes inside words kept). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}_]+(?:['’][\p{L}\p{N}_]+)*/gu) ?? [];
}

/** The set of words of a rating's message, as {@link ratingMatcher} looks them up. */
export const messageWords = (message: string): ReadonlySet<string> => new Set(words(message));

/**
 * `f` as a predicate. `wordsOf` gives the words of a rating's message when
 * the caller keeps them (the in-memory index does, per rating); it is asked
 * only when a text filter needs them.
 */
export function ratingMatcher(f: RatingFilter | undefined, wordsOf: (r: EnrichedRating) => ReadonlySet<string> = (r) => messageWords(r.message)): (r: EnrichedRating) => boolean {
  if (!f) return () => true;
  const channels = f.channels && f.channels.length > 0 ? new Set(f.channels.map((c) => c.toLowerCase())) : null;
  const statuses = f.clubStatuses && f.clubStatuses.length > 0 ? new Set(f.clubStatuses.map((c) => c.toLowerCase())) : null;
  const text = f.text?.trim() ? words(f.text) : null;
  return (r) => {
    if (f.starsMin !== undefined && r.stars < f.starsMin) return false;
    if (f.starsMax !== undefined && r.stars > f.starsMax) return false;
    if (channels && !channels.has(r.channel.toLowerCase())) return false;
    if (statuses && (r.customer.clubStatus === null || !statuses.has(r.customer.clubStatus.toLowerCase()))) return false;
    if (f.customerId !== undefined && r.customer.id !== f.customerId) return false;
    if (f.from !== undefined && r.ratingTime < f.from) return false;
    if (f.to !== undefined && r.ratingTime >= f.to) return false;
    if (text) {
      // A text of only punctuation has no words and, as in Elasticsearch, matches nothing.
      if (text.length === 0) return false;
      const ws = wordsOf(r);
      if (!text.every((w) => ws.has(w))) return false;
    }
    return true;
  };
}
