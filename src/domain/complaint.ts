import { InvalidRecordError } from '../errors.js';
import type { EnrichedRating } from './enriched-rating.js';
import { isObject, readOptionalString, readString, type Json } from './fields.js';
import { tryRead, type Result } from './result.js';

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

/**
 * OPEN → ACKNOWLEDGED → RESOLVED. A complaint can also be resolved while OPEN:
 * the resolving update then acknowledges it too (same person, same time), so
 * a RESOLVED complaint always carries an acknowledgement (docs/lifecycle.md).
 */
export const ComplaintStatus = { Open: 'OPEN', Acknowledged: 'ACKNOWLEDGED', Resolved: 'RESOLVED' } as const;
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

/**
 * A {@link SlackMessageRef} whose `ts` starts with this names no message
 * (`unknown:<epochMs>`): an attempt that died may have posted the complaint
 * to `channel`, the poster could not read the channel history to find out
 * (no `channels:history`), and posted nothing again rather than twice.
 * Readers count it as posted but never update it or reply in its thread.
 */
export const SLACK_UNKNOWN_MESSAGE_PREFIX = 'unknown:';

/** Whether `ts` is a real Slack message ts (neither a claim nor an unknown message). */
export const isKnownMessageTs = (ts: string): boolean => !ts.startsWith(SLACK_CLAIM_PREFIX) && !ts.startsWith(SLACK_UNKNOWN_MESSAGE_PREFIX);

/** Who resolved a complaint, when, how, with an optional note; the same shape as an acknowledgement. */
export type Resolution = Acknowledgement;

/**
 * Reminder and escalation state of a complaint (docs/lifecycle.md). Absent on
 * complaints stored before the lifecycle existed, or never posted to Slack.
 */
export interface ReminderState {
  /** Reminders posted in the Slack thread so far. */
  readonly sent: number;
  /** When the next reminder (or the escalation) is due, ISO-8601; null: none is scheduled. */
  readonly nextAt: string | null;
  /**
   * `<instance>:<step>:<epochMs>` while a Slack instance is posting step
   * `<step>` (a reminder number, or `e` for the escalation); null otherwise.
   */
  readonly claim: string | null;
  /** When the escalation was posted, ISO-8601. */
  readonly escalatedAt: string | null;
  /** The escalation post, once posted. */
  readonly escalationMessage: SlackMessageRef | null;
  /** Reminders are paused until then, ISO-8601 (kept after it passed). */
  readonly snoozedUntil: string | null;
}

export const NO_REMINDERS: ReminderState = Object.freeze({ sent: 0, nextAt: null, claim: null, escalatedAt: null, escalationMessage: null, snoozedUntil: null });

/** `r`, or undefined when it holds nothing (no reminder sent, scheduled, claimed or snoozed): both stores leave such state out. */
export function storedReminders(r: ReminderState): ReminderState | undefined {
  const empty = r.sent === 0 && r.nextAt === null && r.claim === null && r.escalatedAt === null && r.escalationMessage === null && r.snoozedUntil === null;
  return empty ? undefined : r;
}

/** A complaint as stored and served: the enriched rating plus its state. */
export interface Complaint {
  readonly id: string;
  readonly rating: EnrichedRating;
  readonly status: ComplaintStatus;
  /** Set from ACKNOWLEDGED on (a RESOLVED complaint keeps it). */
  readonly acknowledgement: Acknowledgement | null;
  readonly slackMessage: SlackMessageRef | null;
  /** Set once RESOLVED; absent or null before. */
  readonly resolution?: Resolution | null;
  /** Absent: no reminder state stored (same as {@link NO_REMINDERS}). */
  readonly reminders?: ReminderState;
}

/** Whether the complaint was acknowledged (ACKNOWLEDGED, or RESOLVED which implies it). */
export const isAcknowledged = (c: Pick<Complaint, 'status'>): boolean => c.status !== ComplaintStatus.Open;

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

/** Kinds of record on the transitions topic (`complaint-transitions`). */
export const TransitionKind = { Acknowledged: 'acknowledged', Resolved: 'resolved' } as const;
export type TransitionKind = (typeof TransitionKind)[keyof typeof TransitionKind];

/** One state change of a complaint, as published to the transitions topic. */
export interface Transition extends Acknowledgement {
  readonly kind: TransitionKind;
}

/** The transitions topic value: the acknowledgement record's fields under neutral names, plus `transition`. */
export function transitionToRecord(t: Transition): Json {
  return { complaint_id: t.complaintId, transition: t.kind, by: t.by, by_name: t.byName, at: t.at, via: t.via, note: t.note };
}

export function parseTransition(value: unknown): Result<Transition> {
  return tryRead(() => {
    if (!isObject(value)) throw new InvalidRecordError('', 'a transition must be a JSON object');
    const kind = readString(value, 'transition', 32);
    if (kind !== TransitionKind.Acknowledged && kind !== TransitionKind.Resolved) throw new InvalidRecordError('transition', `must be acknowledged or resolved, got ${JSON.stringify(kind)}`);
    const via = readVia(value);
    const at = readTime(value, 'at');
    return { kind, ...readWho(value, 'by', 'by_name'), at, via, note: readOptionalString(value, 'note', MAX_NOTE_LENGTH) };
  });
}

export function parseAcknowledgement(value: unknown): Result<Acknowledgement> {
  return tryRead(() => {
    if (!isObject(value)) throw new InvalidRecordError('', 'an acknowledgement must be a JSON object');
    const via = readVia(value);
    const at = readTime(value, 'acknowledged_at');
    return { ...readWho(value, 'acknowledged_by', 'acknowledged_by_name'), at, via, note: readOptionalString(value, 'note', MAX_NOTE_LENGTH) };
  });
}

function readVia(o: Json): AckVia {
  const via = readString(o, 'via', 16);
  if (via !== AckVia.GraphQL && via !== AckVia.Slack) throw new InvalidRecordError('via', `must be graphql or slack, got ${JSON.stringify(via)}`);
  return via;
}

function readTime(o: Json, key: string): string {
  const at = readString(o, key, 64);
  if (Number.isNaN(Date.parse(at))) throw new InvalidRecordError(key, 'must be an ISO-8601 time');
  return at;
}

/** The complaint and who changed it, read in this order (the first broken field is the one reported). */
function readWho(o: Json, byKey: string, byNameKey: string): Pick<Acknowledgement, 'complaintId' | 'by' | 'byName'> {
  return { complaintId: readString(o, 'complaint_id', 64), by: readString(o, byKey, 256), byName: readOptionalString(o, byNameKey, 256) };
}
