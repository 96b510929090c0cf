/** The lifecycle section: reminders and escalation of unacknowledged complaints (docs/lifecycle.md). */
import { ConfigError } from '../errors.js';
import { int, parseDuration, str, type Env } from './env.js';

export interface LifecycleConfig {
  /** REMIND_AFTER: first reminder this long after a complaint was raised, then again as long after each; 0: off. @default 900_000 // 15 minutes */
  readonly remindAfterMs: number;
  /** REMIND_MAX: reminders at most. @default 3 */
  readonly remindMax: number;
  /** ESCALATION_CHANNEL: where the one escalation post goes after the last reminder; null: no escalation. */
  readonly escalationChannel: string | null;
  /** ESCALATION_MENTION as Slack mrkdwn (`<!subteam^S…>` or `<@U…>`), or null. */
  readonly escalationMention: string | null;
}

export function lifecycle(env: Env): LifecycleConfig {
  const raw = str(env, 'REMIND_AFTER');
  const remindAfterMs = raw === undefined ? 900_000 : parseDuration('REMIND_AFTER', raw);
  if (remindAfterMs !== 0 && (remindAfterMs < 1_000 || remindAfterMs > 7 * 86_400_000))
    throw new ConfigError('REMIND_AFTER', `expected 0 (off) or a duration between 1s and 7d, got ${JSON.stringify(raw)}`);
  const escalationChannel = str(env, 'ESCALATION_CHANNEL') ?? null;
  if (escalationChannel !== null && !/^[A-Z0-9]{2,32}$/.test(escalationChannel))
    throw new ConfigError('ESCALATION_CHANNEL', `expected a Slack channel id such as C0123456789, got ${JSON.stringify(escalationChannel)}`);
  const mention = str(env, 'ESCALATION_MENTION') ?? null;
  let escalationMention: string | null = null;
  if (mention !== null) {
    if (/^S[A-Z0-9]{2,}$/.test(mention)) escalationMention = `<!subteam^${mention}>`;
    else if (/^[UW][A-Z0-9]{2,}$/.test(mention)) escalationMention = `<@${mention}>`;
    else throw new ConfigError('ESCALATION_MENTION', `expected a Slack user group id (S…) or user id (U…/W…), got ${JSON.stringify(mention)}`);
  }
  return { remindAfterMs, remindMax: int(env, 'REMIND_MAX', 3, 0, 100), escalationChannel, escalationMention };
}
