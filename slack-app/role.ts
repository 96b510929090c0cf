/**
 * The Slack role: the Bolt app (HTTP or Socket Mode), the poster and the
 * acknowledgement follower, behind one `start()`/`stop()`.
 *
 * HTTP mode: `httpHandler` is a plain node request listener for
 * `POST /slack/events`, to be mounted by the product's HTTP server on its one
 * port. It hands the untouched request to Bolt's HTTPReceiver, which checks
 * the signature with the signing secret and refuses requests whose
 * `x-slack-request-timestamp` is more than five minutes old (401). The server
 * must not read the body before calling it.
 *
 * Socket Mode (SLACK_APP_TOKEN set): Slack delivers over a WebSocket the app
 * opens; `httpHandler` then answers 404.
 */
import { Counter, type Registry } from 'prom-client';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { HTTPReceiver, HTTPReceiverDeferredRequestError, SocketModeReceiver, webApi, type App, type Receiver } from '@slack/bolt';
import { DEFAULT_GROUP_PREFIX, type Config, type SlackConfig } from '../src/config.js';
import { AppError, ErrorCode } from '../src/errors.js';
import type { Logger } from '../src/logger.js';
import type { EventLog } from '../src/ports/event-log.js';
import type { ComplaintStore } from '../src/ports/search.js';
import { sleep } from '../src/retry.js';
import type { AcknowledgementService } from '../src/services/acknowledgements.js';
import { createAckFollower, type AckFollower } from './ack-follower.js';
import { createApp, slackClientOptions } from './bolt-app.js';
import { boltLogger } from './bolt-logger.js';
import { DEFAULT_CALL_TIMEOUT_MS, DEFAULT_CLAIM_TIMEOUT_MS, DEFAULT_POST_INTERVAL_MS, MAX_REQUEST_AGE_SEC, SLACK_EVENTS_PATH } from './constants.js';
import { SlackApiError, toSlackApiError } from './errors.js';
import { createPoster, type Poster } from './poster.js';
import { createReminderScheduler, type ReminderScheduler } from './reminders.js';
import { createSlackApi, withSlackRetry, type SlackApi } from './slack-api.js';

export interface SlackRoleTuning {
  /** Between two messages to one channel. @default 1_000 // ms */
  postIntervalMs?: number;
  /** A claim not renewed for this long may be taken over. @default 60_000 // ms */
  claimTimeoutMs?: number;
  /** @default 1_000 // ms */
  claimPollMs?: number;
  /** One Web API call times out after this. @default 10_000 // ms */
  callTimeoutMs?: number;
  /** How long `start()` waits for Slack (auth.test) before going on in the background. @default 5_000 // ms */
  initWaitMs?: number;
  /** Names this process in claims. @default a random id */
  instanceId?: string;
  /** Between two searches for due reminders. @default 1_000 // ms */
  reminderPollMs?: number;
  /** The clock of reminders, snoozes and posting (tests inject one). @default Date.now */
  now?: () => number;
}

export interface SlackRoleOptions {
  /** Topic names, the consumer-group prefix, reminders and escalation. */
  config: Pick<Config, 'topics' | 'kafka'> & Partial<Pick<Config, 'lifecycle'>>;
  slack: SlackConfig;
  log: EventLog;
  store: ComplaintStore;
  acknowledgements: AcknowledgementService;
  logger: Logger;
  /** Complaint messages link to `${dashboardUrl}/complaints/<id>` when set. */
  dashboardUrl: string | null;
  tuning?: SlackRoleTuning;
  /** Where `slack_complaints_skipped_total` is registered (served by GET /metrics). */
  registry?: Registry;
}

export type SlackRoleState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

export interface SlackRole {
  readonly mode: 'http' | 'socket';
  /**
   * Request listener for `POST /slack/events`. Answers 503 until `start()`
   * has verified the token with Slack, 404 in Socket Mode or for other paths,
   * 401 for a bad or stale signature.
   */
  readonly httpHandler: (req: IncomingMessage, res: ServerResponse) => void;
  readonly state: SlackRoleState;
  /** The reminder scheduler, null when REMIND_AFTER is 0 (tests call its `tick()`). */
  readonly reminders: ReminderScheduler | null;
  /**
   * Verifies the bot token (auth.test), starts the poster and the follower,
   * and in Socket Mode connects. Rejects when Slack refuses the token or the
   * channel configuration; when Slack is merely unreachable it resolves after
   * `initWaitMs` and keeps trying in the background. Idempotent.
   */
  start(): Promise<void>;
  /** Stops the consumers (uncommitted work is redelivered later) and disconnects. Idempotent. */
  stop(): Promise<void>;
}

export function createSlackRole(options: SlackRoleOptions): SlackRole {
  const { config, slack, log, store, acknowledgements, dashboardUrl, tuning = {}, registry } = options;
  const skipped = registry ? slackSkippedCounter(registry) : null;
  // `component` is set once per logger: 'slack' for the role's own lines; each part
  // below (poster, follower, reminders, Bolt, listeners) names itself on the base.
  const base = options.logger;
  const logger = base.child({ component: 'slack' });
  const {
    postIntervalMs = DEFAULT_POST_INTERVAL_MS,
    claimTimeoutMs = slack.claimTimeoutMs ?? DEFAULT_CLAIM_TIMEOUT_MS,
    claimPollMs = 1_000,
    callTimeoutMs = DEFAULT_CALL_TIMEOUT_MS,
    initWaitMs = 5_000,
    instanceId = randomUUID(),
    reminderPollMs = 1_000,
    now = Date.now,
  } = tuning;
  const lifecycle = config.lifecycle ?? { remindAfterMs: 0, remindMax: 0, escalationChannel: null, escalationMention: null };
  const groupPrefix = config.kafka?.groupPrefix ?? DEFAULT_GROUP_PREFIX;
  const mode: SlackRole['mode'] = slack.appToken ? 'socket' : 'http';

  const clientOptions = slackClientOptions(slack, logger, callTimeoutMs);
  const api: SlackApi = createSlackApi({ client: new webApi.WebClient(slack.botToken, clientOptions), logger, postIntervalMs });

  let httpReceiver: HTTPReceiver | null = null;
  let receiver: Receiver;
  if (slack.appToken) {
    receiver = new SocketModeReceiver({
      appToken: slack.appToken,
      logger: boltLogger(base),
      // apps.connections.open goes to the same Web API as everything else.
      installerOptions: { clientOptions: { slackApiUrl: slack.apiUrl } },
    });
  } else {
    httpReceiver = new HTTPReceiver({
      signingSecret: slack.signingSecret,
      endpoints: SLACK_EVENTS_PATH,
      signatureVerification: true,
      // Listeners ack() first and work afterwards; Slack gets its answer within 3 seconds.
      processBeforeResponse: false,
      logger: boltLogger(base),
    });
    receiver = httpReceiver;
  }
  const app: App = createApp({ slack, receiver, logger, deps: { acknowledgements, api, logger: base, dashboardUrl, now }, clientOptions });

  const poster: Poster = createPoster({
    log,
    store,
    api,
    logger: base,
    topic: config.topics.complaints,
    groupId: `${groupPrefix}-slack-poster`,
    channel: slack.channel,
    dashboardUrl,
    instanceId,
    claimTimeoutMs,
    claimPollMs,
    maxAgeMs: slack.postMaxAgeMs,
    remindAfterMs: lifecycle.remindAfterMs,
    onTooOld: () => skipped?.inc({ reason: 'too_old' }),
    onUncertain: () => skipped?.inc({ reason: 'uncertain' }),
    now,
  });
  const follower: AckFollower = createAckFollower({
    log,
    store,
    api,
    logger: base,
    topic: config.topics.acknowledgements,
    groupId: `${groupPrefix}-slack-ack-follower`,
    transitionsTopic: config.topics.transitions,
    transitionsGroupId: `${groupPrefix}-slack-transition-follower`,
    dashboardUrl,
  });
  const reminders: ReminderScheduler | null =
    lifecycle.remindAfterMs > 0
      ? createReminderScheduler({
          store,
          api,
          logger: base,
          remindAfterMs: lifecycle.remindAfterMs,
          remindMax: lifecycle.remindMax,
          escalation: lifecycle.escalationChannel ? { channel: lifecycle.escalationChannel, mention: lifecycle.escalationMention } : null,
          dashboardUrl,
          instanceId,
          claimTimeoutMs,
          pollMs: reminderPollMs,
          now,
        })
      : null;

  let state: SlackRoleState = 'idle';
  let ready = false;
  let starting: Promise<void> | null = null;
  let stopping: Promise<void> | null = null;
  let controller = new AbortController();
  let initInBackground: Promise<void> | null = null;

  /** auth.test through Bolt (which then knows its bot user id), retried while Slack is unreachable. */
  async function initialize(signal: AbortSignal): Promise<void> {
    await withSlackRetry(
      async () => {
        try {
          await app.init();
        } catch (e) {
          throw toSlackApiError(e, 'auth.test');
        }
      },
      { logger, what: 'verifying the Slack bot token (auth.test)', signal, maxDelayMs: 60_000 },
    );
    signal.throwIfAborted(); // stopped meanwhile: do not connect nor accept events
    if (mode === 'socket') await app.start();
    ready = true;
    logger.info({ mode }, 'Slack app ready');
  }

  async function doStart(): Promise<void> {
    state = 'starting';
    controller = new AbortController();
    const { signal } = controller;
    await log.ensureTopics([{ name: config.topics.complaints }, { name: config.topics.acknowledgements }, { name: config.topics.transitions }]);
    const init = initialize(signal);
    // Wait for Slack a little, on a timer cleared as soon as the race is decided.
    const patience = new AbortController();
    const giveUp = (): void => patience.abort(signal.reason);
    signal.addEventListener('abort', giveUp, { once: true });
    const outcome = await Promise.race([init.then(() => 'ready' as const), sleep(initWaitMs, patience.signal).then(() => 'waiting' as const)])
      .catch((e: unknown) => {
        throw e instanceof SlackApiError
          ? new AppError(ErrorCode.Config, `Slack refused the configuration (${e.slackError ?? e.message}): check SLACK_BOT_TOKEN, its scopes and SLACK_API_URL`, { cause: e })
          : e;
      })
      .finally(() => {
        signal.removeEventListener('abort', giveUp);
        patience.abort();
      });
    if (outcome === 'waiting') {
      logger.warn('Slack is not reachable yet; the app keeps trying and answers 503 meanwhile');
      initInBackground = init.catch((err: unknown) => {
        if (!signal.aborted) logger.error({ err }, 'the Slack app could not start; Slack events are refused');
      });
    }
    // Posting does not need Bolt: its calls retry on their own until Slack answers.
    await poster.start();
    await follower.start();
    reminders?.start();
    state = 'running';
  }

  async function doStop(): Promise<void> {
    state = 'stopping';
    ready = false;
    // Abort first: a start() still waiting for Slack gives up at once.
    controller.abort(new Error('the Slack role is stopping'));
    await starting?.catch(() => undefined);
    await Promise.all([poster.stop(), follower.stop(), reminders?.stop()]);
    await initInBackground;
    if (mode === 'socket') await app.stop().catch((err: unknown) => logger.warn({ err }, 'Socket Mode did not disconnect cleanly'));
    state = 'stopped';
    logger.info('Slack role stopped');
  }

  function httpHandler(req: IncomingMessage, res: ServerResponse): void {
    if (!httpReceiver) return plain(res, 404, 'Slack uses Socket Mode in this deployment\n');
    if (!ready) {
      res.setHeader('retry-after', '5');
      return plain(res, 503, 'the Slack app is not ready\n');
    }
    if (!timestampIsFresh(req)) {
      // Bolt refuses timestamps from the past; Slack's recipe also refuses them from the future.
      req.resume();
      return plain(res, 401, 'x-slack-request-timestamp is more than five minutes away from now\n');
    }
    try {
      httpReceiver.requestListener(req, res);
    } catch (err) {
      // HTTPReceiver throws for paths and methods it does not serve (HTTPReceiverDeferredRequestError).
      if (err instanceof HTTPReceiverDeferredRequestError) return plain(res, 404, 'not found\n');
      logger.error({ err }, 'Slack request handling failed');
      if (!res.headersSent) plain(res, 500, 'internal error\n');
    }
  }

  return {
    mode,
    httpHandler,
    reminders,
    get state() {
      return state;
    },
    start() {
      if (stopping) return Promise.reject(new AppError(ErrorCode.Internal, 'the Slack role was stopped; create a new one'));
      starting ??= doStart().catch(async (e: unknown) => {
        await Promise.all([poster.stop(), follower.stop(), reminders?.stop()]);
        controller.abort(e);
        state = 'stopped';
        throw e;
      });
      return starting;
    },
    stop() {
      if (state === 'idle') {
        state = 'stopped';
        stopping = Promise.resolve();
      }
      stopping ??= doStop();
      return stopping;
    },
  };
}

/** False only for a well-formed timestamp more than {@link MAX_REQUEST_AGE_SEC} from now; Bolt judges the rest. */
function timestampIsFresh(req: IncomingMessage): boolean {
  const header = req.headers['x-slack-request-timestamp'];
  const ts = Number(Array.isArray(header) ? header[0] : header);
  if (header === undefined || !Number.isFinite(ts)) return true;
  return Math.abs(Date.now() / 1000 - ts) <= MAX_REQUEST_AGE_SEC;
}

function plain(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end(body);
}

/**
 * Complaints the poster did not post, by reason (`too_old`: raised before SLACK_POST_MAX_AGE_HOURS;
 * `uncertain`: an attempt that died may have posted it and the channel history cannot be read, so it
 * was not posted again). One per registry.
 */
export function slackSkippedCounter(registry: Registry): Counter<'reason'> {
  const name = 'slack_complaints_skipped_total';
  return (
    (registry.getSingleMetric(name) as Counter<'reason'> | undefined) ??
    new Counter({
      name,
      help: 'Complaints not posted to Slack, by reason (too_old: raised before SLACK_POST_MAX_AGE_HOURS; uncertain: maybe posted by an attempt that died, channel history unreadable, not posted again)',
      labelNames: ['reason'] as const,
      registers: [registry],
    })
  );
}
