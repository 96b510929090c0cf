/**
 * GraphQL over WebSocket (`graphql-transport-ws`: graphql-ws's protocol over
 * `ws` sockets, src/server/ws-transport.ts; no port of its own: the API
 * server hands it upgrades of `/graphql`).
 *
 * graphql-ws runs none of Apollo's validation rules or plugins, so
 * `onSubscribe` does here what Apollo does for HTTP: parse with the token
 * limit, validate with `specifiedRules` plus the same armor rules (and no
 * introspection when it is off), build the same context, format errors with
 * the same mapping, count the same metrics.
 *
 * Fan-out: thousands of subscribers of one live feed usually send the same
 * query. A valid document is parsed and validated once and kept by its text
 * (src/server/document-cache.ts); each event is executed once per distinct
 * document, variables and role, not once per subscriber
 * (src/server/shared-execution.ts), and its result is formatted (errors
 * logged) and serialized once and sent straight to each socket. What stays
 * per subscriber: authentication (per connection), its source stream with its
 * bounded buffer and slow-consumer disconnect, and the frame sent on its
 * socket (frames of one tick leave in one write, src/server/ws-transport.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError, getArgumentValues, getOperationAST, specifiedRules, type ExecutionArgs, type ExecutionResult, type FieldNode, type FormattedExecutionResult, type GraphQLSchema } from 'graphql';
import type { Context as WsContext } from 'graphql-ws';
import type { WebSocket } from 'ws';
import { AppError, ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Viewer } from '../api/api-context.js';
import type { Authenticator } from './auth.js';
import { CloseCode, CloseReason } from './close-codes.js';
import type { ContextFactory } from './context.js';
import { createDocumentCache } from './document-cache.js';
import { GraphQLCode, errorCodeOf, formatGraphQLError, isUnexpected } from './error-mapping.js';
import type { ApiLimits } from './limits.js';
import type { ApiMetrics } from './metrics.js';
import { DEFAULT_PAGE_SIZE } from '../../resolvers/args.js';
import { checkCost } from './query-cost.js';
import { rateLimitedMessage, type RateLimiter } from './rate-limit.js';
import { createSharedExecution, shareKey, type Deliver } from './shared-execution.js';
import { createWsTransport, type WsExtra } from './ws-transport.js';

export interface WsServerOptions {
  schema: GraphQLSchema;
  limits: ApiLimits;
  /** Each subscribe message takes a token of its caller's bucket; none left: that operation gets RATE_LIMITED (the socket stays open). */
  rateLimiter: RateLimiter;
  authenticator: Authenticator;
  createContext: ContextFactory;
  metrics: ApiMetrics;
  logger: Logger;
  production: boolean;
  /** Ping interval; a peer that misses a pong for as long is terminated. @default 12_000 // 12 seconds */
  keepAliveMs?: number;
  /**
   * After closing a slow consumer's socket, how long its close handshake may
   * take (its reader is stuck, so it may never answer) before the socket is
   * destroyed. @default 5_000 // 5 seconds
   */
  slowCloseTimeoutMs?: number;
}

export interface WsServer {
  /** Takes over an HTTP upgrade request for `/graphql`. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Open WebSocket connections. */
  connections(): number;
  /** Share keys of subscription executions with subscribers now (metrics: `graphql_shared_executions`). */
  sharedExecutions(): number;
  /**
   * Closes every connection with 1001 and a reason (clients see their
   * subscriptions end), waits up to `timeoutMs` for the close handshakes,
   * destroys what is left, and stops the server. Idempotent.
   */
  close(timeoutMs: number): Promise<void>;
}

type Ctx = WsContext<Record<string, unknown> | undefined, WsExtra>;

/** A result as sent: with formatted errors and their codes; `json` made on first send. */
interface Sendable {
  readonly payload: FormattedExecutionResult;
  readonly codes: readonly string[];
  json: string | null;
}

export function createWsServer(o: WsServerOptions): WsServer {
  const { schema, limits, rateLimiter, authenticator, createContext, metrics, logger, production, keepAliveMs = 12_000, slowCloseTimeoutMs = 5_000 } = o;
  const sharedExecution = createSharedExecution();
  const viewers = new WeakMap<Ctx, Viewer>();
  /** Per connection: ids of its `complaintRaised(after)` subscriptions (those still in `ctx.subscriptions` are running). */
  const replays = new WeakMap<Ctx, Set<string>>();
  /** Each running subscription: its share key, and how its results reach its socket. */
  const subscriptions = new WeakMap<ExecutionArgs, { readonly key: string; readonly deliver: Deliver }>();
  /** Results as sent: formatted (errors logged) and serialized once however many subscribers share them. */
  const sendables = new WeakMap<ExecutionResult, Sendable>();
  const documents = createDocumentCache({ schema, rules: [...specifiedRules, ...limits.validationRules], parseOptions: limits.parseOptions });
  const formatOptions = { production };

  function closeSlow(socket: WebSocket, error: AppError): void {
    if (socket.readyState !== socket.OPEN) return;
    logger.warn({ code: error.code, details: error.details }, 'closing the WebSocket of a slow consumer');
    socket.close(CloseCode.SlowConsumer, CloseReason.SlowConsumer);
    // Its reader is not reading, so the close frame may sit behind everything
    // queued for it; do not wait for the handshake forever.
    const timer = setTimeout(() => socket.terminate(), slowCloseTimeoutMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }

  function sendable(result: ExecutionResult): Sendable {
    let s = sendables.get(result);
    if (s !== undefined) return s;
    if (!result.errors || result.errors.length === 0) s = { payload: result, codes: [], json: null };
    else {
      for (const e of result.errors) {
        if (isUnexpected(e)) logger.error({ err: e.originalError ?? e, path: e.path }, 'GraphQL operation over WebSocket failed');
      }
      s = { payload: { ...result, errors: result.errors.map((e) => formatGraphQLError(e, formatOptions)) }, codes: result.errors.map((e) => errorCodeOf(e)), json: null };
    }
    sendables.set(result, s);
    return s;
  }

  const complaintRaised = schema.getSubscriptionType()?.getFields().complaintRaised;
  /** A `complaintRaised` with a cursor: it replays from Kafka before going live. */
  function isReplay(node: FieldNode, variables: Readonly<Record<string, unknown>> | null | undefined): boolean {
    if (!complaintRaised) return false;
    try {
      const after = getArgumentValues(complaintRaised, node, (variables ?? {}) as Record<string, unknown>).after;
      return typeof after === 'string' && after !== '';
    } catch {
      return false; // bad variables: execution reports them
    }
  }

  const codedError = (e: GraphQLError, code: string): GraphQLError =>
    new GraphQLError(e.message, { nodes: e.nodes, source: e.source, positions: e.positions, path: e.path, originalError: e.originalError, extensions: { ...e.extensions, code } });

  const transport = createWsTransport<Record<string, unknown> | undefined>(
    {
      schema,
      onConnect(ctx) {
        const viewer = authenticator.fromAuthorization(ctx.connectionParams?.authorization);
        if (viewer === null) {
          ctx.extra.socket.close(CloseCode.Forbidden, CloseReason.Forbidden);
          return false;
        }
        viewers.set(ctx, viewer);
        return true;
      },
      onSubscribe(ctx, id, payload) {
        const viewer = viewers.get(ctx);
        if (viewer === undefined) return [new GraphQLError('not authenticated', { extensions: { code: ErrorCode.Unauthenticated } })];
        // graphql-ws has registered this operation already, so it counts itself.
        if (Object.keys(ctx.subscriptions).length > limits.maxSubscriptionsPerConnection) {
          metrics.errors.inc({ transport: 'ws', code: ErrorCode.RateLimited });
          return [
            new GraphQLError(`at most ${limits.maxSubscriptionsPerConnection} operations may run on one connection; complete one first or open another connection`, {
              extensions: { code: ErrorCode.RateLimited },
            }),
          ];
        }
        const rate = rateLimiter.take(authenticator.callerOf(viewer, ctx.extra.remoteAddress), viewer.role);
        if (!rate.ok) {
          metrics.errors.inc({ transport: 'ws', code: ErrorCode.RateLimited });
          return [new GraphQLError(rateLimitedMessage(rate), { extensions: { code: ErrorCode.RateLimited, retryAfterMs: rate.retryAfterMs } })];
        }
        const prepared = documents.prepare(payload.query);
        if (!prepared.ok) {
          const code = prepared.stage === 'parse' ? GraphQLCode.ParseFailed : GraphQLCode.ValidationFailed;
          metrics.errors.inc({ transport: 'ws', code }, prepared.errors.length);
          return prepared.errors.map((e) => codedError(e, code));
        }
        const { document } = prepared;
        const tooComplex = checkCost({ schema, document, operationName: payload.operationName, variables: payload.variables }, limits.maxListCost, DEFAULT_PAGE_SIZE);
        if (tooComplex) {
          metrics.errors.inc({ transport: 'ws', code: String(tooComplex.extensions.code) });
          return [tooComplex];
        }
        const operation = getOperationAST(document, payload.operationName);
        const kind = operation?.operation ?? 'unknown';
        metrics.requests.inc({ transport: 'ws', operation: kind });
        const contextValue = createContext(viewer, {
          onSlowConsumer: (error) => closeSlow(ctx.extra.socket, error),
          cache: kind !== 'subscription',
        });
        const args: ExecutionArgs = {
          schema,
          document,
          contextValue,
          ...(payload.variables ? { variableValues: payload.variables } : {}),
          ...(payload.operationName ? { operationName: payload.operationName } : {}),
        };
        if (kind === 'subscription') {
          const first = operation?.selectionSet.selections[0];
          const field = first?.kind === 'Field' ? first.name.value : null;
          if (field === 'complaintRaised' && first?.kind === 'Field' && isReplay(first, payload.variables)) {
            const mine = replays.get(ctx) ?? new Set<string>();
            replays.set(ctx, mine);
            for (const other of mine) if (!(other in ctx.subscriptions) || other === id) mine.delete(other);
            if (mine.size >= limits.maxReplaysPerConnection) {
              metrics.errors.inc({ transport: 'ws', code: ErrorCode.RateLimited });
              return [
                new GraphQLError(`at most ${limits.maxReplaysPerConnection} complaintRaised(after:) subscriptions may run on one connection (MAX_REPLAYS_PER_CONNECTION); complete one first`, {
                  extensions: { code: ErrorCode.RateLimited },
                }),
              ];
            }
            mine.add(id);
          }
          const socket = ctx.extra.socket;
          // graphql-ws's own `next` message, byte for byte, around the shared serialized result.
          const prefix = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
          const deliver: Deliver = (result) => {
            if (field !== null) metrics.delivered.inc({ field });
            const s = sendable(result);
            for (const code of s.codes) metrics.errors.inc({ transport: 'ws', code });
            s.json ??= JSON.stringify(s.payload);
            return transport.send(socket, `${prefix}${s.json}}`);
          };
          subscriptions.set(args, { key: shareKey(document, payload.operationName, payload.variables, viewer.role), deliver });
        }
        return args;
      },
      subscribe(args) {
        // Results go straight to the socket, serialized once for all who share them, rather than one by one through graphql-ws's onNext.
        const s = subscriptions.get(args);
        subscriptions.delete(args); // the stream keeps what it needs; graphql-ws keeps `args` as long as the operation runs
        return sharedExecution.subscribe(args, s?.key ?? null, s?.deliver);
      },
      onNext(_ctx, _id, _payload, _args, result) {
        // Queries and mutations (subscriptions deliver their own results).
        const s = sendable(result);
        for (const code of s.codes) metrics.errors.inc({ transport: 'ws', code });
        return s.codes.length > 0 ? s.payload : undefined;
      },
      onError(_ctx, _id, _payload, errors) {
        for (const e of errors) {
          if (isUnexpected(e)) logger.error({ err: e.originalError ?? e }, 'GraphQL operation over WebSocket failed');
        }
        return errors.map((e) => formatGraphQLError(e, formatOptions));
      },
    },
    { maxPayload: limits.maxBodyBytes, production, logger, keepAliveMs },
  );

  let closing: Promise<void> | null = null;

  return {
    handleUpgrade(request, socket, head) {
      if (closing) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      transport.handleUpgrade(request, socket, head);
    },
    connections: () => transport.clients.size,
    sharedExecutions: () => sharedExecution.stats().keys,
    close(timeoutMs) {
      closing ??= (async () => {
        const sockets = [...transport.clients];
        const closed = sockets.map((s) => (s.readyState === s.CLOSED ? Promise.resolve() : new Promise<void>((resolve) => s.once('close', () => resolve()))));
        for (const s of sockets) s.close(CloseCode.GoingAway, CloseReason.GoingAway);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.all(closed), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
        clearTimeout(timer);
        for (const s of transport.clients) s.terminate();
        await Promise.all(closed);
        await transport.dispose();
      })().catch((err: unknown) => {
        logger.warn({ err }, 'closing the WebSocket server failed');
        throw new AppError(ErrorCode.Internal, 'closing the WebSocket server failed', { cause: err });
      });
      return closing;
    },
  };
}
