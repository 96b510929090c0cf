/** The slack section (SLACK_*): the Slack app's tokens, channel and posting limits. */
import { ConfigError } from '../errors.js';
import { int, str, url, type Env } from './env.js';

export interface SlackConfig {
  readonly botToken: string;
  readonly signingSecret: string;
  /** Socket Mode when set. */
  readonly appToken: string | null;
  readonly channel: string;
  /** Base URL of the Web API, ending in `/`. */
  readonly apiUrl: string;
  /** Complaints raised longer ago are not posted (0: all). @default 24 hours */
  readonly postMaxAgeMs: number;
  /**
   * SLACK_CLAIM_TIMEOUT_MS: a post or reminder claimed by an instance that
   * stopped renewing it for this long (it crashed) is taken over. @default 60_000 // ms
   */
  readonly claimTimeoutMs?: number;
}

/** null when no SLACK_* variable is set. */
export function slack(env: Env): SlackConfig | null {
  const botToken = str(env, 'SLACK_BOT_TOKEN');
  const signingSecret = str(env, 'SLACK_SIGNING_SECRET');
  const channel = str(env, 'SLACK_CHANNEL');
  const appToken = str(env, 'SLACK_APP_TOKEN') ?? null;
  const apiUrl = url(env, 'SLACK_API_URL') ?? 'https://slack.com/api/';
  if (botToken === undefined && signingSecret === undefined && channel === undefined && appToken === null) return null;
  if (botToken === undefined) throw new ConfigError('SLACK_BOT_TOKEN', 'is required when any SLACK_* variable is set (xoxb-...)');
  if (signingSecret === undefined) throw new ConfigError('SLACK_SIGNING_SECRET', 'is required when SLACK_BOT_TOKEN is set');
  if (channel === undefined) throw new ConfigError('SLACK_CHANNEL', 'is required when SLACK_BOT_TOKEN is set (a channel id such as C0123456789)');
  if (appToken !== null && !appToken.startsWith('xapp-')) throw new ConfigError('SLACK_APP_TOKEN', 'expected an app-level token starting with xapp-');
  const postMaxAgeMs = int(env, 'SLACK_POST_MAX_AGE_HOURS', 24, 0, 24 * 365) * 3_600_000;
  const claimTimeoutMs = int(env, 'SLACK_CLAIM_TIMEOUT_MS', 60_000, 1_000, 3_600_000);
  return { botToken, signingSecret, appToken, channel, apiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`, postMaxAgeMs, claimTimeoutMs };
}
