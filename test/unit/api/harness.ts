/**
 * A real API server on a free port over the in-memory event log and search
 * index, with real HTTP (fetch) and real graphql-ws clients. No sleeps:
 * helpers resolve deferred promises when what a test waits for happens.
 */
import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import { Registry } from 'prom-client';
import WebSocket from 'ws';
import { createMemoryEventLog, type MemoryEventLog } from '../../../src/adapters/memory/event-log.js';
import { createMemorySearch, type MemorySearch } from '../../../src/adapters/memory/search-index.js';
import { loadConfig, type Config } from '../../../src/config.js';
import { enrichedToRecord, openComplaint, type Customer, type EnrichedRating } from '../../../src/domain/index.js';
import { silentLogger } from '../../../src/logger.js';
import type { EventLog } from '../../../src/ports/event-log.js';
import type { SearchIndex } from '../../../src/ports/search.js';
import type { PipelineStatusSource } from '../../../src/ports/stream-runtime.js';
import { createAcknowledgementService } from '../../../src/services/acknowledgements.js';
import type { SinkStatusSource } from '../../../src/api/api-context.js';
import { createApiServer, type ApiServer, type ListenResult, type ReadinessCheck, type SlackHandler } from '../../../src/server/index.js';
import { deferred, waitFor, type Deferred } from '../../support/wait.js';

export { deferred, type Deferred };

export const VIEWER_KEY = 'viewer-key-0001';
export const AGENT_KEY = 'agent-key-0001';
export const BASE_ENV: Readonly<Record<string, string>> = { API_KEYS: `${VIEWER_KEY}:viewer:vera,${AGENT_KEY}:agent:alice` };

export interface HarnessOptions {
  env?: Record<string, string>;
  /** Wraps the event log the server uses (to count tails, fake watermarks). */
  wrapLog?: (log: MemoryEventLog) => EventLog;
  /** Wraps the search index the server reads (to count calls). */
  wrapSearch?: (search: MemorySearch) => SearchIndex;
  pipeline?: PipelineStatusSource;
  sink?: SinkStatusSource;
  readinessChecks?: readonly ReadinessCheck[];
  slackHandler?: SlackHandler;
  slowCloseTimeoutMs?: number;
  /** WebSocket ping interval (a peer that misses a pong until the next ping is terminated). */
  keepAliveMs?: number;
  /** The rate limiter's clock. */
  now?: () => number;
}

export interface Harness extends ListenResult {
  readonly config: Config;
  readonly log: MemoryEventLog;
  readonly search: MemorySearch;
  readonly server: ApiServer;
  readonly registry: Registry;
  close(): Promise<void>;
}

export async function startApi(o: HarnessOptions = {}): Promise<Harness> {
  const config = loadConfig({ ...BASE_ENV, ...o.env });
  const log = createMemoryEventLog({ partitions: 3 });
  const search = createMemorySearch();
  const acknowledgements = createAcknowledgementService({ store: search, log, topic: config.topics.acknowledgements, logger: silentLogger });
  const registry = new Registry();
  const server = createApiServer({
    config,
    logger: silentLogger,
    eventLog: o.wrapLog ? o.wrapLog(log) : log,
    search: o.wrapSearch ? o.wrapSearch(search) : search,
    acknowledgements,
    registry,
    defaultMetrics: true,
    ...(o.pipeline ? { pipeline: o.pipeline } : {}),
    ...(o.sink ? { sink: o.sink } : {}),
    ...(o.readinessChecks ? { readinessChecks: o.readinessChecks } : {}),
    ...(o.slackHandler ? { slackHandler: o.slackHandler } : {}),
    ...(o.slowCloseTimeoutMs === undefined ? {} : { slowCloseTimeoutMs: o.slowCloseTimeoutMs }),
    ...(o.keepAliveMs === undefined ? {} : { keepAliveMs: o.keepAliveMs }),
    ...(o.now ? { now: o.now } : {}),
    shutdownTimeoutMs: 2_000,
  });
  const listening = await server.listen(0, '127.0.0.1');
  return {
    ...listening,
    config,
    log,
    search,
    server,
    registry,
    async close() {
      await server.close();
      await log.close();
    },
  };
}

// ---- data ----------------------------------------------------------------------

export function customer(id: number, clubStatus = 'platinum'): Customer {
  return {
    id,
    firstName: `First${id}`,
    lastName: `Last${id}`,
    email: `c${id}@example.com`,
    gender: 'Female',
    clubStatus,
    comments: null,
    createTs: '2018-06-12T11:47:30Z',
    updateTs: '2018-06-12T11:47:30Z',
  };
}

export function rating(ratingId: number, c: Customer, over: Partial<EnrichedRating> = {}): EnrichedRating {
  return {
    ratingId,
    userId: c.id,
    stars: 1,
    routeId: 2777,
    ratingTime: 1_528_800_000_000 + ratingId * 1_000,
    channel: 'iOS',
    message: 'meh',
    customer: c,
    ...over,
  };
}

export async function seed(search: MemorySearch, customers: readonly Customer[], ratings: readonly EnrichedRating[], complaints: readonly EnrichedRating[] = []): Promise<void> {
  await search.write([
    ...customers.map((c) => ({ kind: 'upsertCustomer' as const, customer: c })),
    ...ratings.map((r) => ({ kind: 'upsertRating' as const, rating: r })),
    ...complaints.map((r) => ({ kind: 'createComplaint' as const, complaint: openComplaint(r) })),
  ]);
}

/** Writes complaints to the complaints topic (what the stream layer does). */
export async function raise(h: Harness, ratings: readonly EnrichedRating[]): Promise<void> {
  await h.log.produce(ratings.map((r) => ({ topic: h.config.topics.complaints, key: String(r.ratingId), value: JSON.stringify(enrichedToRecord(r)) })));
}

// ---- HTTP ----------------------------------------------------------------------

/** Response data as tests read it: shaped by the query, checked by assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = Record<string, any>;

export interface GqlResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: { data?: T | null; errors?: { message: string; path?: string[]; extensions?: { code?: string; [k: string]: unknown } }[] };
  readonly headers: Headers;
}

export async function gql<T = Loose>(h: Pick<Harness, 'graphqlUrl'>, query: string, variables?: Record<string, unknown>, key: string | null = VIEWER_KEY): Promise<GqlResponse<T>> {
  const res = await fetch(h.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
    body: JSON.stringify({ query, ...(variables ? { variables } : {}) }),
  });
  return { status: res.status, body: (await res.json()) as GqlResponse<T>['body'], headers: res.headers };
}

export const codes = (r: GqlResponse): (string | undefined)[] => (r.body.errors ?? []).map((e) => e.extensions?.code);

// ---- WebSocket -----------------------------------------------------------------

export function wsClient(h: Pick<Harness, 'wsUrl'>, key: string | null = VIEWER_KEY, onClose?: (code: number, reason: string) => void): Client {
  return createClient({
    url: h.wsUrl,
    webSocketImpl: WebSocket,
    lazy: true,
    retryAttempts: 0,
    connectionParams: key === null ? {} : { authorization: key },
    on: onClose ? { closed: (e) => onClose((e as { code: number }).code, String((e as { reason: unknown }).reason)) } : {},
  });
}

/** Collects what a subscription delivers; `waitFor(n)` resolves once n results arrived. */
export interface Collector<T> {
  readonly results: FormattedExecutionResult<T, unknown>[];
  readonly completed: Promise<void>;
  /** The terminal error (an error message, a close event), if any. */
  readonly error: Promise<unknown>;
  waitFor(n: number): Promise<FormattedExecutionResult<T, unknown>[]>;
  dispose(): void;
}

export function collect<T = Loose>(client: Client, query: string, variables?: Record<string, unknown>): Collector<T> {
  const results: FormattedExecutionResult<T, unknown>[] = [];
  const completed = deferred();
  const error = deferred<unknown>();
  const waiters: { n: number; d: Deferred<FormattedExecutionResult<T, unknown>[]> }[] = [];
  const check = (): void => {
    for (const w of [...waiters]) {
      if (results.length >= w.n) {
        waiters.splice(waiters.indexOf(w), 1);
        w.d.resolve(results.slice(0, w.n));
      }
    }
  };
  const dispose = client.subscribe<T>(
    { query, ...(variables ? { variables } : {}) },
    {
      next: (r) => {
        results.push(r);
        check();
      },
      error: (e) => {
        error.resolve(e);
        for (const w of waiters.splice(0)) w.d.reject(e);
      },
      complete: () => completed.resolve(),
    },
  );
  return {
    results,
    completed: completed.promise,
    error: error.promise,
    waitFor(n) {
      const d = deferred<FormattedExecutionResult<T, unknown>[]>();
      waiters.push({ n, d });
      check();
      return d.promise;
    },
    dispose,
  };
}

/**
 * Resolves once `predicate` holds (checked on every timer turn), for state
 * with no event to wait on, such as a subscriber attached on the server.
 */
export async function until(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  await waitFor(predicate, what, timeoutMs, 1);
}
