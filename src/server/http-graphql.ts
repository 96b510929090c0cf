/**
 * GraphQL over HTTP on `node:http` with Apollo Server 5 and no framework:
 * `executeHTTPGraphQLRequest` does the protocol (GET for queries, POST,
 * content negotiation, CSRF prevention, 4xx statuses); this adapter reads and
 * limits the body, parses JSON, authenticates, and writes Apollo's answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import { ErrorCode } from '../errors.js';
import type { ApiContext } from '../api/api-context.js';
import type { Authenticator } from './auth.js';
import type { ContextFactory } from './context.js';
import { rateLimitedMessage, type RateLimiter } from './rate-limit.js';

export interface GraphQLHttpHandlerOptions {
  apollo: ApolloServer<ApiContext>;
  authenticator: Authenticator;
  createContext: ContextFactory;
  /** Larger bodies get 413. */
  maxBodyBytes: number;
  /** Each request takes a token of its caller's bucket; none left: 429 RATE_LIMITED. */
  rateLimiter: RateLimiter;
}

export type GraphQLHttpHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

export class PayloadTooLarge extends Error {}

/** A GraphQL-shaped error response for what happens before Apollo (auth, body). */
export function sendGraphQLError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** The whole body, or PayloadTooLarge as soon as it is known to exceed `limit` (by Content-Length or while reading). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new PayloadTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        reject(new PayloadTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

const isJson = (contentType: string | undefined): boolean => {
  const essence = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return essence === 'application/json' || essence.endsWith('+json');
};

export function createGraphQLHttpHandler({ apollo, authenticator, createContext, maxBodyBytes, rateLimiter }: GraphQLHttpHandlerOptions): GraphQLHttpHandler {
  return async (req, res, url) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const viewer = authenticator.fromAuthorization(req.headers.authorization);
    if (viewer === null) {
      // Do not read (maybe large) bodies of callers we do not know; close instead.
      const unread: Record<string, string> = method !== 'GET' && method !== 'HEAD' ? { connection: 'close' } : {};
      return sendGraphQLError(res, 401, ErrorCode.Unauthenticated, 'a valid API key is required (Authorization: Bearer <key>)', { 'www-authenticate': 'Bearer realm="graphql"', ...unread });
    }

    const rate = rateLimiter.take(authenticator.callerOf(viewer, req.socket.remoteAddress), viewer.role);
    if (!rate.ok) {
      // Before reading the body: an unread one is discarded by node:http.
      return sendGraphQLError(res, 429, ErrorCode.RateLimited, rateLimitedMessage(rate), { 'retry-after': String(Math.max(1, Math.ceil(rate.retryAfterMs / 1_000))) });
    }

    let body: unknown;
    if (method === 'POST') {
      let raw: Buffer;
      try {
        raw = await readBody(req, maxBodyBytes);
      } catch (e) {
        if (e instanceof PayloadTooLarge) {
          return sendGraphQLError(res, 413, 'PAYLOAD_TOO_LARGE', `the request body exceeds ${maxBodyBytes} bytes`, { connection: 'close' });
        }
        throw e;
      }
      // GraphQL over HTTP: request bodies are UTF-8 whatever the charset says.
      const text = raw.toString('utf8');
      if (isJson(req.headers['content-type'])) {
        if (text.trim() !== '') {
          try {
            body = JSON.parse(text) as unknown;
          } catch {
            return sendGraphQLError(res, 400, 'BAD_REQUEST', 'the request body is not valid JSON');
          }
        }
      } else if (text !== '') {
        // Apollo refuses these (CSRF prevention, or 400 for an unknown content type).
        body = text;
      }
    }

    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method, headers, search: url.search, body },
      context: async () => createContext(viewer),
    });
    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) {
      if (!res.write(chunk)) await new Promise<void>((resolve) => res.once('drain', () => resolve()));
    }
    res.end();
  };
}
