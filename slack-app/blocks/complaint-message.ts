/**
 * The complaint message: who complained, how, about what, and either an
 * Acknowledge button or who acknowledged it. A pure function of the
 * complaint, so posting, the click and "acknowledged elsewhere" render
 * exactly the same message.
 */
import type { types } from '@slack/bolt';
import { ComplaintStatus, type Complaint } from '../../src/domain/index.js';
import {
  ACK_ACTION_ID,
  ACK_STATUS_BLOCK_ID,
  ESCALATION_BLOCK_ID,
  ESCALATION_METADATA_EVENT_TYPE,
  REMINDER_METADATA_EVENT_TYPE,
  RESOLVE_ACTION_ID,
  RESOLVED_STATUS_BLOCK_ID,
  SNOOZE_ACTION_ID,
  SNOOZE_STATUS_BLOCK_ID,
  COMPLAINT_ACTIONS_BLOCK_ID,
  COMPLAINT_DETAILS_BLOCK_ID,
  COMPLAINT_HEADER_BLOCK_ID,
  COMPLAINT_LINKS_BLOCK_ID,
  COMPLAINT_MESSAGE_BLOCK_ID,
  COMPLAINT_METADATA_EVENT_TYPE,
  SlackLimits,
} from '../constants.js';
import { acknowledgedText, capitalize, customerName, dashboardLink, escapeText, resolvedText, slackDate, starBar, truncate } from './format.js';

export interface SlackMessageContent {
  /** Notification and accessibility fallback. */
  readonly text: string;
  readonly blocks: types.KnownBlock[];
}

export interface ComplaintMessageOptions {
  /** Base URL of the dashboard; adds a link to `${dashboardUrl}/complaints/<id>`. */
  readonly dashboardUrl?: string | null;
}

export function complaintMessage(complaint: Complaint, { dashboardUrl = null }: ComplaintMessageOptions = {}): SlackMessageContent {
  const { rating } = complaint;
  const { customer } = rating;
  const name = customerName(customer);
  const status = customer.clubStatus ?? 'unknown';
  const acknowledged = complaint.status !== ComplaintStatus.Open && complaint.acknowledgement !== null;
  const resolved = complaint.status === ComplaintStatus.Resolved && complaint.resolution ? complaint.resolution : null;

  const blocks: types.KnownBlock[] = [
    {
      type: 'header',
      block_id: COMPLAINT_HEADER_BLOCK_ID,
      text: { type: 'plain_text', text: truncate(`:rotating_light: Complaint from ${name}`, SlackLimits.headerText), emoji: true },
    },
    {
      type: 'section',
      block_id: COMPLAINT_DETAILS_BLOCK_ID,
      fields: [
        field('Customer', escapeText(name)),
        field('Email', customer.email ? `<mailto:${encodeURI(customer.email)}|${escapeText(customer.email)}>` : '_unknown_'),
        field('Club status', escapeText(capitalize(status))),
        field('Stars', `${starBar(rating.stars)} (${rating.stars}/5)`),
        field('Channel', escapeText(rating.channel)),
        field('Time', slackDate(rating.ratingTime)),
      ],
    },
    {
      type: 'section',
      block_id: COMPLAINT_MESSAGE_BLOCK_ID,
      text: { type: 'mrkdwn', text: quote(rating.message) },
    },
  ];

  if (acknowledged && complaint.acknowledgement) {
    blocks.push({
      type: 'context',
      block_id: ACK_STATUS_BLOCK_ID,
      elements: [{ type: 'mrkdwn', text: truncate(acknowledgedText(complaint.acknowledgement), SlackLimits.contextText) }],
    });
    if (resolved) {
      blocks.push({ type: 'context', block_id: RESOLVED_STATUS_BLOCK_ID, elements: [{ type: 'mrkdwn', text: truncate(resolvedText(resolved), SlackLimits.contextText) }] });
    } else {
      blocks.push({ type: 'actions', block_id: COMPLAINT_ACTIONS_BLOCK_ID, elements: [button(RESOLVE_ACTION_ID, 'Resolve', complaint.id, 'primary')] });
    }
  } else {
    const snoozed = complaint.reminders?.snoozedUntil;
    if (snoozed) {
      blocks.push({ type: 'context', block_id: SNOOZE_STATUS_BLOCK_ID, elements: [{ type: 'mrkdwn', text: `:zzz: Reminders snoozed until ${slackDate(Date.parse(snoozed))}` }] });
    }
    blocks.push({
      type: 'actions',
      block_id: COMPLAINT_ACTIONS_BLOCK_ID,
      elements: [button(ACK_ACTION_ID, 'Acknowledge', complaint.id, 'primary'), button(SNOOZE_ACTION_ID, 'Snooze', complaint.id)],
    });
  }

  const links = [`Complaint ${escapeText(complaint.id)}`];
  if (dashboardUrl) links.push(`<${dashboardLink(dashboardUrl, complaint.id)}|Open in dashboard>`);
  blocks.push({ type: 'context', block_id: COMPLAINT_LINKS_BLOCK_ID, elements: [{ type: 'mrkdwn', text: links.join(' · ') }] });

  const prefix = resolved ? '[Resolved] ' : acknowledged ? '[Acknowledged] ' : '';
  const text = truncate(`${prefix}Complaint from ${name} (${status}, ${rating.stars}★, ${rating.channel}): ${rating.message}`, SlackLimits.fallbackText);
  return { text: escapeText(text), blocks };
}

/** Message metadata naming the complaint, so a post that timed out can be found again. */
export function complaintMetadata(complaintId: string): types.MessageMetadata {
  return { event_type: COMPLAINT_METADATA_EVENT_TYPE, event_payload: { complaint_id: complaintId } };
}

/** A reminder reply in the complaint's thread: reminder `n` of `max`. */
export function reminderMessage(complaint: Complaint, n: number, max: number): SlackMessageContent {
  const name = escapeText(customerName(complaint.rating.customer));
  const text = `:alarm_clock: Reminder ${n} of ${max}: the complaint from ${name} (raised ${slackDate(complaint.rating.ratingTime)}) is still not acknowledged.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** The escalation post: who is called in, then the complaint with its buttons. */
export function escalationMessage(complaint: Complaint, o: ComplaintMessageOptions & { readonly mention: string | null; readonly reminders: number }): SlackMessageContent {
  const message = complaintMessage(complaint, o);
  const who = o.mention ? `${o.mention} ` : '';
  const line = `:sos: ${who}this complaint got no acknowledgement after ${o.reminders} reminder${o.reminders === 1 ? '' : 's'}.`;
  return { text: truncate(`${line} ${message.text}`, SlackLimits.fallbackText), blocks: [{ type: 'section', block_id: ESCALATION_BLOCK_ID, text: { type: 'mrkdwn', text: line } }, ...message.blocks] };
}

export function reminderMetadata(complaintId: string, n: number): types.MessageMetadata {
  return { event_type: REMINDER_METADATA_EVENT_TYPE, event_payload: { complaint_id: complaintId, reminder: n } };
}

export function escalationMetadata(complaintId: string): types.MessageMetadata {
  return { event_type: ESCALATION_METADATA_EVENT_TYPE, event_payload: { complaint_id: complaintId } };
}

function button(actionId: string, label: string, value: string, style?: 'primary'): types.Button {
  return { type: 'button', action_id: actionId, text: { type: 'plain_text', text: label, emoji: true }, ...(style ? { style } : {}), value };
}

function field(label: string, value: string): types.MrkdwnElement {
  return { type: 'mrkdwn', text: truncate(`*${label}*\n${value}`, SlackLimits.fieldText) };
}

/** The customer's words as a block quote, escaped and cut to fit a section. */
function quote(message: string): string {
  const body = message.trim() === '' ? '_(no message)_' : escapeText(message).replace(/\n/g, '\n>');
  return truncate(`>${body}`, SlackLimits.sectionText);
}
