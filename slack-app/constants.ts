/**
 * Every identifier the Slack app shares with Slack: action ids, block ids,
 * the message-metadata event type, the HTTP path. Kept in one file so a
 * rename cannot miss a listener (STYLE.md: "Slack action_ids are constants in
 * one file").
 */

/** The Acknowledge button on a complaint message. */
export const ACK_ACTION_ID = 'complaint_acknowledge';

/** The Resolve button, on an acknowledged complaint's message. */
export const RESOLVE_ACTION_ID = 'complaint_resolve';

/** The Snooze button, on an open complaint's message: pauses reminders for {@link SNOOZE_BUTTON_MS}. */
export const SNOOZE_ACTION_ID = 'complaint_snooze';

/** How long the Snooze button pauses reminders. @default 3_600_000 // 1 hour */
export const SNOOZE_BUTTON_MS = 3_600_000;

/** The context block saying who resolved it and when. */
export const RESOLVED_STATUS_BLOCK_ID = 'complaint_resolved_status';

/** The context block saying until when reminders are snoozed. */
export const SNOOZE_STATUS_BLOCK_ID = 'complaint_snooze_status';

/** The mention line of an escalation post. */
export const ESCALATION_BLOCK_ID = 'complaint_escalation';

/**
 * `metadata.event_type` of a reminder reply (`event_payload`: `complaint_id`,
 * `reminder` n) and of an escalation post (`complaint_id`): how a scheduler
 * taking over a claim finds out whether the step was already posted.
 */
export const REMINDER_METADATA_EVENT_TYPE = 'feedback_complaint_reminder';
export const ESCALATION_METADATA_EVENT_TYPE = 'feedback_complaint_escalated';

/** The actions block holding {@link ACK_ACTION_ID}; replaced by {@link ACK_STATUS_BLOCK_ID} once acknowledged. */
export const COMPLAINT_ACTIONS_BLOCK_ID = 'complaint_actions';

/** The context block saying who acknowledged and when. */
export const ACK_STATUS_BLOCK_ID = 'complaint_ack_status';

/** The header, details and message blocks of a complaint message. */
export const COMPLAINT_HEADER_BLOCK_ID = 'complaint_header';
export const COMPLAINT_DETAILS_BLOCK_ID = 'complaint_details';
export const COMPLAINT_MESSAGE_BLOCK_ID = 'complaint_message';
export const COMPLAINT_LINKS_BLOCK_ID = 'complaint_links';

/**
 * `metadata.event_type` of every complaint message; `event_payload.complaint_id`
 * names the complaint. Lets the poster find a message whose post timed out
 * (conversations.history) instead of posting it twice.
 */
export const COMPLAINT_METADATA_EVENT_TYPE = 'feedback_complaint_posted';

/** Where Slack sends interactivity and events (manifest `request_url`). */
export const SLACK_EVENTS_PATH = '/slack/events';

/**
 * Requests whose `x-slack-request-timestamp` is further than this from now are
 * refused (401), against replays (https://docs.slack.dev/authentication/verifying-requests-from-slack).
 */
export const MAX_REQUEST_AGE_SEC = 5 * 60;

/** Slack allows about one message per second per channel (chat.postMessage). @default 1_000 // ms */
export const DEFAULT_POST_INTERVAL_MS = 1_000;

/** A pending claim older than this is presumed abandoned and may be re-claimed. @default 60_000 // 1 minute */
export const DEFAULT_CLAIM_TIMEOUT_MS = 60_000;

/** One Web API call is abandoned (and counted as ambiguous) after this. @default 10_000 // 10 seconds */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

/** Block Kit limits we must stay under (https://docs.slack.dev/reference/block-kit/blocks). */
export const SlackLimits = Object.freeze({
  headerText: 150,
  sectionText: 3_000,
  fieldText: 2_000,
  contextText: 2_000,
  fallbackText: 4_000,
});
