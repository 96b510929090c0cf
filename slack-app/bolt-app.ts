/**
 * Creates the Bolt app and registers its listeners (the Bolt starter
 * template's `app.ts`). The receiver (HTTP or Socket Mode) is chosen by the
 * caller; see `role.ts`.
 */
import { App, type Receiver, type webApi } from '@slack/bolt';
import type { SlackConfig } from '../src/config.js';
import type { Logger } from '../src/logger.js';
import { boltLogger } from './bolt-logger.js';
import { DEFAULT_CALL_TIMEOUT_MS } from './constants.js';
import { registerListeners, type ListenerDeps } from './listeners/index.js';

/**
 * WebClient options for every client the app makes. The client's own retries
 * are off and rate-limited calls are rejected, so each 429 reaches
 * `slack-api.ts` with its Retry-After and one retry policy (ours) applies.
 */
export function slackClientOptions(slack: SlackConfig, logger: Logger, timeoutMs = DEFAULT_CALL_TIMEOUT_MS): webApi.WebClientOptions {
  return {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: timeoutMs,
    logger: boltLogger(logger),
  };
}

export interface CreateAppOptions {
  slack: SlackConfig;
  receiver: Receiver;
  logger: Logger;
  deps: ListenerDeps;
  clientOptions: webApi.WebClientOptions;
}

/**
 * The app is created uninitialized (`deferInitialization`): `await app.init()`
 * (auth.test) before it handles events, so a Slack outage cannot break the
 * constructor and start-up decides how to wait.
 */
export function createApp({ slack, receiver, logger, deps, clientOptions }: CreateAppOptions): App {
  const app = new App({
    token: slack.botToken,
    receiver,
    logger: boltLogger(logger),
    clientOptions,
    deferInitialization: true,
  });
  app.error(async (error) => {
    logger.error({ err: error }, 'Slack listener failed');
  });
  registerListeners(app, deps);
  return app;
}
