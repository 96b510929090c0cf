/**
 * `POST /slack/events`, for whichever HTTP listener the process has: the API
 * server (src/server/api-server.ts) or, in a process without the api role
 * (`ROLES=slack`, `ROLES=stream,slack`), the operator's listener
 * (src/server/ops-server.ts). Slack in HTTP mode needs this door wherever the
 * Slack role runs.
 *
 * The door's limits, checked before any signature work:
 * - rate: a token bucket per remote address (SLACK_RATE_LIMIT, 50/s): more
 *   gets 429 with `retry-after`, the body unread;
 * - size: the body is read here, up to SLACK_MAX_BODY_BYTES (Content-Length
 *   checked first, then the bytes counted as they arrive), and handed to Bolt
 *   already read (`rawBody`, which its HTTPReceiver uses as is). Larger: 413
 *   before any buffering beyond the limit, then the rest is discarded as it
 *   arrives and the connection closed (a lingering close).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RateLimit } from '../config.js';
import { PayloadTooLarge, readBody } from './http-graphql.js';
import { sendJson } from './ops-routes.js';
import { createRateLimiter, type Clock } from './rate-limit.js';

export const SLACK_EVENTS_PATH = '/slack/events';

/** Bolt's request listener (slack-app/role.ts `httpHandler`): it must get the request with its body unread or as `rawBody`. */
export type SlackHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** A lingering close (after a 413) discards at most this much, for at most this long. */
const LINGER_BYTES = 64 * 1024 * 1024;
const LINGER_MS = 5_000;

export interface SlackRouteOptions {
  readonly handler: SlackHandler;
  /** SLACK_MAX_BODY_BYTES. */
  readonly maxBodyBytes: number;
  /** SLACK_RATE_LIMIT, per remote address; null: none. */
  readonly rateLimit: RateLimit | null;
  /** Milliseconds; injected by tests. @default Date.now */
  readonly now?: Clock;
}

/** Handles a request for {@link SLACK_EVENTS_PATH}, any method. */
export function createSlackRoute(o: SlackRouteOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const limiter = createRateLimiter<'slack'>({ limits: { slack: o.rateLimit }, ...(o.now ? { now: o.now } : {}) });
  return async (req, res) => {
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'use POST' }, { allow: 'POST' });
    const rate = limiter.take(req.socket.remoteAddress ?? 'unknown', 'slack');
    if (!rate.ok) {
      req.resume();
      return sendJson(
        res,
        429,
        { error: `too many requests to ${SLACK_EVENTS_PATH} from this address (SLACK_RATE_LIMIT); retry later` },
        { 'retry-after': String(Math.max(1, Math.ceil(rate.retryAfterMs / 1000))) },
      );
    }
    let raw: Buffer;
    try {
      raw = await readBody(req, o.maxBodyBytes);
    } catch (e) {
      if (!(e instanceof PayloadTooLarge)) throw e;
      const body = JSON.stringify({ error: `the request body exceeds ${o.maxBodyBytes} bytes (SLACK_MAX_BODY_BYTES)` });
      res.writeHead(413, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
      // The whole answer, but not end(): node:http would close the connection at once.
      res.write(body);
      lingerThenClose(req, res);
      return;
    }
    (req as IncomingMessage & { rawBody?: Buffer }).rawBody = raw;
    o.handler(req, res);
  };
}

/**
 * After an early answer (written whole, not ended) to a request whose body
 * is still coming: read and discard (never keep) what the peer goes on
 * sending, for at most LINGER_MS or LINGER_BYTES, so that it reads the
 * answer instead of a connection reset; then end and close. A lingering
 * close, as web servers do.
 */
function lingerThenClose(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket;
  let discarded = 0;
  const close = (): void => {
    clearTimeout(timer);
    res.end();
    socket.destroy();
  };
  const timer = setTimeout(close, LINGER_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > LINGER_BYTES) close();
  });
  req.once('end', close);
  socket.once('close', () => clearTimeout(timer));
}
