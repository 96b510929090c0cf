/**
 * The Web API calls the Slack app makes, each through the {@link RateLimiter}
 * and with errors translated to {@link SlackApiError}. The WebClient underneath
 * is built with its own retries off and `rejectRateLimitedCalls: true`, so a
 * 429 reaches us with its Retry-After instead of being retried behind our back
 * (see `clientOptions` in `bolt-app.ts`).
 */
import type { types, webApi } from '@slack/bolt';
import type { SlackMessageRef } from '../src/domain/index.js';
import type { Logger } from '../src/logger.js';
import { retry } from '../src/retry.js';
import { COMPLAINT_METADATA_EVENT_TYPE, DEFAULT_POST_INTERVAL_MS } from './constants.js';
import { SlackApiError, toSlackApiError } from './errors.js';
import { createRateLimiter, type RateLimiter, type RateLimitSlot } from './rate-limiter.js';

export interface PostMessageArgs {
  readonly channel: string;
  readonly text: string;
  readonly blocks: types.KnownBlock[];
  readonly metadata?: types.MessageMetadata;
  /** Posts a reply in this message's thread. */
  readonly threadTs?: string;
}

/** What {@link SlackApi.findMessage} looks for. */
export interface MessageQuery {
  readonly channel: string;
  /** Messages since then (epoch ms); ignored in a thread. */
  readonly sinceMs: number;
  /** Search the replies of this thread (conversations.replies) rather than the channel (conversations.history). */
  readonly threadTs?: string;
  readonly eventType: string;
  /** Every entry must equal the message's `metadata.event_payload` entry (compared as strings). */
  readonly match: Readonly<Record<string, string | number>>;
}

export interface UpdateMessageArgs {
  readonly channel: string;
  readonly ts: string;
  readonly text: string;
  readonly blocks: types.KnownBlock[];
}

export interface EphemeralArgs {
  readonly channel: string;
  readonly user: string;
  readonly text: string;
  readonly blocks?: types.KnownBlock[];
}

/** Each method makes one attempt (after waiting its turn) and throws a {@link SlackApiError}. */
export interface SlackApi {
  postMessage(args: PostMessageArgs, signal?: AbortSignal): Promise<SlackMessageRef>;
  updateMessage(args: UpdateMessageArgs, signal?: AbortSignal): Promise<void>;
  postEphemeral(args: EphemeralArgs, signal?: AbortSignal): Promise<void>;
  /**
   * A complaint message posted to `channel` since `sinceMs` (epoch ms), found by
   * its metadata (needs `channels:history`), or null. Used after a post whose
   * outcome is unknown, so it is not posted twice.
   */
  findComplaintMessage(channel: string, complaintId: string, sinceMs: number, signal?: AbortSignal): Promise<SlackMessageRef | null>;
  /** A message found by its metadata (needs `channels:history`), or null: as findComplaintMessage, in a channel or in a thread. */
  findMessage(q: MessageQuery, signal?: AbortSignal): Promise<SlackMessageRef | null>;
  /** Who the bot token belongs to; proves the token and the API URL work. */
  authTest(signal?: AbortSignal): Promise<{ readonly userId: string | null; readonly botId: string | null }>;
}

export interface SlackApiOptions {
  client: webApi.WebClient;
  logger: Logger;
  /** Between two messages posted to one channel. @default 1_000 // ms */
  postIntervalMs?: number;
  limiter?: RateLimiter;
  now?: () => number;
}

/** Pages of conversations.history searched for a lost message. @default 5 */
const HISTORY_PAGES = 5;
/** History is searched from this long before the claim, for clock skew between us and Slack. */
const HISTORY_SLACK_MS = 60_000;

export function createSlackApi(options: SlackApiOptions): SlackApi {
  const { client, logger, postIntervalMs = DEFAULT_POST_INTERVAL_MS, now = Date.now } = options;
  const limiter = options.limiter ?? createRateLimiter({ now });

  async function call<T>(method: string, slot: Omit<RateLimitSlot, 'gate'>, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return limiter.run(
      { ...slot, gate: method },
      async () => {
        try {
          return await fn();
        } catch (e) {
          const err = toSlackApiError(e, method);
          if (err.kind === 'rate_limited') {
            // Slack rate-limits per method; hold every call of this method, not just this one.
            limiter.pause(method, now() + (err.retryAfterMs ?? 1_000));
            logger.warn({ method, retryAfterMs: err.retryAfterMs }, 'Slack rate limit hit; pausing the method');
          }
          throw err;
        }
      },
      signal,
    );
  }

  async function findMessage(q: MessageQuery, signal?: AbortSignal): Promise<SlackMessageRef | null> {
    const { channel, threadTs } = q;
    const oldest = (Math.max(0, q.sinceMs - HISTORY_SLACK_MS) / 1000).toFixed(6);
    const method = threadTs ? 'conversations.replies' : 'conversations.history';
    let cursor: string | undefined;
    for (let page = 0; page < HISTORY_PAGES; page++) {
      const paging = { limit: 200, include_all_metadata: true, ...(cursor ? { cursor } : {}) };
      const res = await call(
        method,
        { key: `${method}:${channel}` },
        () => (threadTs ? client.conversations.replies({ channel, ts: threadTs, ...paging }) : client.conversations.history({ channel, oldest, ...paging })),
        signal,
      );
      for (const m of res.messages ?? []) {
        // The generated response type knows nothing of our payload; read it as untrusted JSON.
        const meta = m.metadata as { event_type?: unknown; event_payload?: Record<string, unknown> } | undefined;
        if (meta?.event_type !== q.eventType || typeof m.ts !== 'string') continue;
        if (Object.entries(q.match).every(([k, v]) => String(meta.event_payload?.[k]) === String(v))) return { channel, ts: m.ts };
      }
      cursor = res.response_metadata?.next_cursor || undefined;
      if (!res.has_more || !cursor) return null;
    }
    logger.warn({ channel, threadTs, eventType: q.eventType }, `${method}: gave up searching after several pages`);
    return null;
  }

  return {
    async postMessage({ channel, text, blocks, metadata, threadTs }, signal) {
      const res = await call(
        'chat.postMessage',
        { key: `chat.postMessage:${channel}`, intervalMs: postIntervalMs },
        () => client.chat.postMessage({ channel, text, blocks, ...(metadata ? { metadata } : {}), ...(threadTs ? { thread_ts: threadTs } : {}), unfurl_links: false, unfurl_media: false }),
        signal,
      );
      if (typeof res.ts !== 'string') throw new SlackApiError('chat.postMessage: Slack answered ok without a ts', { kind: 'invalid', method: 'chat.postMessage' });
      return { channel: typeof res.channel === 'string' ? res.channel : channel, ts: res.ts };
    },

    async updateMessage({ channel, ts, text, blocks }, signal) {
      await call('chat.update', { key: `chat.update:${channel}` }, () => client.chat.update({ channel, ts, text, blocks }), signal);
    },

    async postEphemeral({ channel, user, text, blocks }, signal) {
      await call('chat.postEphemeral', { key: `chat.postEphemeral:${channel}` }, () => client.chat.postEphemeral({ channel, user, text, ...(blocks ? { blocks } : {}) }), signal);
    },

    findComplaintMessage(channel, complaintId, sinceMs, signal) {
      return findMessage({ channel, sinceMs, eventType: COMPLAINT_METADATA_EVENT_TYPE, match: { complaint_id: complaintId } }, signal);
    },

    findMessage,

    async authTest(signal) {
      const res = await call('auth.test', { key: 'auth.test' }, () => client.auth.test(), signal);
      return { userId: res.user_id ?? null, botId: res.bot_id ?? null };
    },
  };
}

export interface SlackRetryOptions {
  logger: Logger;
  /** What is being done, for the logs. */
  what: string;
  signal?: AbortSignal;
  /** @default Infinity */
  maxAttempts?: number;
  /** @default 30_000 // ms */
  maxDelayMs?: number;
  /**
   * Also retry (slowly) errors an operator must fix (not_in_channel,
   * invalid_auth): nothing is lost while they fix it. @default false
   */
  waitForConfigFix?: boolean;
  /** Called before each retry with the error that caused it. */
  onError?: (error: SlackApiError) => void | Promise<void>;
}

/**
 * Repeats a Slack call while the error says it may succeed: after a 429 not
 * before its Retry-After, otherwise with full-jitter backoff (src/retry.ts).
 */
export function withSlackRetry<T>(fn: (attempt: number) => Promise<T>, o: SlackRetryOptions): Promise<T> {
  const { logger, what, signal, maxAttempts = Number.POSITIVE_INFINITY, maxDelayMs = 30_000, waitForConfigFix = false } = o;
  return retry(
    async (attempt) => {
      try {
        return await fn(attempt);
      } catch (e) {
        if (e instanceof SlackApiError) await o.onError?.(e);
        throw e;
      }
    },
    {
      maxAttempts,
      initialDelayMs: 250,
      maxDelayMs,
      ...(signal ? { signal } : {}),
      shouldRetry: (e) => e instanceof SlackApiError && (e.retriable || (waitForConfigFix && e.kind === 'config')),
      delayFromError: (e) => (e instanceof SlackApiError && e.kind === 'rate_limited' && e.retryAfterMs !== undefined ? e.retryAfterMs : undefined),
      onRetry: (err, attempt, delayMs) => {
        const level = err instanceof SlackApiError && err.kind === 'config' ? 'error' : 'warn';
        logger[level]({ err, attempt, delayMs }, `${what} failed; retrying`);
      },
    },
  );
}
