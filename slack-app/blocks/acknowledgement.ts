/** Ephemeral replies to the person who clicked Acknowledge. Pure functions. */
import type { Acknowledgement } from '../../src/domain/index.js';
import type { SlackMessageContent } from './complaint-message.js';
import { acknowledgerText, escapeText, slackDate } from './format.js';

/** Told to a clicker who was not first: who was, and when. */
export function alreadyAcknowledgedMessage(ack: Acknowledgement, clickerId: string): SlackMessageContent {
  const at = Date.parse(ack.at);
  const when = Number.isNaN(at) ? escapeText(ack.at) : slackDate(at);
  const text =
    ack.by === clickerId
      ? `You already acknowledged this complaint at ${when}.`
      : `This complaint was already acknowledged by ${acknowledgerText(ack)} at ${when}.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `:information_source: ${text}` } }] };
}

/** Told to a clicker when the acknowledgement could not be recorded. */
export function acknowledgeFailedMessage(reason: string): SlackMessageContent {
  const text = `Sorry, the complaint could not be acknowledged: ${escapeText(reason)}`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `:warning: ${text}` } }] };
}
