/**
 * The documents stored in Elasticsearch, and the mapping between them and the
 * domain, in one place. Documents are snake_case; `channel` keeps the raw
 * spelling (`iOS-test`), `channel_family` the dashboard grouping
 * ({@link normalizeChannel}).
 */
import {
  ComplaintStatus,
  normalizeChannel,
  ratingToRecord,
  type RatingRecord,
  type Acknowledgement,
  type AckVia,
  type Complaint,
  type Customer,
  type EnrichedRating,
  storedReminders,
  type ReminderState,
  type Resolution,
  type SlackMessageRef,
} from '../../domain/index.js';
import type { ReminderPatch } from '../../ports/search.js';

export interface CustomerDoc {
  id: number;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  gender: string | null;
  club_status: string | null;
  comments: string | null;
  create_ts: string | null;
  update_ts: string | null;
}

/** A rating as indexed: its wire fields (`RatingRecord`), the channel family and the customer joined into it. */
export interface RatingDoc extends RatingRecord {
  channel_family: string;
  customer: CustomerDoc;
}

export interface ComplaintDoc extends RatingDoc {
  status: ComplaintStatus;
  acknowledged_by: string | null;
  acknowledged_by_name: string | null;
  /** ISO-8601. */
  acknowledged_at: string | null;
  acknowledged_via: AckVia | null;
  ack_note: string | null;
  slack_channel: string | null;
  slack_ts: string | null;
  /** When the sink first stored the complaint, ISO-8601. */
  raised_at: string;
  /**
   * The acknowledgement outbox flag: false from the acknowledging update until
   * the acknowledgement was published to `complaint-acknowledgements`. Absent
   * on open complaints and on those acknowledged before the flag existed.
   */
  ack_published?: boolean;
  /** Raised → acknowledged, ms (for complaintStats percentiles without scripts). */
  time_to_ack_ms?: number | null;
  resolved_by?: string | null;
  resolved_by_name?: string | null;
  /** ISO-8601. */
  resolved_at?: string | null;
  resolved_via?: AckVia | null;
  resolve_note?: string | null;
  /** The resolution outbox flag, as `ack_published`. */
  resolve_published?: boolean;
  time_to_resolve_ms?: number | null;
  reminders_sent?: number;
  /** ISO-8601; null: nothing scheduled. The reminder scheduler searches `next_reminder_at <= now`. */
  next_reminder_at?: string | null;
  reminder_claim?: string | null;
  escalated_at?: string | null;
  escalation_channel?: string | null;
  escalation_ts?: string | null;
  snoozed_until?: string | null;
}

export const customerToDoc = (c: Customer): CustomerDoc => ({
  id: c.id,
  first_name: c.firstName,
  last_name: c.lastName,
  email: c.email,
  gender: c.gender,
  club_status: c.clubStatus,
  comments: c.comments,
  create_ts: c.createTs,
  update_ts: c.updateTs,
});

export const docToCustomer = (d: Partial<CustomerDoc>): Customer => ({
  id: d.id ?? 0,
  firstName: d.first_name ?? null,
  lastName: d.last_name ?? null,
  email: d.email ?? null,
  gender: d.gender ?? null,
  clubStatus: d.club_status ?? null,
  comments: d.comments ?? null,
  createTs: d.create_ts ?? null,
  updateTs: d.update_ts ?? null,
});

export const ratingToDoc = (r: EnrichedRating): RatingDoc => ({
  ...ratingToRecord(r),
  channel_family: normalizeChannel(r.channel),
  customer: customerToDoc(r.customer),
});

export const docToRating = (d: RatingDoc): EnrichedRating => ({
  ratingId: d.rating_id,
  userId: d.user_id,
  stars: d.stars,
  routeId: d.route_id ?? null,
  ratingTime: d.rating_time,
  channel: d.channel,
  message: d.message ?? '',
  customer: docToCustomer(d.customer ?? {}),
});

/** The fields an acknowledgement sets (a partial-document update). */
export const acknowledgementToDoc = (a: Acknowledgement): Pick<ComplaintDoc, 'status' | 'acknowledged_by' | 'acknowledged_by_name' | 'acknowledged_at' | 'acknowledged_via' | 'ack_note'> => ({
  status: ComplaintStatus.Acknowledged,
  acknowledged_by: a.by,
  acknowledged_by_name: a.byName,
  acknowledged_at: a.at,
  acknowledged_via: a.via,
  ack_note: a.note,
});

/** The fields a resolution sets; clears the next reminder. */
export const resolutionToDoc = (r: Resolution): Partial<ComplaintDoc> => ({
  status: ComplaintStatus.Resolved,
  resolved_by: r.by,
  resolved_by_name: r.byName,
  resolved_at: r.at,
  resolved_via: r.via,
  resolve_note: r.note,
  next_reminder_at: null,
});

/** The fields a reminder patch sets (absent keys untouched). */
export function reminderPatchToDoc(p: ReminderPatch): Partial<ComplaintDoc> {
  const d: Partial<ComplaintDoc> = {};
  if (p.sent !== undefined) d.reminders_sent = p.sent;
  if (p.nextAt !== undefined) d.next_reminder_at = p.nextAt;
  if (p.claim !== undefined) d.reminder_claim = p.claim;
  if (p.escalatedAt !== undefined) d.escalated_at = p.escalatedAt;
  if (p.escalationMessage !== undefined) {
    d.escalation_channel = p.escalationMessage?.channel ?? null;
    d.escalation_ts = p.escalationMessage?.ts ?? null;
  }
  if (p.snoozedUntil !== undefined) d.snoozed_until = p.snoozedUntil;
  return d;
}

function docToReminders(d: ComplaintDoc): ReminderState | undefined {
  return storedReminders({
    sent: d.reminders_sent ?? 0,
    nextAt: d.next_reminder_at ?? null,
    claim: d.reminder_claim ?? null,
    escalatedAt: d.escalated_at ?? null,
    escalationMessage: d.escalation_channel && d.escalation_ts ? { channel: d.escalation_channel, ts: d.escalation_ts } : null,
    snoozedUntil: d.snoozed_until ?? null,
  });
}

/** The fields a Slack message reference sets or, with null, clears. */
export const slackMessageToDoc = (ref: SlackMessageRef | null): Pick<ComplaintDoc, 'slack_channel' | 'slack_ts'> => ({
  slack_channel: ref?.channel ?? null,
  slack_ts: ref?.ts ?? null,
});

export const complaintToDoc = (c: Complaint, raisedAt: Date = new Date()): ComplaintDoc => ({
  ...ratingToDoc(c.rating),
  ...(c.acknowledgement ? acknowledgementToDoc(c.acknowledgement) : { acknowledged_by: null, acknowledged_by_name: null, acknowledged_at: null, acknowledged_via: null, ack_note: null }),
  status: c.status,
  ...slackMessageToDoc(c.slackMessage),
  raised_at: raisedAt.toISOString(),
});

export function docToComplaint(id: string, d: ComplaintDoc): Complaint {
  const resolved = d.status === ComplaintStatus.Resolved;
  const acknowledged = resolved || d.status === ComplaintStatus.Acknowledged;
  const reminders = docToReminders(d);
  return {
    id,
    rating: docToRating(d),
    status: resolved ? ComplaintStatus.Resolved : acknowledged ? ComplaintStatus.Acknowledged : ComplaintStatus.Open,
    acknowledgement:
      acknowledged && d.acknowledged_by !== null && d.acknowledged_at !== null
        ? {
            complaintId: id,
            by: d.acknowledged_by,
            byName: d.acknowledged_by_name ?? null,
            at: d.acknowledged_at,
            via: d.acknowledged_via ?? 'graphql',
            note: d.ack_note ?? null,
          }
        : null,
    slackMessage: d.slack_channel && d.slack_ts ? { channel: d.slack_channel, ts: d.slack_ts } : null,
    ...(resolved && d.resolved_by && d.resolved_at
      ? { resolution: { complaintId: id, by: d.resolved_by, byName: d.resolved_by_name ?? null, at: d.resolved_at, via: d.resolved_via ?? 'graphql', note: d.resolve_note ?? null } }
      : {}),
    ...(reminders ? { reminders } : {}),
  };
}
