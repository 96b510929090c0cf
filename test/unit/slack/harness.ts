/**
 * A running Slack role for tests: the memory event log and search adapter,
 * the real acknowledgement service, the Web API recorder, and the role's
 * httpHandler mounted on a plain node server on a free port.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { createMemoryEventLog, type MemoryEventLog } from '../../../src/adapters/memory/event-log.js';
import { createMemorySearch, type MemorySearch } from '../../../src/adapters/memory/search-index.js';
import { loadConfig, type Config, type SlackConfig } from '../../../src/config.js';
import { enrichedToRecord, type EnrichedRating } from '../../../src/domain/index.js';
import { silentLogger } from '../../../src/logger.js';
import { createAcknowledgementService, type AcknowledgementService } from '../../../src/services/acknowledgements.js';
import { createSlackRole, type SlackRole, type SlackRoleTuning } from '../../../slack-app/index.js';
import { startSlackRecorder, type SlackRecorder } from '../../support/slack-recorder.js';
import { waitFor } from '../../support/wait.js';

export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
export const BOT_TOKEN = 'xoxb-test-token';
export const CHANNEL = 'C0COMPLAINTS';
export const DASHBOARD_URL = 'https://dash.example.com';

/** Polls `check` every 5 ms until it returns a truthy value (the shared waitFor); no fixed sleeps in the tests. */
export const eventually = <T>(check: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> => waitFor(check, what, timeoutMs, 5);

let nextRatingId = 604_000;

export function complaintRating(overrides: Partial<EnrichedRating> = {}): EnrichedRating {
  const ratingId = overrides.ratingId ?? nextRatingId++;
  return {
    ratingId,
    userId: 1,
    stars: 1,
    routeId: 2777,
    ratingTime: 1_528_800_546_808,
    channel: 'iOS',
    message: 'more peanuts please',
    customer: {
      id: 1,
      firstName: 'Rica',
      lastName: 'Blaisdell',
      email: 'rblaisdell0@rambler.ru',
      gender: 'Female',
      clubStatus: 'platinum',
      comments: null,
      createTs: null,
      updateTs: null,
    },
    ...overrides,
  };
}

export interface Backends {
  readonly config: Config;
  readonly slack: SlackConfig;
  readonly log: MemoryEventLog;
  readonly search: MemorySearch;
  readonly acknowledgements: AcknowledgementService;
  readonly recorder: SlackRecorder;
  /** Publishes a complaint to UNHAPPY_PLATINUM_CUSTOMERS as the stream layer does. */
  produceComplaint(rating: EnrichedRating): Promise<void>;
  close(): Promise<void>;
}

export async function startBackends(recorderOptions: Parameters<typeof startSlackRecorder>[0] = {}, { env = {}, now }: { env?: Record<string, string>; now?: () => number } = {}): Promise<Backends> {
  const recorder = await startSlackRecorder(recorderOptions);
  const config = loadConfig({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_CHANNEL: CHANNEL,
    SLACK_API_URL: recorder.apiUrl,
    DASHBOARD_URL,
    DEMO: 'off',
    // The fixtures are the article's 2018 ratings: post them whatever their age.
    SLACK_POST_MAX_AGE_HOURS: '0',
    ...env,
  });
  if (!config.slack) throw new Error('slack configuration expected');
  const log = createMemoryEventLog({ retryInitialDelayMs: 10 });
  const search = createMemorySearch();
  const acknowledgements = createAcknowledgementService({
    store: search,
    log,
    topic: config.topics.acknowledgements,
    transitionsTopic: config.topics.transitions,
    logger: silentLogger,
    ...(now ? { now: () => new Date(now()) } : {}),
  });
  return {
    config,
    slack: config.slack,
    log,
    search,
    acknowledgements,
    recorder,
    produceComplaint: (rating) => log.produce([{ topic: config.topics.complaints, key: String(rating.ratingId), value: JSON.stringify(enrichedToRecord(rating)) }]),
    async close() {
      await log.close();
      await recorder.close();
    },
  };
}

export interface RunningRole {
  readonly role: SlackRole;
  /** `http://127.0.0.1:<port>/slack/events` */
  readonly eventsUrl: string;
  readonly baseUrl: string;
  stop(): Promise<void>;
}

/** A role over `b`, its httpHandler on a free port. Not started unless `start` is true. */
export async function runRole(
  b: Backends,
  { tuning = {}, start = true, groupPrefix, registry }: { tuning?: SlackRoleTuning; start?: boolean; groupPrefix?: string; registry?: Registry } = {},
): Promise<RunningRole> {
  const config =
    groupPrefix === undefined
      ? b.config
      : { ...b.config, kafka: { brokers: [], clientId: 'test', groupPrefix, partitions: 3, replicationFactor: 1, exactlyOnce: false, sessionTimeoutMs: 30_000, sasl: null, ssl: null } };
  const role = createSlackRole({
    config,
    slack: b.slack,
    log: b.log,
    store: b.search,
    acknowledgements: b.acknowledgements,
    logger: silentLogger,
    dashboardUrl: b.config.dashboardUrl,
    tuning: { postIntervalMs: 20, claimPollMs: 20, initWaitMs: 5_000, ...tuning },
    ...(registry ? { registry } : {}),
  });
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/slack/')) return role.httpHandler(req, res);
    res.statusCode = 404;
    res.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  if (start) await role.start();
  return {
    role,
    baseUrl: `http://127.0.0.1:${port}`,
    eventsUrl: `http://127.0.0.1:${port}/slack/events`,
    async stop() {
      await role.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The consumer groups the role uses with the default prefix. */
export const POSTER_GROUP = 'feedback-gateway-slack-poster';
export const FOLLOWER_GROUP = 'feedback-gateway-slack-ack-follower';
