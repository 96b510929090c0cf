/**
 * The search layer port (read side), the sink port (write side) and the
 * complaint store. Implemented by the Elasticsearch adapter and the in-memory
 * adapter; one contract test suite runs against both.
 */
import type { Complaint, Customer, EnrichedRating, SlackMessageRef, Acknowledgement, ComplaintStatus, RatingFilter, ReminderState, Resolution } from '../domain/index.js';
import type { AppError } from '../errors.js';

/** The filter type and its semantics live in the domain (src/domain/rating-filter.ts). */
export type { RatingFilter };

export type RatingSort = 'NEWEST' | 'OLDEST' | 'STARS_ASC' | 'STARS_DESC';
export type RatingDimension = 'CLUB_STATUS' | 'CHANNEL' | 'STARS';
export type HistogramInterval = 'MINUTE' | 'HOUR' | 'DAY';

export interface Edge<T> {
  readonly node: T;
  /** Opaque; pass as `after` to continue after this item. */
  readonly cursor: string;
}

export interface Page<T> {
  readonly edges: readonly Edge<T>[];
  readonly totalCount: number;
  readonly hasNextPage: boolean;
}

export interface StatsBucket {
  readonly key: string;
  readonly count: number;
  readonly averageStars: number | null;
}

export interface HistogramBucket {
  /** Bucket start, epoch ms. */
  readonly start: number;
  readonly count: number;
  readonly averageStars: number | null;
}

/** Complaints raised on one UTC day, and how fast they were handled. */
export interface ComplaintStatsDay {
  /** Start of the day (UTC), epoch ms. */
  readonly day: number;
  /** Complaints raised that day. */
  readonly count: number;
  /** Of those, acknowledged (RESOLVED included) / resolved so far. */
  readonly acknowledged: number;
  readonly resolved: number;
  /** Median and 90th percentile of the time from raised (rating time) to acknowledged / resolved, ms; null when none. */
  readonly acknowledgeMedianMs: number | null;
  readonly acknowledgeP90Ms: number | null;
  readonly resolveMedianMs: number | null;
  readonly resolveP90Ms: number | null;
}

/** Percentiles as both adapters compute them: linear interpolation between the sorted values (rank q·(n−1)). */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = q * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

/** One search of ratings: what {@link SearchIndex.searchRatings} takes. */
export interface RatingQuery {
  readonly filter?: RatingFilter;
  readonly sort?: RatingSort;
  readonly first: number;
  readonly after?: string | null;
}

export interface SearchIndex {
  /** Throws BadInputError for a malformed `after` cursor. */
  searchRatings(q: { filter?: RatingFilter; sort?: RatingSort; first: number; after?: string | null }): Promise<Page<EnrichedRating>>;
  /**
   * Several {@link SearchIndex.searchRatings} in one round trip (msearch), for
   * DataLoader; result[i] belongs to queries[i]: its page, or the error that
   * query alone failed with (BadInputError for its cursor, say). Throws when
   * the whole request failed (UnavailableError).
   */
  searchRatingsMany(queries: readonly RatingQuery[]): Promise<readonly (Page<EnrichedRating> | AppError)[]>;
  getRating(id: string): Promise<EnrichedRating | null>;
  ratingStats(filter: RatingFilter | undefined, groupBy: RatingDimension): Promise<readonly StatsBucket[]>;
  ratingHistogram(filter: RatingFilter | undefined, interval: HistogramInterval): Promise<readonly HistogramBucket[]>;
  getCustomer(id: number): Promise<Customer | null>;
  /** One round trip (mget); result[i] belongs to ids[i]. For DataLoader. */
  getCustomersByIds(ids: readonly number[]): Promise<readonly (Customer | null)[]>;
  searchComplaints(q: { status?: ComplaintStatus | null; first: number; after?: string | null }): Promise<Page<Complaint>>;
  getComplaint(id: string): Promise<Complaint | null>;
  getComplaintsByIds(ids: readonly string[]): Promise<readonly (Complaint | null)[]>;
  /**
   * Complaints per UTC day of their rating time within [from, to) (epoch ms,
   * either end open), oldest first, empty days left out: counts and the median
   * and 90th percentile of the times to acknowledge and to resolve.
   */
  complaintStats(q: { readonly from?: number; readonly to?: number }): Promise<readonly ComplaintStatsDay[]>;
  ping(): Promise<boolean>;
}

export type WriteOp =
  | { readonly kind: 'upsertRating'; readonly rating: EnrichedRating }
  /** Created once; an existing complaint (maybe acknowledged) is left untouched. */
  | { readonly kind: 'createComplaint'; readonly complaint: Complaint }
  | { readonly kind: 'upsertCustomer'; readonly customer: Customer }
  | { readonly kind: 'deleteCustomer'; readonly id: number };

export type WriteResult =
  | { readonly ok: true }
  /**
   * `retriable`: the cluster is at fault (load, 5xx, timeouts, a write block,
   * a closed or missing index, 401/403): retry, never dead-letter. Otherwise
   * the content is at fault (mapping, parsing): dead-letter it.
   */
  | { readonly ok: false; readonly retriable: boolean; readonly reason: string; readonly status?: number };

export interface SearchWriter {
  /** Index templates and indices, created idempotently. */
  ensureIndices(): Promise<void>;
  /**
   * One bulk request; result[i] belongs to ops[i]. Throws a retriable
   * UnavailableError when the whole request failed (unreachable, timeout).
   */
  write(ops: readonly WriteOp[]): Promise<readonly WriteResult[]>;
  /** Makes writes visible to search now (tests, benches). */
  refresh(): Promise<void>;
}

/** Opaque optimistic-concurrency token (Elasticsearch `_seq_no` + `_primary_term`). */
export interface DocVersion {
  readonly seqNo: number;
  readonly primaryTerm: number;
}

export type UpdateOutcome = 'ok' | 'conflict' | 'not_found';

/** Fields of {@link ReminderState} to change in one conditional update; absent ones are kept. */
export type ReminderPatch = { readonly [K in keyof ReminderState]?: ReminderState[K] };

export interface TransitionOptions {
  /** When the complaint was raised (its rating time), epoch ms: the time to acknowledge / resolve is stored for {@link SearchIndex.complaintStats}. */
  readonly raisedAt?: number;
}

export interface ComplaintStore {
  get(id: string): Promise<{
    readonly complaint: Complaint;
    readonly version: DocVersion;
    /**
     * `false`: the complaint was acknowledged but the acknowledgement is not
     * known to be published to `complaint-acknowledgements` yet (the outbox
     * flag set by {@link ComplaintStore.acknowledge}); publish it, then
     * {@link ComplaintStore.markAcknowledgementPublished}. Absent or `true`:
     * published, or acknowledged before the flag existed.
     */
    readonly acknowledgementPublished?: boolean;
    /** As `acknowledgementPublished`, for the resolution (set by {@link ComplaintStore.resolve}). */
    readonly resolutionPublished?: boolean;
  } | null>;
  /** Creates the complaint unless it exists; never resets an existing one. */
  createIfAbsent(complaint: Complaint): Promise<void>;
  /**
   * Sets status ACKNOWLEDGED with `ack`, only if the document is still at
   * `expected`; in the same update, marks the acknowledgement as not yet
   * published (`acknowledgementPublished: false`).
   */
  acknowledge(id: string, ack: Acknowledgement, expected: DocVersion, options?: TransitionOptions): Promise<UpdateOutcome>;
  /**
   * Sets status RESOLVED with `resolution`, only if the document is still at
   * `expected`, marking it not yet published (`resolutionPublished: false`)
   * and clearing the next reminder. With `acknowledge` (a complaint resolved
   * while OPEN) the same update also acknowledges it, as
   * {@link ComplaintStore.acknowledge} would.
   */
  resolve(id: string, resolution: Resolution, expected: DocVersion, options?: TransitionOptions & { readonly acknowledge?: Acknowledgement }): Promise<UpdateOutcome>;
  /** As {@link ComplaintStore.markAcknowledgementPublished}, for the resolution. */
  markResolutionPublished(id: string): Promise<void>;
  /** As {@link ComplaintStore.unpublishedAcknowledgements}, for resolutions (by `resolvedBefore`). */
  unpublishedResolutions(q: { readonly resolvedBefore: string; readonly limit: number }): Promise<readonly Resolution[]>;
  /** Changes reminder state (claims, counts, snooze), only if the document is still at `expected`. */
  updateReminders(id: string, patch: ReminderPatch, expected: DocVersion): Promise<UpdateOutcome>;
  /**
   * Ids of OPEN complaints whose next reminder is due (`nextAt <= now`,
   * ISO-8601), most overdue first, at most `limit`: one bounded search per
   * poll of the reminder scheduler.
   */
  dueReminders(q: { readonly now: string; readonly limit: number }): Promise<readonly string[]>;
  /**
   * Records that the acknowledgement of `id` was published (an unconditional
   * partial update: only ever false → true). An unknown id is ignored.
   */
  markAcknowledgementPublished(id: string): Promise<void>;
  /**
   * Acknowledgements stored but not marked published, acknowledged before
   * `acknowledgedBefore` (ISO-8601), oldest first, at most `limit`: what the
   * acknowledgement service's sweeper publishes (a publish that failed, or a
   * process that died between the update and the publish).
   */
  unpublishedAcknowledgements(q: { readonly acknowledgedBefore: string; readonly limit: number }): Promise<readonly Acknowledgement[]>;
  /**
   * Records (or, with null, clears) where the Slack message lives, only if
   * still at `expected`; with `nextReminderAt`, schedules the first reminder
   * in the same update.
   */
  setSlackMessage(id: string, ref: SlackMessageRef | null, expected: DocVersion, options?: { readonly nextReminderAt?: string | null }): Promise<UpdateOutcome>;
}

/** Largest `first` a search accepts; more is a BadInputError. */
export const MAX_PAGE_SIZE = 1_000;
