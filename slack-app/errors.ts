/**
 * Translates @slack/web-api errors into the product's {@link AppError}, with
 * what the callers branch on: whether to retry, how long Slack asked us to
 * wait, and whether the call may have taken effect although it failed.
 */
import { webApi } from '@slack/bolt';
import { AppError, ErrorCode } from '../src/errors.js';

export type SlackFailureKind =
  /** 429: wait `retryAfterMs`, then try again. */
  | 'rate_limited'
  /** Slack or the network failed; trying again may work. */
  | 'transient'
  /** Token, scopes, channel membership: an operator must fix the configuration. */
  | 'config'
  /** The message (or channel) is gone; nothing to update. */
  | 'gone'
  /** The request itself is wrong (blocks, arguments); repeating it cannot help. */
  | 'invalid';

export interface SlackApiErrorOptions {
  kind: SlackFailureKind;
  method: string;
  /** Slack's `error` string (`channel_not_found`, ...), when it sent one. */
  slackError?: string | undefined;
  retryAfterMs?: number | undefined;
  /** The call may have taken effect (timeout, 5xx, `internal_error`). */
  ambiguous?: boolean;
  cause?: unknown;
}

export class SlackApiError extends AppError {
  readonly kind: SlackFailureKind;
  readonly method: string;
  readonly slackError: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly ambiguous: boolean;

  constructor(message: string, o: SlackApiErrorOptions) {
    super(o.kind === 'rate_limited' ? ErrorCode.RateLimited : ErrorCode.Unavailable, message, {
      retriable: o.kind === 'rate_limited' || o.kind === 'transient',
      cause: o.cause,
      details: { method: o.method, slackError: o.slackError, retryAfterMs: o.retryAfterMs, kind: o.kind },
    });
    this.kind = o.kind;
    this.method = o.method;
    this.slackError = o.slackError;
    this.retryAfterMs = o.retryAfterMs;
    this.ambiguous = o.ambiguous ?? false;
  }
}

export const isSlackApiError = (e: unknown): e is SlackApiError => e instanceof SlackApiError;

/** Errors after which the operator must act (https://docs.slack.dev/reference/methods/chat.postMessage#errors). */
const CONFIG_ERRORS = new Set([
  'not_authed',
  'invalid_auth',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'no_permission',
  'missing_scope',
  'not_allowed_token_type',
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'restricted_action',
  'restricted_action_read_only_channel',
  'restricted_action_thread_only_channel',
  'restricted_action_non_threadable_channel',
  'ekm_access_denied',
  'team_access_not_granted',
  'org_login_required',
  'access_denied',
  'enterprise_is_restricted',
]);

/** The message the call was about no longer exists. */
const GONE_ERRORS = new Set(['message_not_found', 'cant_update_message', 'edit_window_closed', 'user_not_in_channel']);

/**
 * Slack failed on its side; "it's possible some aspect of the operation
 * succeeded before the error was raised" (Slack's words for internal_error).
 */
const TRANSIENT_AMBIGUOUS_ERRORS = new Set(['internal_error', 'fatal_error', 'request_timeout']);
const TRANSIENT_ERRORS = new Set(['service_unavailable', 'ratelimited', 'rate_limited', 'team_added_to_org']);

export function toSlackApiError(e: unknown, method: string): SlackApiError {
  if (e instanceof SlackApiError) return e;
  const code = typeof e === 'object' && e !== null && 'code' in e ? (e as { code: unknown }).code : undefined;
  switch (code) {
    case webApi.ErrorCode.RateLimitedError: {
      const { retryAfter } = e as webApi.WebAPIRateLimitedError;
      return new SlackApiError(`${method}: rate limited by Slack; retry after ${retryAfter} s`, {
        kind: 'rate_limited',
        method,
        retryAfterMs: Math.max(0, retryAfter) * 1000,
        cause: e,
      });
    }
    case webApi.ErrorCode.PlatformError: {
      const slackError = (e as webApi.WebAPIPlatformError).data.error;
      const retryAfter = (e as webApi.WebAPIPlatformError).data.response_metadata?.retryAfter;
      const message = `${method}: Slack answered ${slackError}`;
      if (slackError === 'ratelimited' || slackError === 'rate_limited') {
        return new SlackApiError(message, { kind: 'rate_limited', method, slackError, retryAfterMs: retryAfter === undefined ? undefined : retryAfter * 1000, cause: e });
      }
      if (TRANSIENT_AMBIGUOUS_ERRORS.has(slackError)) return new SlackApiError(message, { kind: 'transient', method, slackError, ambiguous: true, cause: e });
      if (TRANSIENT_ERRORS.has(slackError)) return new SlackApiError(message, { kind: 'transient', method, slackError, cause: e });
      if (CONFIG_ERRORS.has(slackError)) return new SlackApiError(message, { kind: 'config', method, slackError, cause: e });
      if (GONE_ERRORS.has(slackError)) return new SlackApiError(message, { kind: 'gone', method, slackError, cause: e });
      return new SlackApiError(message, { kind: 'invalid', method, slackError, cause: e });
    }
    case webApi.ErrorCode.HTTPError: {
      const { statusCode } = e as webApi.WebAPIHTTPError;
      // Slack uses no status but 200 and 429; anything else came from a proxy or an outage.
      const transient = statusCode >= 500 || statusCode === 408;
      return new SlackApiError(`${method}: Slack answered HTTP ${statusCode}`, { kind: transient ? 'transient' : 'invalid', method, ambiguous: transient, cause: e });
    }
    case webApi.ErrorCode.RequestError:
      // The request may have reached Slack before the connection failed or timed out.
      return new SlackApiError(`${method}: request to Slack failed: ${(e as webApi.WebAPIRequestError).original?.message ?? String(e)}`, {
        kind: 'transient',
        method,
        ambiguous: true,
        cause: e,
      });
    default: {
      const message = e instanceof Error ? e.message : String(e);
      // A 429 without a usable Retry-After surfaces as a plain Error from the client.
      if (/rate limit|retry header/i.test(message)) return new SlackApiError(`${method}: ${message}`, { kind: 'rate_limited', method, cause: e });
      // Network failures arrive as RequestError; anything else is a bug, and repeating it cannot help.
      return new SlackApiError(`${method}: ${message}`, { kind: 'invalid', method, cause: e });
    }
  }
}
