/**
 * The Slack app's public surface, for the composition root (src/main.ts).
 * Everything else in slack-app/ is internal.
 */
export { createSlackRole, type SlackRole, type SlackRoleOptions, type SlackRoleTuning, type SlackRoleState } from './role.js';
export { SLACK_EVENTS_PATH, ACK_ACTION_ID } from './constants.js';
