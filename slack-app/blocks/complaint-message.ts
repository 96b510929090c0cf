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
  COMPLAINT_ACTIONS_BLOCK_ID,
  COMPLAINT_DETAILS_BLOCK_ID,
  COMPLAINT_HEADER_BLOCK_ID,
  COMPLAINT_LINKS_BLOCK_ID,
  COMPLAINT_MESSAGE_BLOCK_ID,
  COMPLAINT_METADATA_EVENT_TYPE,
  SlackLimits,
} from '../constants.js';
import { acknowledgedText, capitalize, customerName, dashboardLink, escapeText, slackDate, starBar, truncate } from './format.js';

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
  const acknowledged = complaint.status === ComplaintStatus.Acknowledged && complaint.acknowledgement !== null;

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
  } else {
    blocks.push({
      type: 'actions',
      block_id: COMPLAINT_ACTIONS_BLOCK_ID,
      elements: [
        {
          type: 'button',
          action_id: ACK_ACTION_ID,
          text: { type: 'plain_text', text: 'Acknowledge', emoji: true },
          style: 'primary',
          value: complaint.id,
        },
      ],
    });
  }

  const links = [`Complaint ${escapeText(complaint.id)}`];
  if (dashboardUrl) links.push(`<${dashboardLink(dashboardUrl, complaint.id)}|Open in dashboard>`);
  blocks.push({ type: 'context', block_id: COMPLAINT_LINKS_BLOCK_ID, elements: [{ type: 'mrkdwn', text: links.join(' · ') }] });

  const prefix = acknowledged ? '[Acknowledged] ' : '';
  const text = truncate(`${prefix}Complaint from ${name} (${status}, ${rating.stars}★, ${rating.channel}): ${rating.message}`, SlackLimits.fallbackText);
  return { text: escapeText(text), blocks };
}

/** Message metadata naming the complaint, so a post that timed out can be found again. */
export function complaintMetadata(complaintId: string): types.MessageMetadata {
  return { event_type: COMPLAINT_METADATA_EVENT_TYPE, event_payload: { complaint_id: complaintId } };
}

function field(label: string, value: string): types.MrkdwnElement {
  return { type: 'mrkdwn', text: truncate(`*${label}*\n${value}`, SlackLimits.fieldText) };
}

/** The customer's words as a block quote, escaped and cut to fit a section. */
function quote(message: string): string {
  const body = message.trim() === '' ? '_(no message)_' : escapeText(message).replace(/\n/g, '\n>');
  return truncate(`>${body}`, SlackLimits.sectionText);
}
