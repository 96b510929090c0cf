/**
 * Complaints as the dashboard shows them, and what can be done to each.
 * Statuses and actions are data: a new state (say RESOLVED) is one entry in
 * STATUS and, with its mutation, one in ACTIONS; the views render whatever
 * is listed.
 */
import { gql } from './api.js';

export interface Acknowledgement {
  by: string;
  byName: string | null;
  at: string;
  via: string;
  note: string | null;
}

export type Resolution = Acknowledgement;

export interface Complaint {
  id: string;
  status: string;
  raisedAt: string;
  rating: { stars: number; channel: string; message: string; routeId: number | null };
  customer: { id: string; fullName: string; email: string | null; clubStatus: string | null };
  acknowledgement: Acknowledgement | null;
  resolution: Resolution | null;
  slackMessage: { channel: string; ts: string } | null;
  remindersSent: number;
  nextReminderAt: string | null;
  escalatedAt: string | null;
  snoozedUntil: string | null;
}

export const COMPLAINT_FIELDS = `id status raisedAt
  rating { stars channel message routeId }
  customer { id fullName email clubStatus }
  acknowledgement { by byName at via note }
  resolution { by byName at via note }
  slackMessage { channel ts }
  remindersSent nextReminderAt escalatedAt snoozedUntil`;

/**
 * The Slack line of a complaint. A ts starting `unknown:` (src/domain SLACK_UNKNOWN_MESSAGE_PREFIX)
 * names no message: an attempt that died may have posted it, and the app cannot read the channel
 * history to tell, so it did not post it again.
 */
export const slackLine = (ref: Complaint['slackMessage']): string =>
  ref === null ? 'not posted' : ref.ts.startsWith('unknown:') ? `maybe posted in ${ref.channel} (the Slack app cannot read the channel history to tell)` : `posted in ${ref.channel}`;

/** How each status reads; `tone` picks the colour (only what needs action is red). */
export type Tone = 'alert' | 'warn' | 'done' | 'muted';
export const STATUS: Readonly<Record<string, { label: string; tone: Tone }>> = {
  OPEN: { label: 'Open', tone: 'alert' },
  ACKNOWLEDGED: { label: 'Acknowledged', tone: 'warn' },
  RESOLVED: { label: 'Resolved', tone: 'done' },
};
export const statusOf = (s: string): { label: string; tone: Tone } => STATUS[s] ?? { label: s.charAt(0) + s.slice(1).toLowerCase(), tone: 'muted' };

/** The filters of the queue, in order (null: every status). */
export const FILTERS: readonly { status: string | null; label: string }[] = [
  { status: 'OPEN', label: 'Open' },
  { status: 'ACKNOWLEDGED', label: 'Acknowledged' },
  { status: 'RESOLVED', label: 'Resolved' },
  { status: null, label: 'All' },
];

export interface ActionResult {
  complaint: Complaint;
  /** Said to the user after the action (e.g. who was first). */
  message: string;
}

/** One choice of an action that takes one (e.g. how long to snooze); the first is the default. */
export interface ActionChoice {
  label: string;
  /** The value `run` receives, computed when the button is pressed. */
  value(): string;
}

export interface ComplaintAction {
  /** The button's accessible name. */
  label: string;
  /** Statuses it applies to. */
  from: readonly string[];
  /** Whether it takes the optional note. */
  note: boolean;
  /** The main action of its statuses (drawn filled); the others are drawn plain. */
  primary: boolean;
  /** Choices offered next to the button where there is room (the complaint page); elsewhere the first. */
  choices?: { label: string; options: readonly ActionChoice[] };
  run(id: string, note: string | null, choice: string | null): Promise<ActionResult>;
}

const HOUR = 3_600_000;
/** The next 09:00 local time: always within the server's 24 h limit. */
function nextMorning(now = new Date()): Date {
  const d = new Date(now);
  d.setHours(9, 0, 0, 0);
  if (d.getTime() <= now.getTime()) d.setDate(d.getDate() + 1);
  return d;
}
const inMs = (ms: number) => (): string => new Date(Date.now() + ms).toISOString();

const who = (a: Acknowledgement): string => a.byName ?? a.by;

/**
 * Acknowledge and Resolve: the same mutation shape (outcome, the transition as
 * recorded, the complaint as it is now); a second agent learns who was first.
 */
function agentTransition(
  operation: 'Acknowledge' | 'Resolve',
  field: 'acknowledgeComplaint' | 'resolveComplaint',
  recordField: 'acknowledgement' | 'resolution',
  done: 'ACKNOWLEDGED' | 'RESOLVED',
  verb: string,
): ComplaintAction['run'] {
  return async (id, note) => {
    const r = await gql<Record<string, { outcome: string; complaint: Complaint } & Partial<Record<typeof recordField, Acknowledgement>>>>(
      `mutation ${operation}($id: ID!, $note: String) { ${field}(id: $id, note: $note) { outcome ${recordField} { by byName at via note } complaint { ${COMPLAINT_FIELDS} } } }`,
      { id, note },
    );
    const answer = r[field]!;
    const record = answer[recordField]!;
    return {
      complaint: answer.complaint,
      message: answer.outcome === done ? `Complaint ${id} ${verb}.` : `Already ${verb} by ${who(record)} via ${record.via.toLowerCase()}.`,
    };
  };
}

export const ACTIONS: readonly ComplaintAction[] = [
  {
    label: 'Acknowledge',
    from: ['OPEN'],
    note: true,
    primary: true,
    run: agentTransition('Acknowledge', 'acknowledgeComplaint', 'acknowledgement', 'ACKNOWLEDGED', 'acknowledged'),
  },
  {
    // The server lets an OPEN complaint be resolved too (it is acknowledged in the same step): docs/lifecycle.md.
    label: 'Resolve',
    from: ['OPEN', 'ACKNOWLEDGED'],
    note: true,
    primary: false,
    run: agentTransition('Resolve', 'resolveComplaint', 'resolution', 'RESOLVED', 'resolved'),
  },
  {
    // Pauses reminders only (not a state change); the server takes at most 24 h ahead.
    label: 'Snooze',
    from: ['OPEN'],
    note: false,
    primary: false,
    choices: {
      label: 'Snooze reminders for',
      options: [
        { label: '1 hour', value: inMs(HOUR) },
        { label: '4 hours', value: inMs(4 * HOUR) },
        { label: 'Until 9:00', value: () => nextMorning().toISOString() },
      ],
    },
    async run(id, _note, choice) {
      const until = choice ?? inMs(HOUR)();
      const r = await gql<{ snoozeComplaint: Complaint }>(`mutation Snooze($id: ID!, $until: DateTime!) { snoozeComplaint(id: $id, until: $until) { ${COMPLAINT_FIELDS} } }`, { id, until });
      return { complaint: r.snoozeComplaint, message: `Reminders for complaint ${id} snoozed until ${new Date(r.snoozeComplaint.snoozedUntil ?? until).toLocaleString()}.` };
    },
  },
];

export const actionsFor = (c: Complaint): ComplaintAction[] => ACTIONS.filter((a) => a.from.includes(c.status));

/** "olivia via GraphQL": who acknowledged (or resolved) and through which surface. */
export function ackLine(a: Acknowledgement | null): string {
  if (!a) return '';
  return `${who(a)} via ${a.via === 'SLACK' ? 'Slack' : a.via === 'GRAPHQL' ? 'GraphQL' : a.via.toLowerCase()}`;
}

/** Whether reminders are paused now (snoozedUntil is kept after it passed). */
export const isSnoozed = (c: Complaint, now = Date.now()): boolean => c.status === 'OPEN' && c.snoozedUntil !== null && Date.parse(c.snoozedUntil) > now;
