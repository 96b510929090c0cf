/**
 * `RatingFilter` as a predicate, for live ratings (`ratingAdded`): the same
 * semantics as the search adapters, so a subscription and a query with one
 * filter agree. Channels and club statuses match case-insensitively, `text`
 * needs every word of it in the message (words as Elasticsearch's standard
 * analyzer finds them), `from` is inclusive and `to` exclusive.
 */
import type { EnrichedRating } from '../domain/index.js';
import type { RatingFilter } from '../ports/search.js';

/** Lower-cased words, as the standard analyzer (and the in-memory index) finds them. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}_]+(?:['’][\p{L}\p{N}_]+)*/gu) ?? [];
}

export function ratingMatcher(f: RatingFilter | undefined): (r: EnrichedRating) => boolean {
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
      const ws = new Set(words(r.message));
      if (!text.every((w) => ws.has(w))) return false;
    }
    return true;
  };
}
