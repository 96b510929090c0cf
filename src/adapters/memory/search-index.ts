/**
 * In-memory implementation of the search ports for the embedded default and
 * for tests: the same semantics as the Elasticsearch adapter (filters,
 * case-insensitive channels, text match by words, sorts with a unique
 * tiebreaker, opaque cursors, stats, histogram, create-if-absent complaints,
 * optimistic concurrency with a sequence number per write). Writes are
 * visible at once; `refresh()` does nothing. One contract suite
 * (test/contract/search.contract.ts) runs against both. Filters match with
 * the domain's ratingMatcher (src/domain/rating-filter.ts); sorting and pages
 * are in search-paging.ts, the aggregations in search-stats.ts.
 */
import {
  ComplaintStatus,
  NO_REMINDERS,
  messageWords,
  ratingMatcher,
  storedReminders,
  type ReminderState,
  type Acknowledgement,
  type Complaint,
  type Customer,
  type EnrichedRating,
  type Resolution,
  type SlackMessageRef,
} from '../../domain/index.js';
import { AppError, assertNever } from '../../errors.js';
import type { ComplaintStatsDay, HistogramBucket, HistogramInterval, Page, RatingDimension, RatingFilter, RatingQuery, RatingSort, SearchIndex, StatsBucket } from '../../ports/search.js';
import {
  MAX_PAGE_SIZE,
  type ComplaintStore,
  type DocVersion,
  type ReminderPatch,
  type SearchWriter,
  type TransitionOptions,
  type UpdateOutcome,
  type WriteOp,
  type WriteResult,
} from '../../ports/search.js';
import { RATING_SORTS, page } from './search-paging.js';
import { complaintStats, ratingHistogram, ratingStats } from './search-stats.js';

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

/** The outbox flags of a stored complaint. */
type OutboxFlag = 'ackPublished' | 'resolvePublished';

const COMPLAINT_TAG = 'COMPLAINTS';
const PRIMARY_TERM = 1;
const NO_WORDS: ReadonlySet<string> = new Set();

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
    return page(
      () => this.matching(filter),
      RATING_SORTS[sort],
      sort,
      first,
      after,
      (r) => r,
    );
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
    return ratingStats(this.matching(filter), groupBy);
  }

  async ratingHistogram(filter: RatingFilter | undefined, interval: HistogramInterval): Promise<readonly HistogramBucket[]> {
    return ratingHistogram(this.matching(filter), interval);
  }

  async getCustomer(customerId: number): Promise<Customer | null> {
    return this.customers.get(customerId) ?? null;
  }

  async getCustomersByIds(ids: readonly number[]): Promise<readonly (Customer | null)[]> {
    return ids.map((i) => this.customers.get(i) ?? null);
  }

  async searchComplaints({ status, first, after }: { status?: ComplaintStatus | null; first: number; after?: string | null }): Promise<Page<Complaint>> {
    const matching = (): Complaint[] => [...this.complaints.values()].map((s) => s.complaint).filter((c) => !status || c.status === status);
    return page(matching, RATING_SORTS.NEWEST, COMPLAINT_TAG, first, after, (c) => c.rating);
  }

  async getComplaint(complaintId: string): Promise<Complaint | null> {
    return this.complaints.get(complaintId)?.complaint ?? null;
  }

  async getComplaintsByIds(ids: readonly string[]): Promise<readonly (Complaint | null)[]> {
    return ids.map((i) => this.complaints.get(i)?.complaint ?? null);
  }

  async complaintStats(range: { readonly from?: number; readonly to?: number }): Promise<readonly ComplaintStatsDay[]> {
    return complaintStats(this.complaints.values(), range);
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
          this.ratingWords.set(key, messageWords(op.rating.message));
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
    this.markPublished(complaintId, 'resolvePublished');
  }

  async unpublishedResolutions({ resolvedBefore, limit }: { readonly resolvedBefore: string; readonly limit: number }): Promise<readonly Resolution[]> {
    return this.unpublished('resolvePublished', (c) => c.resolution, resolvedBefore, limit);
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
    this.markPublished(complaintId, 'ackPublished');
  }

  async unpublishedAcknowledgements({ acknowledgedBefore, limit }: { readonly acknowledgedBefore: string; readonly limit: number }): Promise<readonly Acknowledgement[]> {
    return this.unpublished('ackPublished', (c) => c.acknowledgement, acknowledgedBefore, limit);
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

  /** Sets the outbox flag `flag` once its transition is published (a flag that is not waiting is left alone). */
  private markPublished(complaintId: string, flag: OutboxFlag): void {
    const s = this.complaints.get(complaintId);
    if (!s || s[flag] !== false) return;
    this.complaints.set(complaintId, { ...s, [flag]: true, seqNo: ++this.seqNo });
  }

  /** The transitions whose outbox flag `flag` is waiting, made before `before`: oldest first, then by complaint id. */
  private unpublished<T extends Acknowledgement | Resolution>(flag: OutboxFlag, transition: (c: Complaint) => T | null | undefined, before: string, limit: number): T[] {
    const t = Date.parse(before);
    const out: T[] = [];
    for (const s of this.complaints.values()) {
      const x = transition(s.complaint);
      if (s[flag] === false && x && Date.parse(x.at) < t) out.push(x);
    }
    return out.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || (a.complaintId < b.complaintId ? -1 : 1)).slice(0, Math.max(0, limit));
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
    const matches = ratingMatcher(f, (r) => this.ratingWords.get(String(r.ratingId)) ?? NO_WORDS);
    const out: EnrichedRating[] = [];
    for (const r of this.ratings.values()) if (matches(r)) out.push(r);
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
