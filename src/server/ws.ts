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
 * (src/server/shared-execution.ts), and its errors are formatted and logged
 * once. What stays per subscriber: authentication (per connection), its
 * source stream with its bounded buffer and slow-consumer disconnect, and the
 * message sent on its socket (frames of one tick leave in one write).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError, getOperationAST, specifiedRules, type ExecutionArgs, type ExecutionResult, type FormattedExecutionResult, type GraphQLSchema } from 'graphql';
import type { Context as WsContext } from 'graphql-ws';
import type { WebSocket } from 'ws';
import { AppError, ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Viewer } from '../services/api-context.js';
import type { Authenticator } from './auth.js';
import { CloseCode, CloseReason } from './close-codes.js';
import type { ContextFactory } from './context.js';
import { createDocumentCache } from './document-cache.js';
import { GraphQLCode, errorCodeOf, formatGraphQLError, isUnexpected } from './error-mapping.js';
import type { ApiLimits } from './limits.js';
import type { ApiMetrics } from './metrics.js';
import { createSharedExecution, shareKey, type SharedExecution } from './shared-execution.js';
import { createWsTransport, type WsExtra } from './ws-transport.js';

export interface WsServerOptions {
  schema: GraphQLSchema;
  limits: ApiLimits;
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
  /** Shares subscription executions between subscribers; tests pass one to read its stats. @default a new one */
  sharedExecution?: SharedExecution;
}

export interface WsServer {
  /** Takes over an HTTP upgrade request for `/graphql`. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Open WebSocket connections. */
  connections(): number;
  /**
   * Closes every connection with 1001 and a reason (clients see their
   * subscriptions end), waits up to `timeoutMs` for the close handshakes,
   * destroys what is left, and stops the server. Idempotent.
   */
  close(timeoutMs: number): Promise<void>;
}

type Ctx = WsContext<Record<string, unknown> | undefined, WsExtra>;

export function createWsServer(o: WsServerOptions): WsServer {
  const { schema, limits, authenticator, createContext, metrics, logger, production, keepAliveMs = 12_000, slowCloseTimeoutMs = 5_000, sharedExecution = createSharedExecution() } = o;
  const viewers = new WeakMap<Ctx, Viewer>();
  /** Each running subscription: its root field (delivered-events metric) and share key. */
  const subscriptions = new WeakMap<ExecutionArgs, { readonly field: string | null; readonly key: string }>();
  /** Results with errors, as sent: formatted (and logged) once however many subscribers share the result. */
  const formatted = new WeakMap<ExecutionResult, { readonly payload: FormattedExecutionResult; readonly codes: readonly string[] }>();
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
      onSubscribe(ctx, _id, payload) {
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
        const prepared = documents.prepare(payload.query);
        if (!prepared.ok) {
          const code = prepared.stage === 'parse' ? GraphQLCode.ParseFailed : GraphQLCode.ValidationFailed;
          metrics.errors.inc({ transport: 'ws', code }, prepared.errors.length);
          return prepared.errors.map((e) => codedError(e, code));
        }
        const { document } = prepared;
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
          subscriptions.set(args, {
            field: first?.kind === 'Field' ? first.name.value : null,
            key: shareKey(document, payload.operationName, payload.variables, viewer.role),
          });
        }
        return args;
      },
      subscribe(args) {
        return sharedExecution.subscribe(args, subscriptions.get(args)?.key ?? null);
      },
      onNext(_ctx, _id, _payload, args, result) {
        const field = subscriptions.get(args)?.field;
        if (field !== undefined && field !== null) metrics.delivered.inc({ field });
        if (!result.errors || result.errors.length === 0) return;
        let sent = formatted.get(result);
        if (sent === undefined) {
          for (const e of result.errors) {
            if (isUnexpected(e)) logger.error({ err: e.originalError ?? e, path: e.path }, 'GraphQL operation over WebSocket failed');
          }
          sent = { payload: { ...result, errors: result.errors.map((e) => formatGraphQLError(e, formatOptions)) }, codes: result.errors.map((e) => errorCodeOf(e)) };
          formatted.set(result, sent);
        }
        for (const code of sent.codes) metrics.errors.inc({ transport: 'ws', code });
        return sent.payload;
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
