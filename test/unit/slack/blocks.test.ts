import { describe, expect, it } from 'vitest';
import { ComplaintStatus, openComplaint, type Acknowledgement, type Complaint } from '../../../src/domain/index.js';
import { acknowledgeFailedMessage, alreadyAcknowledgedMessage, complaintMessage, complaintMetadata } from '../../../slack-app/blocks/index.js';
import { escapeText, starBar, truncate } from '../../../slack-app/blocks/format.js';
import {
  ACK_ACTION_ID,
  ACK_STATUS_BLOCK_ID,
  COMPLAINT_ACTIONS_BLOCK_ID,
  COMPLAINT_LINKS_BLOCK_ID,
  COMPLAINT_METADATA_EVENT_TYPE,
  RESOLVE_ACTION_ID,
  SNOOZE_ACTION_ID,
  SlackLimits,
} from '../../../slack-app/constants.js';
import { complaintRating } from './harness.js';

const ACK_AT = '2024-05-01T10:20:30.000Z';
const slackAck = (by = 'U0ALICE'): Acknowledgement => ({ complaintId: '1', by, byName: 'alice', at: ACK_AT, via: 'slack', note: null });
const acknowledged = (c: Complaint, ack: Acknowledgement): Complaint => ({ ...c, status: ComplaintStatus.Acknowledged, acknowledgement: ack });
const json = (x: unknown): string => JSON.stringify(x);

describe('complaintMessage', () => {
  const complaint = openComplaint(complaintRating({ ratingId: 42 }));

  it('shows an Acknowledge button carrying the complaint id while the complaint is open', () => {
    const { blocks } = complaintMessage(complaint);
    const actions = blocks.find((b) => b.block_id === COMPLAINT_ACTIONS_BLOCK_ID);
    expect(actions).toEqual({
      type: 'actions',
      block_id: COMPLAINT_ACTIONS_BLOCK_ID,
      elements: [
        { type: 'button', action_id: ACK_ACTION_ID, text: { type: 'plain_text', text: 'Acknowledge', emoji: true }, style: 'primary', value: '42' },
        { type: 'button', action_id: SNOOZE_ACTION_ID, text: { type: 'plain_text', text: 'Snooze', emoji: true }, value: '42' },
      ],
    });
    expect(blocks.some((b) => b.block_id === ACK_STATUS_BLOCK_ID)).toBe(false);
  });

  it('replaces the button by who acknowledged and when, as a mention for a Slack user', () => {
    const { blocks, text } = complaintMessage(acknowledged(complaint, slackAck()));
    // Acknowledged: the only button left is Resolve.
    expect((blocks.find((b) => b.block_id === COMPLAINT_ACTIONS_BLOCK_ID) as { elements?: unknown } | undefined)?.elements).toEqual([
      expect.objectContaining({ action_id: RESOLVE_ACTION_ID, text: expect.objectContaining({ text: 'Resolve' }) }),
    ]);
    const status = blocks.find((b) => b.block_id === ACK_STATUS_BLOCK_ID);
    expect(json(status)).toContain('Acknowledged by <@U0ALICE> at <!date^1714558830^{date_short_pretty} at {time}|2024-05-01 10:20 UTC>');
    expect(text.startsWith('[Acknowledged] ')).toBe(true);
  });

  it('names a GraphQL acknowledger and quotes the note, escaped', () => {
    const ack: Acknowledgement = { ...slackAck('api-key-1'), byName: 'Dana <ops>', via: 'graphql', note: 'called <@U1> back' };
    const status = complaintMessage(acknowledged(complaint, ack)).blocks.find((b) => b.block_id === ACK_STATUS_BLOCK_ID);
    expect(json(status)).toContain('Acknowledged by *Dana &lt;ops&gt;* (via GraphQL)');
    expect(json(status)).toContain('>called &lt;@U1&gt; back');
  });

  it('links to the dashboard only when a dashboard URL is configured', () => {
    const withLink = complaintMessage(complaint, { dashboardUrl: 'https://dash.example.com/' });
    expect(json(withLink.blocks.find((b) => b.block_id === COMPLAINT_LINKS_BLOCK_ID))).toContain('<https://dash.example.com/complaints/42|Open in dashboard>');
    expect(json(complaintMessage(complaint).blocks)).not.toContain('Open in dashboard');
  });

  it('escapes what customers write, so a message cannot ping the channel or forge links', () => {
    const evil = openComplaint(complaintRating({ message: '<!channel> <http://x|click> & more', customer: { ...complaintRating().customer, firstName: '<!here>' } }));
    const { blocks, text } = complaintMessage(evil);
    // The header is plain_text, which Slack never parses for mentions; everything in mrkdwn is escaped.
    expect(blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    expect(json(blocks.slice(1))).not.toMatch(/<!channel>|<!here>|<http:\/\/x/);
    expect(json(blocks.slice(1))).toContain('&lt;!channel&gt;');
    expect(text).not.toMatch(/<!channel>/);
  });

  it('stays within Block Kit limits for the longest messages', () => {
    const long = openComplaint(complaintRating({ message: 'x'.repeat(16_384), customer: { ...complaintRating().customer, firstName: 'N'.repeat(300) } }));
    const { blocks, text } = complaintMessage(long);
    const header = blocks[0] as { text: { text: string } };
    expect(header.text.text.length).toBeLessThanOrEqual(SlackLimits.headerText);
    for (const b of blocks) if (b.type === 'section' && b.text) expect(b.text.text.length).toBeLessThanOrEqual(SlackLimits.sectionText);
    expect(text.length).toBeLessThanOrEqual(SlackLimits.fallbackText + 100);
  });

  it('falls back to the email, then the customer id, when there is no name', () => {
    const noName = { ...complaintRating().customer, firstName: null, lastName: null };
    expect(json(complaintMessage(openComplaint(complaintRating({ customer: noName }))).blocks[0])).toContain('rblaisdell0@rambler.ru');
    expect(json(complaintMessage(openComplaint(complaintRating({ customer: { ...noName, email: null } }))).blocks[0])).toContain('customer 1');
  });

  it('names the complaint in message metadata', () => {
    expect(complaintMetadata('42')).toEqual({ event_type: COMPLAINT_METADATA_EVENT_TYPE, event_payload: { complaint_id: '42' } });
  });
});

describe('ephemeral replies', () => {
  it('tells another clicker who was first and when', () => {
    expect(alreadyAcknowledgedMessage(slackAck(), 'U0BOB').text).toBe(
      'This complaint was already acknowledged by <@U0ALICE> at <!date^1714558830^{date_short_pretty} at {time}|2024-05-01 10:20 UTC>.',
    );
  });

  it('tells the first clicker they already did it', () => {
    expect(alreadyAcknowledgedMessage(slackAck(), 'U0ALICE').text).toMatch(/^You already acknowledged this complaint at /);
  });

  it('explains a failure without markup injection', () => {
    expect(acknowledgeFailedMessage('complaint "<x>" was not found').text).toContain('&lt;x&gt;');
  });
});

describe('format helpers', () => {
  it('draws stars out of five, clamped', () => {
    expect(starBar(1)).toBe('★☆☆☆☆');
    expect(starBar(5)).toBe('★★★★★');
    expect(starBar(9)).toBe('★★★★★');
  });

  it("escapes exactly Slack's three control characters", () => {
    expect(escapeText('a & b < c > d *e*')).toBe('a &amp; b &lt; c &gt; d *e*');
  });

  it('truncates with an ellipsis, within the limit', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
  });
});
