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

export interface Complaint {
  id: string;
  status: string;
  raisedAt: string;
  rating: { stars: number; channel: string; message: string; routeId: number | null };
  customer: { id: string; fullName: string; email: string | null; clubStatus: string | null };
  acknowledgement: Acknowledgement | null;
  slackMessage: { channel: string; ts: string } | null;
}

export const COMPLAINT_FIELDS = `id status raisedAt
  rating { stars channel message routeId }
  customer { id fullName email clubStatus }
  acknowledgement { by byName at via note }
  slackMessage { channel ts }`;

/** How each status reads; `tone` picks the colour (only what needs action is red). */
export const STATUS: Readonly<Record<string, { label: string; tone: 'alert' | 'done' | 'muted' }>> = {
  OPEN: { label: 'Open', tone: 'alert' },
  ACKNOWLEDGED: { label: 'Acknowledged', tone: 'done' },
};
export const statusOf = (s: string): { label: string; tone: 'alert' | 'done' | 'muted' } => STATUS[s] ?? { label: s.charAt(0) + s.slice(1).toLowerCase(), tone: 'muted' };

/** The filters of the queue, in order (null: every status). */
export const FILTERS: readonly { status: string | null; label: string }[] = [
  { status: 'OPEN', label: 'Open' },
  { status: 'ACKNOWLEDGED', label: 'Acknowledged' },
  { status: null, label: 'All' },
];

export interface ActionResult {
  complaint: Complaint;
  /** Said to the user after the action (e.g. who was first). */
  message: string;
}

export interface ComplaintAction {
  /** The button's accessible name. */
  label: string;
  /** Statuses it applies to. */
  from: readonly string[];
  /** Whether it takes the optional note. */
  note: boolean;
  run(id: string, note: string | null): Promise<ActionResult>;
}

const who = (a: Acknowledgement): string => a.byName ?? a.by;

export const ACTIONS: readonly ComplaintAction[] = [
  {
    label: 'Acknowledge',
    from: ['OPEN'],
    note: true,
    async run(id, note) {
      const r = await gql<{ acknowledgeComplaint: { outcome: string; acknowledgement: Acknowledgement; complaint: Complaint } }>(
        `mutation Acknowledge($id: ID!, $note: String) { acknowledgeComplaint(id: $id, note: $note) { outcome acknowledgement { by byName at via note } complaint { ${COMPLAINT_FIELDS} } } }`,
        { id, note },
      );
      const { outcome, acknowledgement, complaint } = r.acknowledgeComplaint;
      return {
        complaint,
        message: outcome === 'ACKNOWLEDGED' ? `Complaint ${id} acknowledged.` : `Already acknowledged by ${who(acknowledgement)} via ${acknowledgement.via.toLowerCase()}.`,
      };
    },
  },
];

export const actionsFor = (c: Complaint): ComplaintAction[] => ACTIONS.filter((a) => a.from.includes(c.status));

export function ackLine(a: Acknowledgement | null): string {
  if (!a) return '';
  return `${who(a)} via ${a.via === 'SLACK' ? 'Slack' : a.via === 'GRAPHQL' ? 'GraphQL' : a.via.toLowerCase()}`;
}
