/**
 * In-memory implementation of the search ports for the embedded default and
 * for tests: the same semantics as the Elasticsearch adapter (filters,
 * case-insensitive channels, text match by words, sorts with a unique
 * tiebreaker, opaque cursors, stats, histogram, create-if-absent complaints,
 * optimistic concurrency with a sequence number per write). Writes are
 * visible at once; `refresh()` does nothing. One contract suite
 * (test/contract/search.contract.ts) runs against both.
 */
import {
  ComplaintStatus,
  NO_REMINDERS,
  normalizeChannel,
  storedReminders,
  type ReminderState,
  type Acknowledgement,
  type Complaint,
  type Customer,
  type EnrichedRating,
  type Resolution,
  type SlackMessageRef,
} from '../../domain/index.js';
import { AppError, BadInputError, assertNever } from '../../errors.js';
import {
  MAX_PAGE_SIZE,
  percentile,
  type ComplaintStatsDay,
  type ComplaintStore,
  type ReminderPatch,
  type TransitionOptions,
  type DocVersion,
  type HistogramBucket,
  type HistogramInterval,
  type Page,
  type RatingDimension,
  type RatingFilter,
  type RatingQuery,
  type RatingSort,
  type SearchIndex,
  type SearchWriter,
  type StatsBucket,
  type UpdateOutcome,
  type WriteOp,
  type WriteResult,
} from '../../ports/search.js';

export interface MemorySearch extends SearchIndex, SearchWriter, ComplaintStore {
  /** Document counts (tests, metrics). */
  counts(): { readonly ratings: number; readonly complaints: number; readonly customers: number };
  close(): Promise<void>;
}

export interface MemorySearchOptions {
  /**
   * Ratings kept; past this the oldest written are dropped, so a long-running
   * embedded demo does not grow without bound. Complaints and customers are
   * all kept. @default 200_000
   */
  maxRatings?: number;
}

export function createMemorySearch(options: MemorySearchOptions = {}): MemorySearch {
  return new MemorySearchIndex(options);
}

interface StoredComplaint {
  complaint: Complaint;
  seqNo: number;
  /** The outbox flag: false from the acknowledging update until the acknowledgement was published. */
  ackPublished?: boolean;
  /** The same for the resolution. */
  resolvePublished?: boolean;
  /** Raised → acknowledged / resolved, ms, as stored by the transition (the Elasticsearch adapter stores the same). */
  timeToAckMs?: number | null;
  timeToResolveMs?: number | null;
}

type SortKey = (r: EnrichedRating) => number;
type SortSpec = ReadonlyArray<readonly [SortKey, 1 | -1]>;

const time: SortKey = (r) => r.ratingTime;
const id: SortKey = (r) => r.ratingId;
const stars: SortKey = (r) => r.stars;

/** As the Elasticsearch adapter (queries.ts RATING_SORTS): every sort ends in the rating id. */
const RATING_SORTS: Readonly<Record<RatingSort, SortSpec>> = {
  NEWEST: [[time, -1], [id, -1]],
  OLDEST: [[time, 1], [id, 1]],
  STARS_ASC: [[stars, 1], [time, -1], [id, -1]],
  STARS_DESC: [[stars, -1], [time, -1], [id, -1]],
};
const COMPLAINT_TAG = 'COMPLAINTS';

const INTERVAL_MS: Readonly<Record<HistogramInterval, number>> = { MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000 };
const MISSING_CLUB_STATUS = 'unknown';
const MAX_STATS_BUCKETS = 100;
const PRIMARY_TERM = 1;

/** Words as the standard analyzer finds them, lower-cased (apostrophes inside words kept). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}_]+(?:['’][\p{L}\p{N}_]+)*/gu) ?? [];
}

class MemorySearchIndex implements MemorySearch {
  private readonly ratings = new Map<string, EnrichedRating>();
  /** Lower-cased words per rating id, computed once per write. */
  private readonly ratingWords = new Map<string, ReadonlySet<string>>();
  private readonly complaints = new Map<string, StoredComplaint>();
  private readonly customers = new Map<number, Customer>();
  private seqNo = 0;
  private readonly maxRatings: number;

  constructor({ maxRatings = 200_000 }: MemorySearchOptions = {}) {
    this.maxRatings = maxRatings;
  }

  // ---- SearchIndex ---------------------------------------------------------

  async searchRatings({ filter, sort = 'NEWEST', first, after }: { filter?: RatingFilter; sort?: RatingSort; first: number; after?: string | null }): Promise<Page<EnrichedRating>> {
    checkFirst(first);
    const spec = RATING_SORTS[sort];
    const from = after ? decodeCursor(after, sort, spec.length) : null;
    return paginate(this.matching(filter), spec, sort, first, from, (r) => r);
  }

  async searchRatingsMany(queries: readonly RatingQuery[]): Promise<readonly (Page<EnrichedRating> | AppError)[]> {
    return Promise.all(
      queries.map((q) =>
        this.searchRatings(q).catch((e: unknown) => {
          if (e instanceof AppError) return e;
          throw e;
        }),
      ),
    );
  }

  async getRating(ratingId: string): Promise<EnrichedRating | null> {
    return this.ratings.get(ratingId) ?? null;
  }

  async ratingStats(filter: RatingFilter | undefined, groupBy: RatingDimension): Promise<readonly StatsBucket[]> {
    const groups = new Map<string, { count: number; sum: number; order: number }>();
    for (const r of this.matching(filter)) {
      const key = dimensionKey(r, groupBy);
      const g = groups.get(key) ?? { count: 0, sum: 0, order: groupBy === 'STARS' ? r.stars : 0 };
      g.count++;
      g.sum += r.stars;
      groups.set(key, g);
    }
    const buckets = [...groups.entries()].map(([key, g]) => ({ key, count: g.count, averageStars: g.sum / g.count, order: g.order }));
    buckets.sort(groupBy === 'STARS' ? (a, b) => a.order - b.order : (a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return buckets.slice(0, MAX_STATS_BUCKETS).map(({ key, count, averageStars }) => ({ key, count, averageStars }));
  }

  async ratingHistogram(filter: RatingFilter | undefined, interval: HistogramInterval): Promise<readonly HistogramBucket[]> {
    const size = INTERVAL_MS[interval];
    const buckets = new Map<number, { count: number; sum: number }>();
    for (const r of this.matching(filter)) {
      const start = Math.floor(r.ratingTime / size) * size;
      const b = buckets.get(start) ?? { count: 0, sum: 0 };
      b.count++;
      b.sum += r.stars;
      buckets.set(start, b);
    }
    return [...buckets.entries()].sort(([a], [b]) => a - b).map(([start, b]) => ({ start, count: b.count, averageStars: b.sum / b.count }));
  }

  async getCustomer(customerId: number): Promise<Customer | null> {
    return this.customers.get(customerId) ?? null;
  }

  async getCustomersByIds(ids: readonly number[]): Promise<readonly (Customer | null)[]> {
    return ids.map((i) => this.customers.get(i) ?? null);
  }

  async searchComplaints({ status, first, after }: { status?: ComplaintStatus | null; first: number; after?: string | null }): Promise<Page<Complaint>> {
    checkFirst(first);
    const spec = RATING_SORTS.NEWEST;
    const from = after ? decodeCursor(after, COMPLAINT_TAG, spec.length) : null;
    const matching = [...this.complaints.values()].map((s) => s.complaint).filter((c) => !status || c.status === status);
    return paginate(matching, spec, COMPLAINT_TAG, first, from, (c) => c.rating);
  }

  async getComplaint(complaintId: string): Promise<Complaint | null> {
    return this.complaints.get(complaintId)?.complaint ?? null;
  }

  async getComplaintsByIds(ids: readonly string[]): Promise<readonly (Complaint | null)[]> {
    return ids.map((i) => this.complaints.get(i)?.complaint ?? null);
  }

  async complaintStats({ from, to }: { readonly from?: number; readonly to?: number }): Promise<readonly ComplaintStatsDay[]> {
    const days = new Map<number, { count: number; acknowledged: number; resolved: number; ack: number[]; res: number[] }>();
    for (const s of this.complaints.values()) {
      const t = s.complaint.rating.ratingTime;
      if ((from !== undefined && t < from) || (to !== undefined && t >= to)) continue;
      const day = Math.floor(t / 86_400_000) * 86_400_000;
      let d = days.get(day);
      if (!d) days.set(day, (d = { count: 0, acknowledged: 0, resolved: 0, ack: [], res: [] }));
      d.count++;
      if (s.complaint.status !== ComplaintStatus.Open) d.acknowledged++;
      if (s.complaint.status === ComplaintStatus.Resolved) d.resolved++;
      if (typeof s.timeToAckMs === 'number') d.ack.push(s.timeToAckMs);
      if (typeof s.timeToResolveMs === 'number') d.res.push(s.timeToResolveMs);
    }
    return [...days.entries()]
      .sort(([a], [b]) => a - b)
      .map(([day, d]) => {
        const ack = d.ack.sort((a, b) => a - b);
        const res = d.res.sort((a, b) => a - b);
        return {
          day,
          count: d.count,
          acknowledged: d.acknowledged,
          resolved: d.resolved,
          acknowledgeMedianMs: percentile(ack, 0.5),
          acknowledgeP90Ms: percentile(ack, 0.9),
          resolveMedianMs: percentile(res, 0.5),
          resolveP90Ms: percentile(res, 0.9),
        };
      });
  }

  async ping(): Promise<boolean> {
    return true;
  }

  // ---- SearchWriter --------------------------------------------------------

  async ensureIndices(): Promise<void> {}

  async write(ops: readonly WriteOp[]): Promise<readonly WriteResult[]> {
    return ops.map((op) => {
      switch (op.kind) {
        case 'upsertRating': {
          const key = String(op.rating.ratingId);
          this.ratings.set(key, freeze(op.rating));
          this.ratingWords.set(key, new Set(words(op.rating.message)));
          this.seqNo++;
          if (this.ratings.size > this.maxRatings) this.evictOldest();
          return { ok: true };
        }
        case 'createComplaint':
          this.insertComplaint(op.complaint);
          return { ok: true };
        case 'upsertCustomer':
          this.customers.set(op.customer.id, freeze(op.customer));
          this.seqNo++;
          return { ok: true };
        case 'deleteCustomer':
          this.customers.delete(op.id);
          this.seqNo++;
          return { ok: true };
        default:
          return assertNever(op, 'write op');
      }
    });
  }

  async refresh(): Promise<void> {}

  // ---- ComplaintStore ------------------------------------------------------

  async get(complaintId: string): Promise<{ readonly complaint: Complaint; readonly version: DocVersion } | null> {
    const s = this.complaints.get(complaintId);
    if (!s) return null;
    return {
      complaint: s.complaint,
      version: { seqNo: s.seqNo, primaryTerm: PRIMARY_TERM },
      ...(s.ackPublished === undefined ? {} : { acknowledgementPublished: s.ackPublished }),
      ...(s.resolvePublished === undefined ? {} : { resolutionPublished: s.resolvePublished }),
    };
  }

  async createIfAbsent(complaint: Complaint): Promise<void> {
    this.insertComplaint(complaint);
  }

  async acknowledge(complaintId: string, ack: Acknowledgement, expected: DocVersion, options: TransitionOptions = {}): Promise<UpdateOutcome> {
    return this.updateStored(complaintId, expected, (s) => ({ ...s, ...acknowledging(s.complaint, ack, options.raisedAt), ackPublished: false }));
  }

  async resolve(complaintId: string, resolution: Resolution, expected: DocVersion, options: TransitionOptions & { readonly acknowledge?: Acknowledgement } = {}): Promise<UpdateOutcome> {
    return this.updateStored(complaintId, expected, (s) => {
      const acked = options.acknowledge ? { ...acknowledging(s.complaint, options.acknowledge, options.raisedAt), ackPublished: false } : { complaint: s.complaint };
      const complaint: Complaint = withReminders({ ...acked.complaint, status: ComplaintStatus.Resolved, resolution: freeze(resolution) }, { nextAt: null });
      return { ...s, ...acked, complaint, resolvePublished: false, timeToResolveMs: elapsed(options.raisedAt, resolution.at) };
    });
  }

  async markResolutionPublished(complaintId: string): Promise<void> {
    const s = this.complaints.get(complaintId);
    if (!s || s.resolvePublished !== false) return;
    this.complaints.set(complaintId, { ...s, resolvePublished: true, seqNo: ++this.seqNo });
  }

  async unpublishedResolutions({ resolvedBefore, limit }: { readonly resolvedBefore: string; readonly limit: number }): Promise<readonly Resolution[]> {
    const before = Date.parse(resolvedBefore);
    const out: Resolution[] = [];
    for (const s of this.complaints.values()) {
      const r = s.complaint.resolution;
      if (s.resolvePublished === false && r && Date.parse(r.at) < before) out.push(r);
    }
    return out.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || (a.complaintId < b.complaintId ? -1 : 1)).slice(0, Math.max(0, limit));
  }

  async updateReminders(complaintId: string, patch: ReminderPatch, expected: DocVersion): Promise<UpdateOutcome> {
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    return this.update(complaintId, expected, (c) => withReminders(c, defined));
  }

  async dueReminders({ now, limit }: { readonly now: string; readonly limit: number }): Promise<readonly string[]> {
    const t = Date.parse(now);
    const due: { id: string; at: number; ratingId: number }[] = [];
    for (const s of this.complaints.values()) {
      const next = s.complaint.reminders?.nextAt;
      if (s.complaint.status !== ComplaintStatus.Open || next === null || next === undefined) continue;
      const at = Date.parse(next);
      if (at <= t) due.push({ id: s.complaint.id, at, ratingId: s.complaint.rating.ratingId });
    }
    return due
      .sort((a, b) => a.at - b.at || a.ratingId - b.ratingId)
      .slice(0, Math.max(0, Math.min(limit, MAX_PAGE_SIZE)))
      .map((d) => d.id);
  }

  async markAcknowledgementPublished(complaintId: string): Promise<void> {
    const s = this.complaints.get(complaintId);
    if (!s || s.ackPublished !== false) return;
    this.complaints.set(complaintId, { ...s, ackPublished: true, seqNo: ++this.seqNo });
  }

  async unpublishedAcknowledgements({ acknowledgedBefore, limit }: { readonly acknowledgedBefore: string; readonly limit: number }): Promise<readonly Acknowledgement[]> {
    const before = Date.parse(acknowledgedBefore);
    const out: Acknowledgement[] = [];
    for (const s of this.complaints.values()) {
      const ack = s.complaint.acknowledgement;
      if (s.ackPublished === false && ack && Date.parse(ack.at) < before) out.push(ack);
    }
    return out.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || (a.complaintId < b.complaintId ? -1 : 1)).slice(0, Math.max(0, limit));
  }

  async setSlackMessage(complaintId: string, ref: SlackMessageRef | null, expected: DocVersion, options: { readonly nextReminderAt?: string | null } = {}): Promise<UpdateOutcome> {
    return this.update(complaintId, expected, (c) => {
      const posted = { ...c, slackMessage: ref ? freeze(ref) : null };
      return options.nextReminderAt === undefined ? posted : withReminders(posted, { nextAt: options.nextReminderAt });
    });
  }

  // ---- extras --------------------------------------------------------------

  counts(): { readonly ratings: number; readonly complaints: number; readonly customers: number } {
    return { ratings: this.ratings.size, complaints: this.complaints.size, customers: this.customers.size };
  }

  async close(): Promise<void> {}

  private evictOldest(): void {
    for (const key of this.ratings.keys()) {
      this.ratings.delete(key);
      this.ratingWords.delete(key);
      if (this.ratings.size <= this.maxRatings) return;
    }
  }

  private insertComplaint(complaint: Complaint): void {
    // Create-once: a replayed complaint never resets an acknowledgement.
    if (this.complaints.has(complaint.id)) return;
    this.complaints.set(complaint.id, { complaint: freeze(complaint), seqNo: ++this.seqNo });
  }

  /** A conditional update of the complaint alone; flags and timings are kept. */
  private update(complaintId: string, expected: DocVersion, change: (c: Complaint) => Complaint): UpdateOutcome {
    return this.updateStored(complaintId, expected, (s) => ({ ...s, complaint: change(s.complaint) }));
  }

  /** A conditional update of the stored entry (complaint, flags, timings). */
  private updateStored(complaintId: string, expected: DocVersion, change: (s: StoredComplaint) => StoredComplaint): UpdateOutcome {
    const s = this.complaints.get(complaintId);
    if (!s) return 'not_found';
    if (s.seqNo !== expected.seqNo || expected.primaryTerm !== PRIMARY_TERM) return 'conflict';
    const next = change(s);
    this.complaints.set(complaintId, { ...next, complaint: freeze(next.complaint), seqNo: ++this.seqNo });
    return 'ok';
  }

  private matching(f: RatingFilter | undefined): EnrichedRating[] {
    if (!f) return [...this.ratings.values()];
    const channels = f.channels && f.channels.length > 0 ? new Set(f.channels.map((c) => c.toLowerCase())) : null;
    const statuses = f.clubStatuses && f.clubStatuses.length > 0 ? new Set(f.clubStatuses.map((c) => c.toLowerCase())) : null;
    const text = f.text?.trim() ? words(f.text) : null;
    const out: EnrichedRating[] = [];
    for (const [key, r] of this.ratings) {
      if (f.starsMin !== undefined && r.stars < f.starsMin) continue;
      if (f.starsMax !== undefined && r.stars > f.starsMax) continue;
      if (channels && !channels.has(r.channel.toLowerCase())) continue;
      if (statuses && (r.customer.clubStatus === null || !statuses.has(r.customer.clubStatus.toLowerCase()))) continue;
      if (f.customerId !== undefined && r.customer.id !== f.customerId) continue;
      if (f.from !== undefined && r.ratingTime < f.from) continue;
      if (f.to !== undefined && r.ratingTime >= f.to) continue;
      if (text) {
        const ws = this.ratingWords.get(key);
        // A query of only punctuation has no words and, as in Elasticsearch, matches nothing.
        if (text.length === 0 || !ws || !text.every((w) => ws.has(w))) continue;
      }
      out.push(r);
    }
    return out;
  }
}

/** `c` with `patch` applied to its reminder state; empty state is left out, as the Elasticsearch adapter reads it. */
function withReminders(c: Complaint, patch: Partial<ReminderState>): Complaint {
  const { reminders: _old, ...rest } = c;
  const next = storedReminders({ ...(c.reminders ?? NO_REMINDERS), ...patch });
  return next ? { ...rest, reminders: next } : rest;
}

function elapsed(raisedAt: number | undefined, at: string): number | null {
  if (raisedAt === undefined) return null;
  const t = Date.parse(at);
  return Number.isNaN(t) ? null : Math.max(0, t - raisedAt);
}

/** What an acknowledgement changes: status, who, the reminder stop, the time to acknowledge. */
function acknowledging(c: Complaint, ack: Acknowledgement, raisedAt: number | undefined): Pick<StoredComplaint, 'complaint' | 'timeToAckMs'> {
  return { complaint: withReminders({ ...c, status: ComplaintStatus.Acknowledged, acknowledgement: freeze(ack) }, { nextAt: null }), timeToAckMs: elapsed(raisedAt, ack.at) };
}

function dimensionKey(r: EnrichedRating, groupBy: RatingDimension): string {
  switch (groupBy) {
    case 'CLUB_STATUS':
      return r.customer.clubStatus?.toLowerCase() ?? MISSING_CLUB_STATUS;
    case 'CHANNEL':
      return normalizeChannel(r.channel);
    case 'STARS':
      return String(r.stars);
    default:
      return assertNever(groupBy, 'dimension');
  }
}

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

// Same cursor format and checks as the Elasticsearch adapter (queries.ts).
function encodeCursor(tag: string, values: readonly number[]): string {
  return Buffer.from(JSON.stringify([tag, ...values])).toString('base64url');
}

function decodeCursor(cursor: string, tag: string, arity: number): number[] {
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

function checkFirst(first: number): void {
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw new BadInputError(`first must be an integer between 0 and ${MAX_PAGE_SIZE}, got ${first}`);
  }
}

/** Stored values are frozen copies: a caller mutating what it passed in (or got back) changes nothing here. */
function freeze<T>(value: T): T {
  return deepFreeze(structuredClone(value));
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
