import { InvalidRecordError } from '../errors.js';
import type { EnrichedRating } from './enriched-rating.js';
import { isObject, readOptionalString, readString, type Json } from './fields.js';
import { ok, type Result } from './result.js';

/** Which enriched ratings are complaints. Configured, so it can change without touching notification. */
export interface ComplaintRule {
  /** A rating is bad when its stars are below this. @default 3 */
  readonly starsBelow: number;
  /** Lower-case club statuses that count. @default ['platinum'] */
  readonly clubStatuses: readonly string[];
}

export const DEFAULT_COMPLAINT_RULE: ComplaintRule = Object.freeze({ starsBelow: 3, clubStatuses: Object.freeze(['platinum']) });

/** The article's `WHERE STARS < 3 AND CLUB_STATUS = 'platinum'`, configurable. */
export function isComplaint(e: EnrichedRating, rule: ComplaintRule = DEFAULT_COMPLAINT_RULE): boolean {
  return e.stars < rule.starsBelow && e.customer.clubStatus !== null && rule.clubStatuses.includes(e.customer.clubStatus.toLowerCase());
}

export const ComplaintStatus = { Open: 'OPEN', Acknowledged: 'ACKNOWLEDGED' } as const;
export type ComplaintStatus = (typeof ComplaintStatus)[keyof typeof ComplaintStatus];

/** Where an acknowledgement came from. */
export const AckVia = { GraphQL: 'graphql', Slack: 'slack' } as const;
export type AckVia = (typeof AckVia)[keyof typeof AckVia];

export interface Acknowledgement {
  /** Complaint id = rating id, as a string. */
  readonly complaintId: string;
  /** Who: an API key's name, or a Slack user id. */
  readonly by: string;
  /** A display name where known (Slack user name). */
  readonly byName: string | null;
  /** ISO-8601. */
  readonly at: string;
  readonly via: AckVia;
  readonly note: string | null;
}

export interface SlackMessageRef {
  readonly channel: string;
  readonly ts: string;
}

/**
 * A {@link SlackMessageRef} whose `ts` starts with this is a claim, not a
 * message: a Slack poster instance is posting it right now
 * (`pending:<instance>:<epochMs>`). Readers treat it as "not posted yet".
 */
export const SLACK_CLAIM_PREFIX = 'pending:';

/** Whether `ref` is a poster's claim rather than a posted message. */
export const isSlackClaim = (ref: SlackMessageRef | null | undefined): boolean => ref !== null && ref !== undefined && ref.ts.startsWith(SLACK_CLAIM_PREFIX);

/** A complaint as stored and served: the enriched rating plus its state. */
export interface Complaint {
  readonly id: string;
  readonly rating: EnrichedRating;
  readonly status: ComplaintStatus;
  readonly acknowledgement: Acknowledgement | null;
  readonly slackMessage: SlackMessageRef | null;
}

export const complaintId = (e: Pick<EnrichedRating, 'ratingId'>): string => String(e.ratingId);

export const openComplaint = (rating: EnrichedRating): Complaint => ({
  id: complaintId(rating),
  rating,
  status: ComplaintStatus.Open,
  acknowledgement: null,
  slackMessage: null,
});

export const MAX_NOTE_LENGTH = 2_000;

/** The `complaint-acknowledgements` value. */
export function acknowledgementToRecord(a: Acknowledgement): Json {
  return { complaint_id: a.complaintId, acknowledged_by: a.by, acknowledged_by_name: a.byName, acknowledged_at: a.at, via: a.via, note: a.note };
}

export function parseAcknowledgement(value: unknown): Result<Acknowledgement> {
  try {
    if (!isObject(value)) throw new InvalidRecordError('', 'an acknowledgement must be a JSON object');
    const via = readString(value, 'via', 16);
    if (via !== AckVia.GraphQL && via !== AckVia.Slack) throw new InvalidRecordError('via', `must be graphql or slack, got ${JSON.stringify(via)}`);
    const at = readString(value, 'acknowledged_at', 64);
    if (Number.isNaN(Date.parse(at))) throw new InvalidRecordError('acknowledged_at', 'must be an ISO-8601 time');
    return ok({
      complaintId: readString(value, 'complaint_id', 64),
      by: readString(value, 'acknowledged_by', 256),
      byName: readOptionalString(value, 'acknowledged_by_name', 256),
      at,
      via,
      note: readOptionalString(value, 'note', MAX_NOTE_LENGTH),
    });
  } catch (e) {
    if (e instanceof InvalidRecordError) return { ok: false, error: e };
    throw e;
  }
}
