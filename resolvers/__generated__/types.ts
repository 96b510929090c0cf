import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { EnrichedRating as EnrichedRatingModel, Customer as CustomerModel, Complaint as ComplaintModel, Acknowledgement as AcknowledgementModel, Resolution as ResolutionModel, SlackMessageRef as SlackMessageRefModel } from '../../src/domain/index.js';
import type { ComplaintStatsDay as ComplaintStatsDayModel, StatsBucket as StatsBucketModel, HistogramBucket as HistogramBucketModel } from '../../src/ports/search.js';
import type { RatingPageEdge as RatingPageEdgeModel, RatingPage as RatingPageModel, ComplaintPageEdge as ComplaintPageEdgeModel, ComplaintPage as ComplaintPageModel } from '../../src/api/api-models.js';
import type { ProcessorStatus as ProcessorStatusModel } from '../../src/ports/stream-runtime.js';
import type { ComplaintEvent as ComplaintEventModel } from '../../src/api/live-feed.js';
import type { ApiContext } from '../../src/api/api-context.js';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Omit<T, K extends keyof T> = Pick<T, Exclude<keyof T, K>>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /**
   * An instant in time, as an ISO-8601 string in UTC with milliseconds
   * (`2018-06-12T10:09:06.808Z`). Inputs must carry a time zone (`Z` or `+02:00`).
   */
  DateTime: { input: Date; output: Date | string | number; }
  /**
   * A whole number up to 2^53 - 1 (JavaScript's safe integers), for counters
   * that outgrow GraphQL's 32-bit `Int`. Serialized as a JSON number.
   */
  SafeInt: { input: number; output: number; }
};

export type AcknowledgeComplaintPayload = {
  readonly __typename?: 'AcknowledgeComplaintPayload';
  /** The acknowledgement that counts: this call's, or the earlier winner's. */
  readonly acknowledgement: Acknowledgement;
  /** The complaint as it is now (ACKNOWLEDGED either way). */
  readonly complaint: Complaint;
  readonly outcome: AcknowledgeOutcome;
};

export type AcknowledgeOutcome =
  /** This call acknowledged the complaint. */
  | 'ACKNOWLEDGED'
  /** Someone else was first; `acknowledgement` says who and when. */
  | 'ALREADY_ACKNOWLEDGED';

export type Acknowledgement = {
  readonly __typename?: 'Acknowledgement';
  readonly at: Scalars['DateTime']['output'];
  /** An API key's name or a Slack user id. */
  readonly by: Scalars['String']['output'];
  /** A display name where known. */
  readonly byName?: Maybe<Scalars['String']['output']>;
  readonly note?: Maybe<Scalars['String']['output']>;
  readonly via: AcknowledgementSource;
};

/** Where an acknowledgement came from. */
export type AcknowledgementSource =
  | 'GRAPHQL'
  | 'SLACK';

/** A bad rating from a customer whose club status counts (by default: under 3 stars, platinum). */
export type Complaint = {
  readonly __typename?: 'Complaint';
  /** Who acknowledged it, when and how; null while OPEN (a RESOLVED complaint keeps it). */
  readonly acknowledgement?: Maybe<Acknowledgement>;
  /** The customer, as currently known. */
  readonly customer: Customer;
  /** When the escalation was posted to ESCALATION_CHANNEL; null if not escalated. */
  readonly escalatedAt?: Maybe<Scalars['DateTime']['output']>;
  /** The id of the rating that raised it. */
  readonly id: Scalars['ID']['output'];
  /** When the next reminder (or the escalation) is due; null when none is scheduled. */
  readonly nextReminderAt?: Maybe<Scalars['DateTime']['output']>;
  /** When the rating was given. */
  readonly raisedAt: Scalars['DateTime']['output'];
  readonly rating: Rating;
  /** Reminders posted in its Slack thread so far (at most REMIND_MAX). */
  readonly remindersSent: Scalars['Int']['output'];
  /** Who resolved it, when, how and with which note; null until RESOLVED. */
  readonly resolution?: Maybe<Resolution>;
  /** The Slack message announcing it, once posted. */
  readonly slackMessage?: Maybe<SlackMessage>;
  /** Reminders are paused until then (kept after it passed); null if never snoozed. */
  readonly snoozedUntil?: Maybe<Scalars['DateTime']['output']>;
  readonly status: ComplaintStatus;
};

export type ComplaintConnection = {
  readonly __typename?: 'ComplaintConnection';
  readonly edges: ReadonlyArray<ComplaintEdge>;
  readonly nodes: ReadonlyArray<Complaint>;
  readonly pageInfo: PageInfo;
  readonly totalCount: Scalars['Int']['output'];
};

export type ComplaintEdge = {
  readonly __typename?: 'ComplaintEdge';
  readonly cursor: Scalars['String']['output'];
  readonly node: Complaint;
};

/** One raised complaint, as `complaintRaised` delivers it. */
export type ComplaintRaisedEvent = {
  readonly __typename?: 'ComplaintRaisedEvent';
  /**
   * The complaint. Live events carry it as raised (OPEN, with the customer joined
   * into the rating); later changes come through `complaintUpdated`. Replayed
   * events carry its current state where the index knows it.
   */
  readonly complaint: Complaint;
  /**
   * Opaque position just after this event. Pass it to `complaintRaised(after:)`
   * after a disconnect to receive what was missed, then live events.
   */
  readonly cursor: Scalars['String']['output'];
  /** When the complaint was written to the log. */
  readonly raisedAt: Scalars['DateTime']['output'];
  /** True for events replayed from `after`, false for live ones. */
  readonly replayed: Scalars['Boolean']['output'];
};

/** Complaints raised on one UTC day (by rating time) and how fast they were handled. */
export type ComplaintStatsDay = {
  readonly __typename?: 'ComplaintStatsDay';
  /** Of those, acknowledged so far (RESOLVED included). */
  readonly acknowledged: Scalars['Int']['output'];
  /** Complaints raised that day. */
  readonly count: Scalars['Int']['output'];
  /** Start of the day (UTC). */
  readonly day: Scalars['DateTime']['output'];
  /** Median time from raised to acknowledged, seconds; null when none was acknowledged. */
  readonly medianSecondsToAcknowledge?: Maybe<Scalars['Float']['output']>;
  /** Median time from raised to resolved, seconds; null when none was resolved. */
  readonly medianSecondsToResolve?: Maybe<Scalars['Float']['output']>;
  /** 90th percentile time from raised to acknowledged, seconds. */
  readonly p90SecondsToAcknowledge?: Maybe<Scalars['Float']['output']>;
  /** 90th percentile time from raised to resolved, seconds. */
  readonly p90SecondsToResolve?: Maybe<Scalars['Float']['output']>;
  /** Of those, resolved so far. */
  readonly resolved: Scalars['Int']['output'];
};

/** OPEN → ACKNOWLEDGED → RESOLVED; resolving an OPEN complaint acknowledges it in the same step. */
export type ComplaintStatus =
  | 'ACKNOWLEDGED'
  | 'OPEN'
  | 'RESOLVED';

/** A customer (the `demo.CUSTOMERS` table, captured by CDC). */
export type Customer = {
  readonly __typename?: 'Customer';
  /** Lower case: `bronze`, `silver`, `gold`, `platinum`. */
  readonly clubStatus?: Maybe<Scalars['String']['output']>;
  readonly comments?: Maybe<Scalars['String']['output']>;
  /** As the source database wrote it. */
  readonly createdAt?: Maybe<Scalars['String']['output']>;
  readonly email?: Maybe<Scalars['String']['output']>;
  readonly firstName?: Maybe<Scalars['String']['output']>;
  /** First and last name, as far as known. */
  readonly fullName: Scalars['String']['output'];
  readonly gender?: Maybe<Scalars['String']['output']>;
  readonly id: Scalars['ID']['output'];
  readonly lastName?: Maybe<Scalars['String']['output']>;
  /** This customer's ratings. */
  readonly ratings: RatingConnection;
  readonly updatedAt?: Maybe<Scalars['String']['output']>;
};


/** A customer (the `demo.CUSTOMERS` table, captured by CDC). */
export type CustomerRatingsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  sort?: InputMaybe<RatingSort>;
};

export type HistogramInterval =
  | 'DAY'
  | 'HOUR'
  | 'MINUTE';

/**
 * Writes. Expected business outcomes (for example a complaint someone else
 * acknowledged first) are in the payload; errors are for the unexpected.
 */
export type Mutation = {
  readonly __typename?: 'Mutation';
  /**
   * Acknowledges a complaint. The first acknowledgement wins, whether from here
   * or Slack; later calls get ALREADY_ACKNOWLEDGED and the winner. Needs an
   * `agent` key. Errors: NOT_FOUND for an unknown id, FORBIDDEN for a viewer key,
   * BAD_USER_INPUT for a malformed id or a note over 2,000 characters.
   */
  readonly acknowledgeComplaint: AcknowledgeComplaintPayload;
  /**
   * Resolves a complaint (the customer was called back). The first resolution
   * wins; later calls get ALREADY_RESOLVED and the winner. An OPEN complaint is
   * acknowledged by the same call. Needs an `agent` key. Errors as
   * acknowledgeComplaint.
   */
  readonly resolveComplaint: ResolveComplaintPayload;
  /**
   * Pauses the reminders of an OPEN complaint until `until` (after now, at most
   * 24 hours ahead); they resume then. Needs an `agent` key. Errors:
   * BAD_USER_INPUT for a time out of range or a complaint no longer OPEN,
   * NOT_FOUND, CONFLICT (retriable) under heavy contention.
   */
  readonly snoozeComplaint: Complaint;
};


/**
 * Writes. Expected business outcomes (for example a complaint someone else
 * acknowledged first) are in the payload; errors are for the unexpected.
 */
export type MutationAcknowledgeComplaintArgs = {
  id: Scalars['ID']['input'];
  note?: InputMaybe<Scalars['String']['input']>;
};


/**
 * Writes. Expected business outcomes (for example a complaint someone else
 * acknowledged first) are in the payload; errors are for the unexpected.
 */
export type MutationResolveComplaintArgs = {
  id: Scalars['ID']['input'];
  note?: InputMaybe<Scalars['String']['input']>;
};


/**
 * Writes. Expected business outcomes (for example a complaint someone else
 * acknowledged first) are in the payload; errors are for the unexpected.
 */
export type MutationSnoozeComplaintArgs = {
  id: Scalars['ID']['input'];
  until: Scalars['DateTime']['input'];
};

/** Relay page information (https://relay.dev/graphql/connections.htm#sec-undefined.PageInfo). */
export type PageInfo = {
  readonly __typename?: 'PageInfo';
  /** Pass as `after` to get the next page. */
  readonly endCursor?: Maybe<Scalars['String']['output']>;
  readonly hasNextPage: Scalars['Boolean']['output'];
  /** Always false: pages go forward only. */
  readonly hasPreviousPage: Scalars['Boolean']['output'];
  readonly startCursor?: Maybe<Scalars['String']['output']>;
};

export type Pipeline = {
  readonly __typename?: 'Pipeline';
  /** True when every processor (and the sink) is RUNNING. */
  readonly healthy: Scalars['Boolean']['output'];
  /** The stream processors, by name. */
  readonly processors: ReadonlyArray<StreamProcessor>;
  /** The Elasticsearch sink; null when this gateway does not know it. */
  readonly sink?: Maybe<StreamProcessor>;
};

export type ProcessorState =
  /** Reading its tables to their end before processing (join readiness). */
  | 'BOOTSTRAPPING'
  /** Its last attempts failed; it keeps retrying with backoff (see `lastError`). */
  | 'ERROR'
  /** Consuming. */
  | 'RUNNING'
  | 'STOPPED';

/**
 * Reads. Every list is a Relay connection: pass `first` (1 to 100, default 20)
 * and the `endCursor` of the previous page as `after`.
 */
export type Query = {
  readonly __typename?: 'Query';
  /**
   * A complaint by id (the rating id), or null. One raised a moment ago that is not
   * indexed yet is answered as raised (OPEN), as `complaintRaised` delivered it.
   */
  readonly complaint?: Maybe<Complaint>;
  /**
   * Complaints per day raised in [from, to) (default: the last 30 days up to
   * now; at most 366 days), oldest first, empty days left out.
   */
  readonly complaintStats: ReadonlyArray<ComplaintStatsDay>;
  /** Complaints, most recent first, optionally only those with `status`. */
  readonly complaints: ComplaintConnection;
  /** A customer by id, or null. */
  readonly customer?: Maybe<Customer>;
  /** The stream processors and the sink, with their throughput, errors and lag. */
  readonly pipeline: Pipeline;
  /** A rating by id, or null. */
  readonly rating?: Maybe<Rating>;
  /**
   * Count and average stars of the ratings matching `filter` per interval (empty
   * intervals left out), oldest first. At most MAX_HISTOGRAM_BUCKETS intervals
   * (default 10000) from `filter.from` to `filter.to` (or now): more is
   * BAD_USER_INPUT naming both numbers.
   */
  readonly ratingHistogram: ReadonlyArray<RatingHistogramBucket>;
  /**
   * Count and average stars of the ratings matching `filter`, per club status,
   * channel family or stars. STARS groups come in star order, the others by
   * count, largest first (at most 100 groups).
   */
  readonly ratingStats: ReadonlyArray<RatingStatsBucket>;
  /** Ratings matching `filter`, a page at a time. */
  readonly ratings: RatingConnection;
  /** Who is asking: lets a client show only what the caller's role allows. */
  readonly viewer: Viewer;
};


/**
 * Reads. Every list is a Relay connection: pass `first` (1 to 100, default 20)
 * and the `endCursor` of the previous page as `after`.
 */
export type QueryComplaintArgs = {
  id: Scalars['ID']['input'];
};


/**
 * Reads. Every list is a Relay connection: pass `first` (1 to 100, default 20)
 * and the `endCursor` of the previous page as `after`.
 */
export type QueryComplaintStatsArgs = {
  from?: InputMaybe<Scalars['DateTime']['input']>;
  to?: InputMaybe<Scalars['DateTime']['input']>;
};


/**
 * Reads. Every list is a Relay connection: pass `first` (1 to 100, default 20)
 * and the `endCursor` of the previous page as `after`.
 */
export type QueryComplaintsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  status?: InputMaybe<ComplaintStatus>;
};


/**
 * Reads. Every list is a Relay connection: pass `first` (1 to 100, default 20)
 * and the `endCursor` of the previous page as `after`.
 */
export type QueryCustomerArgs = {
  id: Scalars['ID']['input'];
};


/**
 * Reads. Every list is a Relay connection: pass `first` (1 to 100, default 20)
 * and the `endCursor` of the previous page as `after`.
 */
export type QueryRatingArgs = {
  id: Scalars['ID']['input'];
};


/**
 * Reads. Every list is a Relay connection: pass `first` (1 to 100, default 20)
 * and the `endCursor` of the previous page as `after`.
 */
export type QueryRatingHistogramArgs = {
  filter?: InputMaybe<RatingFilter>;
  interval?: InputMaybe<HistogramInterval>;
};


/**
 * Reads. Every list is a Relay connection: pass `first` (1 to 100, default 20)
 * and the `endCursor` of the previous page as `after`.
 */
export type QueryRatingStatsArgs = {
  filter?: InputMaybe<RatingFilter>;
  groupBy: RatingDimension;
};


/**
 * Reads. Every list is a Relay connection: pass `first` (1 to 100, default 20)
 * and the `endCursor` of the previous page as `after`.
 */
export type QueryRatingsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<RatingFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
  sort?: InputMaybe<RatingSort>;
};

/** A rating from the web or mobile apps, joined with the customer who gave it (`ratings-with-customer-data`). */
export type Rating = {
  readonly __typename?: 'Rating';
  /** The channel as sent (`iOS`, `ios`, `iOS-test`, `android`, `web`, ...). */
  readonly channel: Scalars['String']['output'];
  /** The channel family (`ios`, `android`, `web`, ...): `iOS`, `ios` and `iOS-test` are all `ios`. */
  readonly channelFamily: Scalars['String']['output'];
  /** The complaint this rating raised, if it is one. */
  readonly complaint?: Maybe<Complaint>;
  /** The customer, as currently known (falls back to the copy taken when the rating was joined). */
  readonly customer: Customer;
  /** The rating id. */
  readonly id: Scalars['ID']['output'];
  readonly message: Scalars['String']['output'];
  /** When the customer gave the rating. */
  readonly ratedAt: Scalars['DateTime']['output'];
  readonly routeId?: Maybe<Scalars['Int']['output']>;
  /** 1 (bad) to 5 (good). */
  readonly stars: Scalars['Int']['output'];
};

export type RatingConnection = {
  readonly __typename?: 'RatingConnection';
  readonly edges: ReadonlyArray<RatingEdge>;
  /** The ratings of this page, without cursors. */
  readonly nodes: ReadonlyArray<Rating>;
  readonly pageInfo: PageInfo;
  /** Ratings matching the filter, over all pages. */
  readonly totalCount: Scalars['Int']['output'];
};

export type RatingDimension =
  /** Channel family (`ios`, `android`, `web`, ...). */
  | 'CHANNEL'
  /** Customer club status (lower case; `unknown` when missing). */
  | 'CLUB_STATUS'
  /** Stars, `1` to `5`. */
  | 'STARS';

export type RatingEdge = {
  readonly __typename?: 'RatingEdge';
  /** Pass as `after` to continue after this rating. */
  readonly cursor: Scalars['String']['output'];
  readonly node: Rating;
};

/** Which ratings. Every field narrows the result; an empty filter matches every rating. */
export type RatingFilter = {
  /** Any of these channels, case-insensitively as sent (`ios` matches `iOS`). At most 20. */
  readonly channels?: InputMaybe<ReadonlyArray<Scalars['String']['input']>>;
  /** Customers with any of these club statuses (`platinum`, `gold`, ...), case-insensitively. At most 20. */
  readonly clubStatuses?: InputMaybe<ReadonlyArray<Scalars['String']['input']>>;
  /** Ratings of this customer. */
  readonly customerId?: InputMaybe<Scalars['ID']['input']>;
  /** Given at or after this instant. */
  readonly from?: InputMaybe<Scalars['DateTime']['input']>;
  /** At most this many stars (1 to 5). */
  readonly starsMax?: InputMaybe<Scalars['Int']['input']>;
  /** At least this many stars (1 to 5). */
  readonly starsMin?: InputMaybe<Scalars['Int']['input']>;
  /** Words that must all appear in the message (at most 256 characters). */
  readonly text?: InputMaybe<Scalars['String']['input']>;
  /** Given before this instant. */
  readonly to?: InputMaybe<Scalars['DateTime']['input']>;
};

/** Ratings in one time interval. */
export type RatingHistogramBucket = {
  readonly __typename?: 'RatingHistogramBucket';
  readonly averageStars?: Maybe<Scalars['Float']['output']>;
  readonly count: Scalars['Int']['output'];
  /** Start of the interval (UTC). */
  readonly start: Scalars['DateTime']['output'];
};

export type RatingSort =
  /** Most recent first (default). */
  | 'NEWEST'
  | 'OLDEST'
  /** Fewest stars first, then most recent. */
  | 'STARS_ASC'
  /** Most stars first, then most recent. */
  | 'STARS_DESC';

/** Ratings of one group. */
export type RatingStatsBucket = {
  readonly __typename?: 'RatingStatsBucket';
  /** Null when the group is empty. */
  readonly averageStars?: Maybe<Scalars['Float']['output']>;
  readonly count: Scalars['Int']['output'];
  /** The group: a club status, a channel family or a number of stars. */
  readonly key: Scalars['String']['output'];
};

export type Resolution = {
  readonly __typename?: 'Resolution';
  readonly at: Scalars['DateTime']['output'];
  /** An API key's name or a Slack user id. */
  readonly by: Scalars['String']['output'];
  /** A display name where known. */
  readonly byName?: Maybe<Scalars['String']['output']>;
  readonly note?: Maybe<Scalars['String']['output']>;
  readonly via: AcknowledgementSource;
};

export type ResolveComplaintPayload = {
  readonly __typename?: 'ResolveComplaintPayload';
  /** The complaint as it is now (RESOLVED either way). */
  readonly complaint: Complaint;
  readonly outcome: ResolveOutcome;
  /** The resolution that counts: this call's, or the earlier winner's. */
  readonly resolution: Resolution;
};

export type ResolveOutcome =
  /** Someone else was first; `resolution` says who and when. */
  | 'ALREADY_RESOLVED'
  /** This call resolved the complaint. */
  | 'RESOLVED';

/** Where the complaint's Slack message lives. */
export type SlackMessage = {
  readonly __typename?: 'SlackMessage';
  readonly channel: Scalars['String']['output'];
  /**
   * The message's Slack timestamp. `pending:…` while a poster is posting it;
   * `unknown:<epoch ms>` when a poster may have posted it but could not tell
   * (its token lacks channels:history): it is not posted a second time.
   */
  readonly ts: Scalars['String']['output'];
};

/**
 * One continuous query of the stream layer, or the Elasticsearch sink (what
 * KSQL's SHOW QUERIES and DESCRIBE EXTENDED give).
 */
export type StreamProcessor = {
  readonly __typename?: 'StreamProcessor';
  readonly consumerGroup: Scalars['String']['output'];
  /** Records of the source topics not yet committed by its consumer group; null when unknown. */
  readonly consumerLag?: Maybe<Scalars['SafeInt']['output']>;
  /** Input records sent to `dead-letters`. */
  readonly failedMessages: Scalars['SafeInt']['output'];
  /** Instances that reported recently. */
  readonly instances: Scalars['Int']['output'];
  /** The last failure; for viewers, with host names, ports, URLs and IP addresses replaced by `<address>` (agents see it whole). */
  readonly lastError?: Maybe<Scalars['String']['output']>;
  /** When the last input record was processed. */
  readonly lastMessageAt?: Maybe<Scalars['DateTime']['output']>;
  /** Input records per second over the last minute, over all instances. */
  readonly messagesPerSecond: Scalars['Float']['output'];
  readonly name: Scalars['String']['output'];
  /** Topics it writes (for the sink: the indices it writes). */
  readonly sinkTopics: ReadonlyArray<Scalars['String']['output']>;
  /** Topics it reads. */
  readonly sourceTopics: ReadonlyArray<Scalars['String']['output']>;
  readonly state: ProcessorState;
  /** Input records processed since the instances started. */
  readonly totalMessages: Scalars['SafeInt']['output'];
  /** Join inputs that found no customer (anonymous, or none within the grace period). */
  readonly unmatchedMessages: Scalars['SafeInt']['output'];
};

/**
 * Live events over WebSocket (`graphql-transport-ws` at `/graphql`). A subscriber
 * that cannot keep up is disconnected with close code 1013 ("Try Again Later",
 * reason SLOW_CONSUMER), which graphql-ws clients retry by themselves; reconnect
 * and, for `complaintRaised`, pass the last cursor to resume without a gap.
 * Each subscribe message counts against the API key's rate limit (an operation
 * over it gets an error with code RATE_LIMITED; the socket stays open).
 */
export type Subscription = {
  readonly __typename?: 'Subscription';
  /**
   * Complaints as they are raised. Without `after`, from now on; with the cursor
   * of a delivered event, first every complaint raised after it, then live ones,
   * with no gap and no duplicate. Errors: BAD_USER_INPUT for a malformed cursor,
   * CURSOR_EXPIRED when retention has deleted events after it (start again
   * without one and catch up with `Query.complaints`); RATE_LIMITED beyond
   * MAX_REPLAYS_PER_CONNECTION subscriptions with a cursor on one connection.
   * Too far behind, the connection is closed with 1013 (SLOW_CONSUMER): a
   * graphql-ws client retries by itself, and resumes without a gap or a
   * duplicate when `after` holds the last cursor it received.
   */
  readonly complaintRaised: ComplaintRaisedEvent;
  /** Complaints as they change state (acknowledged, resolved; from GraphQL or Slack); only complaint `id` if given. Too far behind: closed with 1013 (SLOW_CONSUMER). */
  readonly complaintUpdated: Complaint;
  /** Each enriched rating as it is joined, when it matches `filter`. Too far behind: closed with 1013 (SLOW_CONSUMER). */
  readonly ratingAdded: Rating;
};


/**
 * Live events over WebSocket (`graphql-transport-ws` at `/graphql`). A subscriber
 * that cannot keep up is disconnected with close code 1013 ("Try Again Later",
 * reason SLOW_CONSUMER), which graphql-ws clients retry by themselves; reconnect
 * and, for `complaintRaised`, pass the last cursor to resume without a gap.
 * Each subscribe message counts against the API key's rate limit (an operation
 * over it gets an error with code RATE_LIMITED; the socket stays open).
 */
export type SubscriptionComplaintRaisedArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
};


/**
 * Live events over WebSocket (`graphql-transport-ws` at `/graphql`). A subscriber
 * that cannot keep up is disconnected with close code 1013 ("Try Again Later",
 * reason SLOW_CONSUMER), which graphql-ws clients retry by themselves; reconnect
 * and, for `complaintRaised`, pass the last cursor to resume without a gap.
 * Each subscribe message counts against the API key's rate limit (an operation
 * over it gets an error with code RATE_LIMITED; the socket stays open).
 */
export type SubscriptionComplaintUpdatedArgs = {
  id?: InputMaybe<Scalars['ID']['input']>;
};


/**
 * Live events over WebSocket (`graphql-transport-ws` at `/graphql`). A subscriber
 * that cannot keep up is disconnected with close code 1013 ("Try Again Later",
 * reason SLOW_CONSUMER), which graphql-ws clients retry by themselves; reconnect
 * and, for `complaintRaised`, pass the last cursor to resume without a gap.
 * Each subscribe message counts against the API key's rate limit (an operation
 * over it gets an error with code RATE_LIMITED; the socket stays open).
 */
export type SubscriptionRatingAddedArgs = {
  filter?: InputMaybe<RatingFilter>;
};

/** The caller, as the API knows it from its key. */
export type Viewer = {
  readonly __typename?: 'Viewer';
  /** The API key's name (`anonymous` with open access); recorded as who acknowledged. */
  readonly name: Scalars['String']['output'];
  /** True when the API runs without keys (loopback only, outside production): everyone is an anonymous agent. */
  readonly openAccess: Scalars['Boolean']['output'];
  readonly role: ViewerRole;
};

/** What an API key may do. */
export type ViewerRole =
  /** Also acknowledge complaints. */
  | 'AGENT'
  /** Query and subscribe. */
  | 'VIEWER';



export type ResolverTypeWrapper<T> = Promise<T> | T;


export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<TResult, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = ResolverFn<TResult, TParent, TContext, TArgs> | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<TResult, TKey extends string, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<TResult, TKey extends string, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<TTypes, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<T = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<TResult = Record<PropertyKey, never>, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;





/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = {
  AcknowledgeComplaintPayload: ResolverTypeWrapper<Omit<AcknowledgeComplaintPayload, 'acknowledgement' | 'complaint'> & { acknowledgement: ResolversTypes['Acknowledgement'], complaint: ResolversTypes['Complaint'] }>;
  AcknowledgeOutcome: AcknowledgeOutcome;
  Acknowledgement: ResolverTypeWrapper<AcknowledgementModel>;
  AcknowledgementSource: AcknowledgementSource;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  Complaint: ResolverTypeWrapper<ComplaintModel>;
  ComplaintConnection: ResolverTypeWrapper<ComplaintPageModel>;
  ComplaintEdge: ResolverTypeWrapper<ComplaintPageEdgeModel>;
  ComplaintRaisedEvent: ResolverTypeWrapper<ComplaintEventModel>;
  ComplaintStatsDay: ResolverTypeWrapper<ComplaintStatsDayModel>;
  ComplaintStatus: ComplaintStatus;
  Customer: ResolverTypeWrapper<CustomerModel>;
  DateTime: ResolverTypeWrapper<Scalars['DateTime']['output']>;
  Float: ResolverTypeWrapper<Scalars['Float']['output']>;
  HistogramInterval: HistogramInterval;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  Pipeline: ResolverTypeWrapper<Omit<Pipeline, 'processors' | 'sink'> & { processors: ReadonlyArray<ResolversTypes['StreamProcessor']>, sink?: Maybe<ResolversTypes['StreamProcessor']> }>;
  ProcessorState: ProcessorState;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Rating: ResolverTypeWrapper<EnrichedRatingModel>;
  RatingConnection: ResolverTypeWrapper<RatingPageModel>;
  RatingDimension: RatingDimension;
  RatingEdge: ResolverTypeWrapper<RatingPageEdgeModel>;
  RatingFilter: RatingFilter;
  RatingHistogramBucket: ResolverTypeWrapper<HistogramBucketModel>;
  RatingSort: RatingSort;
  RatingStatsBucket: ResolverTypeWrapper<StatsBucketModel>;
  Resolution: ResolverTypeWrapper<ResolutionModel>;
  ResolveComplaintPayload: ResolverTypeWrapper<Omit<ResolveComplaintPayload, 'complaint' | 'resolution'> & { complaint: ResolversTypes['Complaint'], resolution: ResolversTypes['Resolution'] }>;
  ResolveOutcome: ResolveOutcome;
  SafeInt: ResolverTypeWrapper<Scalars['SafeInt']['output']>;
  SlackMessage: ResolverTypeWrapper<SlackMessageRefModel>;
  StreamProcessor: ResolverTypeWrapper<ProcessorStatusModel>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  Subscription: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Viewer: ResolverTypeWrapper<Viewer>;
  ViewerRole: ViewerRole;
};

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = {
  AcknowledgeComplaintPayload: Omit<AcknowledgeComplaintPayload, 'acknowledgement' | 'complaint'> & { acknowledgement: ResolversParentTypes['Acknowledgement'], complaint: ResolversParentTypes['Complaint'] };
  Acknowledgement: AcknowledgementModel;
  Boolean: Scalars['Boolean']['output'];
  Complaint: ComplaintModel;
  ComplaintConnection: ComplaintPageModel;
  ComplaintEdge: ComplaintPageEdgeModel;
  ComplaintRaisedEvent: ComplaintEventModel;
  ComplaintStatsDay: ComplaintStatsDayModel;
  Customer: CustomerModel;
  DateTime: Scalars['DateTime']['output'];
  Float: Scalars['Float']['output'];
  ID: Scalars['ID']['output'];
  Int: Scalars['Int']['output'];
  Mutation: Record<PropertyKey, never>;
  PageInfo: PageInfo;
  Pipeline: Omit<Pipeline, 'processors' | 'sink'> & { processors: ReadonlyArray<ResolversParentTypes['StreamProcessor']>, sink?: Maybe<ResolversParentTypes['StreamProcessor']> };
  Query: Record<PropertyKey, never>;
  Rating: EnrichedRatingModel;
  RatingConnection: RatingPageModel;
  RatingEdge: RatingPageEdgeModel;
  RatingFilter: RatingFilter;
  RatingHistogramBucket: HistogramBucketModel;
  RatingStatsBucket: StatsBucketModel;
  Resolution: ResolutionModel;
  ResolveComplaintPayload: Omit<ResolveComplaintPayload, 'complaint' | 'resolution'> & { complaint: ResolversParentTypes['Complaint'], resolution: ResolversParentTypes['Resolution'] };
  SafeInt: Scalars['SafeInt']['output'];
  SlackMessage: SlackMessageRefModel;
  StreamProcessor: ProcessorStatusModel;
  String: Scalars['String']['output'];
  Subscription: Record<PropertyKey, never>;
  Viewer: Viewer;
};

export type AcknowledgeComplaintPayloadResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['AcknowledgeComplaintPayload'] = ResolversParentTypes['AcknowledgeComplaintPayload']> = {
  acknowledgement?: Resolver<ResolversTypes['Acknowledgement'], ParentType, ContextType>;
  complaint?: Resolver<ResolversTypes['Complaint'], ParentType, ContextType>;
  outcome?: Resolver<ResolversTypes['AcknowledgeOutcome'], ParentType, ContextType>;
};

export type AcknowledgementResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['Acknowledgement'] = ResolversParentTypes['Acknowledgement']> = {
  at?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  by?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  byName?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  note?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  via?: Resolver<ResolversTypes['AcknowledgementSource'], ParentType, ContextType>;
};

export type ComplaintResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['Complaint'] = ResolversParentTypes['Complaint']> = {
  acknowledgement?: Resolver<Maybe<ResolversTypes['Acknowledgement']>, ParentType, ContextType>;
  customer?: Resolver<ResolversTypes['Customer'], ParentType, ContextType>;
  escalatedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  nextReminderAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  raisedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  rating?: Resolver<ResolversTypes['Rating'], ParentType, ContextType>;
  remindersSent?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  resolution?: Resolver<Maybe<ResolversTypes['Resolution']>, ParentType, ContextType>;
  slackMessage?: Resolver<Maybe<ResolversTypes['SlackMessage']>, ParentType, ContextType>;
  snoozedUntil?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['ComplaintStatus'], ParentType, ContextType>;
};

export type ComplaintConnectionResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['ComplaintConnection'] = ResolversParentTypes['ComplaintConnection']> = {
  edges?: Resolver<ReadonlyArray<ResolversTypes['ComplaintEdge']>, ParentType, ContextType>;
  nodes?: Resolver<ReadonlyArray<ResolversTypes['Complaint']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
  totalCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type ComplaintEdgeResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['ComplaintEdge'] = ResolversParentTypes['ComplaintEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Complaint'], ParentType, ContextType>;
};

export type ComplaintRaisedEventResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['ComplaintRaisedEvent'] = ResolversParentTypes['ComplaintRaisedEvent']> = {
  complaint?: Resolver<ResolversTypes['Complaint'], ParentType, ContextType>;
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  raisedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  replayed?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
};

export type ComplaintStatsDayResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['ComplaintStatsDay'] = ResolversParentTypes['ComplaintStatsDay']> = {
  acknowledged?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  count?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  day?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  medianSecondsToAcknowledge?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  medianSecondsToResolve?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  p90SecondsToAcknowledge?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  p90SecondsToResolve?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  resolved?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type CustomerResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['Customer'] = ResolversParentTypes['Customer']> = {
  clubStatus?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  comments?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  createdAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  email?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  firstName?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  fullName?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  gender?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  lastName?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  ratings?: Resolver<ResolversTypes['RatingConnection'], ParentType, ContextType, RequireFields<CustomerRatingsArgs, 'first' | 'sort'>>;
  updatedAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export interface DateTimeScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['DateTime'], any> {
  name: 'DateTime';
}

export type MutationResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = {
  acknowledgeComplaint?: Resolver<ResolversTypes['AcknowledgeComplaintPayload'], ParentType, ContextType, RequireFields<MutationAcknowledgeComplaintArgs, 'id'>>;
  resolveComplaint?: Resolver<ResolversTypes['ResolveComplaintPayload'], ParentType, ContextType, RequireFields<MutationResolveComplaintArgs, 'id'>>;
  snoozeComplaint?: Resolver<ResolversTypes['Complaint'], ParentType, ContextType, RequireFields<MutationSnoozeComplaintArgs, 'id' | 'until'>>;
};

export type PageInfoResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = {
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  hasPreviousPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  startCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type PipelineResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['Pipeline'] = ResolversParentTypes['Pipeline']> = {
  healthy?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  processors?: Resolver<ReadonlyArray<ResolversTypes['StreamProcessor']>, ParentType, ContextType>;
  sink?: Resolver<Maybe<ResolversTypes['StreamProcessor']>, ParentType, ContextType>;
};

export type QueryResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = {
  complaint?: Resolver<Maybe<ResolversTypes['Complaint']>, ParentType, ContextType, RequireFields<QueryComplaintArgs, 'id'>>;
  complaintStats?: Resolver<ReadonlyArray<ResolversTypes['ComplaintStatsDay']>, ParentType, ContextType, Partial<QueryComplaintStatsArgs>>;
  complaints?: Resolver<ResolversTypes['ComplaintConnection'], ParentType, ContextType, RequireFields<QueryComplaintsArgs, 'first'>>;
  customer?: Resolver<Maybe<ResolversTypes['Customer']>, ParentType, ContextType, RequireFields<QueryCustomerArgs, 'id'>>;
  pipeline?: Resolver<ResolversTypes['Pipeline'], ParentType, ContextType>;
  rating?: Resolver<Maybe<ResolversTypes['Rating']>, ParentType, ContextType, RequireFields<QueryRatingArgs, 'id'>>;
  ratingHistogram?: Resolver<ReadonlyArray<ResolversTypes['RatingHistogramBucket']>, ParentType, ContextType, RequireFields<QueryRatingHistogramArgs, 'interval'>>;
  ratingStats?: Resolver<ReadonlyArray<ResolversTypes['RatingStatsBucket']>, ParentType, ContextType, RequireFields<QueryRatingStatsArgs, 'groupBy'>>;
  ratings?: Resolver<ResolversTypes['RatingConnection'], ParentType, ContextType, RequireFields<QueryRatingsArgs, 'first' | 'sort'>>;
  viewer?: Resolver<ResolversTypes['Viewer'], ParentType, ContextType>;
};

export type RatingResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['Rating'] = ResolversParentTypes['Rating']> = {
  channel?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  channelFamily?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  complaint?: Resolver<Maybe<ResolversTypes['Complaint']>, ParentType, ContextType>;
  customer?: Resolver<ResolversTypes['Customer'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  message?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  ratedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  routeId?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  stars?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type RatingConnectionResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['RatingConnection'] = ResolversParentTypes['RatingConnection']> = {
  edges?: Resolver<ReadonlyArray<ResolversTypes['RatingEdge']>, ParentType, ContextType>;
  nodes?: Resolver<ReadonlyArray<ResolversTypes['Rating']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
  totalCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type RatingEdgeResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['RatingEdge'] = ResolversParentTypes['RatingEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Rating'], ParentType, ContextType>;
};

export type RatingHistogramBucketResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['RatingHistogramBucket'] = ResolversParentTypes['RatingHistogramBucket']> = {
  averageStars?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  count?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  start?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
};

export type RatingStatsBucketResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['RatingStatsBucket'] = ResolversParentTypes['RatingStatsBucket']> = {
  averageStars?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  count?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  key?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type ResolutionResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['Resolution'] = ResolversParentTypes['Resolution']> = {
  at?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  by?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  byName?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  note?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  via?: Resolver<ResolversTypes['AcknowledgementSource'], ParentType, ContextType>;
};

export type ResolveComplaintPayloadResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['ResolveComplaintPayload'] = ResolversParentTypes['ResolveComplaintPayload']> = {
  complaint?: Resolver<ResolversTypes['Complaint'], ParentType, ContextType>;
  outcome?: Resolver<ResolversTypes['ResolveOutcome'], ParentType, ContextType>;
  resolution?: Resolver<ResolversTypes['Resolution'], ParentType, ContextType>;
};

export interface SafeIntScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['SafeInt'], any> {
  name: 'SafeInt';
}

export type SlackMessageResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['SlackMessage'] = ResolversParentTypes['SlackMessage']> = {
  channel?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  ts?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type StreamProcessorResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['StreamProcessor'] = ResolversParentTypes['StreamProcessor']> = {
  consumerGroup?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  consumerLag?: Resolver<Maybe<ResolversTypes['SafeInt']>, ParentType, ContextType>;
  failedMessages?: Resolver<ResolversTypes['SafeInt'], ParentType, ContextType>;
  instances?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  lastError?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  lastMessageAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  messagesPerSecond?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  sinkTopics?: Resolver<ReadonlyArray<ResolversTypes['String']>, ParentType, ContextType>;
  sourceTopics?: Resolver<ReadonlyArray<ResolversTypes['String']>, ParentType, ContextType>;
  state?: Resolver<ResolversTypes['ProcessorState'], ParentType, ContextType>;
  totalMessages?: Resolver<ResolversTypes['SafeInt'], ParentType, ContextType>;
  unmatchedMessages?: Resolver<ResolversTypes['SafeInt'], ParentType, ContextType>;
};

export type SubscriptionResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['Subscription'] = ResolversParentTypes['Subscription']> = {
  complaintRaised?: SubscriptionResolver<ResolversTypes['ComplaintRaisedEvent'], "complaintRaised", ParentType, ContextType, Partial<SubscriptionComplaintRaisedArgs>>;
  complaintUpdated?: SubscriptionResolver<ResolversTypes['Complaint'], "complaintUpdated", ParentType, ContextType, Partial<SubscriptionComplaintUpdatedArgs>>;
  ratingAdded?: SubscriptionResolver<ResolversTypes['Rating'], "ratingAdded", ParentType, ContextType, Partial<SubscriptionRatingAddedArgs>>;
};

export type ViewerResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['Viewer'] = ResolversParentTypes['Viewer']> = {
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  openAccess?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  role?: Resolver<ResolversTypes['ViewerRole'], ParentType, ContextType>;
};

export type Resolvers<ContextType = ApiContext> = {
  AcknowledgeComplaintPayload?: AcknowledgeComplaintPayloadResolvers<ContextType>;
  Acknowledgement?: AcknowledgementResolvers<ContextType>;
  Complaint?: ComplaintResolvers<ContextType>;
  ComplaintConnection?: ComplaintConnectionResolvers<ContextType>;
  ComplaintEdge?: ComplaintEdgeResolvers<ContextType>;
  ComplaintRaisedEvent?: ComplaintRaisedEventResolvers<ContextType>;
  ComplaintStatsDay?: ComplaintStatsDayResolvers<ContextType>;
  Customer?: CustomerResolvers<ContextType>;
  DateTime?: GraphQLScalarType;
  Mutation?: MutationResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  Pipeline?: PipelineResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  Rating?: RatingResolvers<ContextType>;
  RatingConnection?: RatingConnectionResolvers<ContextType>;
  RatingEdge?: RatingEdgeResolvers<ContextType>;
  RatingHistogramBucket?: RatingHistogramBucketResolvers<ContextType>;
  RatingStatsBucket?: RatingStatsBucketResolvers<ContextType>;
  Resolution?: ResolutionResolvers<ContextType>;
  ResolveComplaintPayload?: ResolveComplaintPayloadResolvers<ContextType>;
  SafeInt?: GraphQLScalarType;
  SlackMessage?: SlackMessageResolvers<ContextType>;
  StreamProcessor?: StreamProcessorResolvers<ContextType>;
  Subscription?: SubscriptionResolvers<ContextType>;
  Viewer?: ViewerResolvers<ContextType>;
};

