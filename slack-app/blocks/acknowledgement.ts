/** Ephemeral replies to the person who clicked Acknowledge. Pure functions. */
import type { Acknowledgement } from '../../src/domain/index.js';
import type { SlackMessageContent } from './complaint-message.js';
import { acknowledgerText, escapeText, slackDate } from './format.js';

/** Told to a clicker of Acknowledge or Resolve who was not first: who was, and when. */
function alreadyDoneMessage(verb: 'acknowledged' | 'resolved', first: Acknowledgement, clickerId: string): SlackMessageContent {
  const at = Date.parse(first.at);
  const when = Number.isNaN(at) ? escapeText(first.at) : slackDate(at);
  const text = first.by === clickerId ? `You already ${verb} this complaint at ${when}.` : `This complaint was already ${verb} by ${acknowledgerText(first)} at ${when}.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `:information_source: ${text}` } }] };
}

/** Told to a clicker of Acknowledge who was not first: who was, and when. */
export function alreadyAcknowledgedMessage(ack: Acknowledgement, clickerId: string): SlackMessageContent {
  return alreadyDoneMessage('acknowledged', ack, clickerId);
}

/** Told to a clicker when the acknowledgement could not be recorded. */
export function acknowledgeFailedMessage(reason: string): SlackMessageContent {
  const text = `Sorry, the complaint could not be acknowledged: ${escapeText(reason)}`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `:warning: ${text}` } }] };
}

/** Told to a clicker of Resolve who was not first: who was, and when. */
export function alreadyResolvedMessage(r: Acknowledgement, clickerId: string): SlackMessageContent {
  return alreadyDoneMessage('resolved', r, clickerId);
}

/** Told to a clicker of Snooze: until when. */
export function snoozedMessage(until: number): SlackMessageContent {
  const text = `Reminders for this complaint are snoozed until ${slackDate(until)}.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `:zzz: ${text}` } }] };
}

/** Told to a clicker when a Resolve or Snooze could not be done. */
export function actionFailedMessage(what: string, reason: string): SlackMessageContent {
  const text = `Sorry, the complaint could not be ${what}: ${escapeText(reason)}`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `:warning: ${text}` } }] };
}
