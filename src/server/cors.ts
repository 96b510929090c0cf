/**
 * CORS for `/graphql` over HTTP, so dashboards served from another origin
 * can call the API from a browser. Off unless `CORS_ORIGINS` is set (no
 * headers at all: browsers then let only same-origin pages read answers).
 *
 * Built on the `cors` package (expressjs), which gets the details right:
 * `Vary: Origin`, echoing only listed origins, answering preflights (204)
 * before authentication, since browsers send no Authorization on a preflight.
 * The headers allowed are those a GraphQL client sends: Authorization for the
 * API key, Content-Type, and Apollo's CSRF-prevention headers. Credentials
 * (cookies) are not allowed: the API authenticates by bearer key.
 *
 * WebSocket upgrades are not subject to CORS; graphql-ws authenticates each
 * connection by the key in `connection_init`, so a foreign page without a key
 * gets nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from 'cors';

export interface CorsHandler {
  /**
   * Sets the CORS headers of `req`'s answer. True when the request was a
   * preflight and has been answered (nothing else to do).
   */
  (req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

export function createCors(origins: readonly string[] | '*'): CorsHandler | null {
  if (origins !== '*' && origins.length === 0) return null;
  const middleware = cors({
    origin: origins === '*' ? '*' : [...origins],
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['authorization', 'content-type', 'apollo-require-preflight', 'x-apollo-operation-name', 'apollographql-client-name', 'apollographql-client-version'],
    maxAge: 600,
    optionsSuccessStatus: 204,
  });
  return (req, res) =>
    new Promise<boolean>((resolve, reject) => {
      // The package ends a preflight itself (without calling next).
      res.once('finish', () => resolve(true));
      middleware(req, res, (err?: unknown) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(false)));
    });
}
