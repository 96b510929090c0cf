/**
 * Requests signed exactly as Slack signs them
 * (https://docs.slack.dev/authentication/verifying-requests-from-slack):
 * `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the signing
 * secret, in `x-slack-signature`, the timestamp (seconds) in
 * `x-slack-request-timestamp`. Plus the `block_actions` payload Slack sends
 * when a button is clicked, form-encoded as `payload=<json>`.
 */
import { createHmac } from 'node:crypto';
import { ACK_ACTION_ID, COMPLAINT_ACTIONS_BLOCK_ID } from '../../slack-app/constants.js';

export function slackSignature(signingSecret: string, timestampSec: number, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestampSec}:${body}`).digest('hex')}`;
}

export interface SignOptions {
  /** @default now */
  timestampSec?: number;
  /** @default 'application/x-www-form-urlencoded' */
  contentType?: string;
}

/** Headers for `body` as Slack would send them. */
export function signedHeaders(
  body: string,
  signingSecret: string,
  { timestampSec = Math.floor(Date.now() / 1000), contentType = 'application/x-www-form-urlencoded' }: SignOptions = {},
): Record<string, string> {
  return {
    'content-type': contentType,
    'x-slack-request-timestamp': String(timestampSec),
    'x-slack-signature': slackSignature(signingSecret, timestampSec, body),
  };
}

export interface BlockActionOptions {
  complaintId: string;
  user: { id: string; username: string; name?: string };
  channel: string;
  /** ts of the message the button is on. */
  messageTs: string;
  /** @default ACK_ACTION_ID */
  actionId?: string;
  /** @default COMPLAINT_ACTIONS_BLOCK_ID */
  blockId?: string;
  /** @default 'T0000001' */
  teamId?: string;
  /** The message's blocks as Slack echoes them. @default [] */
  messageBlocks?: unknown[];
}

/** A `block_actions` payload for a button click on a channel message. */
export function blockActionPayload(o: BlockActionOptions): Record<string, unknown> {
  const { teamId = 'T0000001', actionId = ACK_ACTION_ID, blockId = COMPLAINT_ACTIONS_BLOCK_ID } = o;
  const actionTs = (Date.now() / 1000).toFixed(6);
  return {
    type: 'block_actions',
    user: { id: o.user.id, username: o.user.username, name: o.user.name ?? o.user.username, team_id: teamId },
    api_app_id: 'A0000001',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: o.messageTs, channel_id: o.channel, is_ephemeral: false },
    trigger_id: '1111.2222.abcd',
    team: { id: teamId, domain: 'example' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: o.channel, name: 'complaints' },
    message: { type: 'message', subtype: 'bot_message', text: 'Complaint', ts: o.messageTs, bot_id: 'B0000001', blocks: o.messageBlocks ?? [] },
    state: { values: {} },
    response_url: 'https://hooks.slack.invalid/actions/T0000001/1/abc',
    actions: [
      {
        type: 'button',
        action_id: actionId,
        block_id: blockId,
        text: { type: 'plain_text', text: 'Acknowledge', emoji: true },
        value: o.complaintId,
        style: 'primary',
        action_ts: actionTs,
      },
    ],
  };
}

/** `payload=<url-encoded JSON>`, as Slack posts interactivity payloads. */
export function formPayload(payload: unknown): string {
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** POSTs `body` with `headers` and returns the status and text. */
export async function postTo(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', body, headers });
  return { status: res.status, text: await res.text() };
}
