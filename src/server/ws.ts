/**
 * GraphQL over WebSocket (`graphql-transport-ws`, graphql-ws `useServer` on a
 * `ws` server without its own port: the API server hands it upgrades of
 * `/graphql`).
 *
 * graphql-ws runs none of Apollo's validation rules or plugins, so
 * `onSubscribe` does here what Apollo does for HTTP: parse with the token
 * limit, validate with `specifiedRules` plus the same armor rules (and no
 * introspection when it is off), build the same context, format errors with
 * the same mapping, count the same metrics.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError, getOperationAST, parse, specifiedRules, validate, type DocumentNode, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import type { Context as WsContext } from 'graphql-ws';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { AppError, ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Viewer } from '../services/api-context.js';
import type { Authenticator } from './auth.js';
import { CloseCode, CloseReason } from './close-codes.js';
import type { ContextFactory } from './context.js';
import { GraphQLCode, errorCodeOf, formatGraphQLError, isUnexpected } from './error-mapping.js';
import type { ApiLimits } from './limits.js';
import type { ApiMetrics } from './metrics.js';

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

type Ctx = WsContext<Record<string, unknown> | undefined, Extra>;

export function createWsServer(o: WsServerOptions): WsServer {
  const { schema, limits, authenticator, createContext, metrics, logger, production, keepAliveMs = 12_000, slowCloseTimeoutMs = 5_000 } = o;
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxBodyBytes });
  const viewers = new WeakMap<Ctx, Viewer>();
  /** Root field of each running operation, for the delivered-events metric. */
  const fields = new WeakMap<ExecutionArgs, string>();
  const rules = [...specifiedRules, ...limits.validationRules];
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

  const disposable = useServer<Record<string, unknown> | undefined, Record<PropertyKey, never>>(
    {
      schema,
      // graphql-ws would read NODE_ENV itself; configuration decides here.
      isProd: production,
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
        let document: DocumentNode;
        try {
          document = parse(payload.query, limits.parseOptions);
        } catch (e) {
          if (!(e instanceof GraphQLError)) throw e;
          metrics.errors.inc({ transport: 'ws', code: GraphQLCode.ParseFailed });
          return [codedError(e, GraphQLCode.ParseFailed)];
        }
        const errors = validate(schema, document, rules);
        if (errors.length > 0) {
          metrics.errors.inc({ transport: 'ws', code: GraphQLCode.ValidationFailed }, errors.length);
          return errors.map((e) => codedError(e, GraphQLCode.ValidationFailed));
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
        const first = operation?.selectionSet.selections[0];
        if (kind === 'subscription' && first?.kind === 'Field') fields.set(args, first.name.value);
        return args;
      },
      onNext(_ctx, _id, _payload, args, result) {
        const field = fields.get(args);
        if (field !== undefined) metrics.delivered.inc({ field });
        if (!result.errors || result.errors.length === 0) return;
        for (const e of result.errors) {
          metrics.errors.inc({ transport: 'ws', code: errorCodeOf(e) });
          if (isUnexpected(e)) logger.error({ err: e.originalError ?? e, path: e.path }, 'GraphQL operation over WebSocket failed');
        }
        return { ...result, errors: result.errors.map((e) => formatGraphQLError(e, formatOptions)) };
      },
      onError(_ctx, _id, _payload, errors) {
        for (const e of errors) {
          if (isUnexpected(e)) logger.error({ err: e.originalError ?? e }, 'GraphQL operation over WebSocket failed');
        }
        return errors.map((e) => formatGraphQLError(e, formatOptions));
      },
    },
    wss,
    keepAliveMs,
  );

  let closing: Promise<void> | null = null;

  return {
    handleUpgrade(request, socket, head) {
      if (closing) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
    },
    connections: () => wss.clients.size,
    close(timeoutMs) {
      closing ??= (async () => {
        const sockets = [...wss.clients];
        const closed = sockets.map((s) => (s.readyState === s.CLOSED ? Promise.resolve() : new Promise<void>((resolve) => s.once('close', () => resolve()))));
        for (const s of sockets) s.close(CloseCode.GoingAway, CloseReason.GoingAway);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.all(closed), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
        clearTimeout(timer);
        for (const s of wss.clients) s.terminate();
        await Promise.all(closed);
        await disposable.dispose();
      })().catch((err: unknown) => {
        logger.warn({ err }, 'closing the WebSocket server failed');
        throw new AppError(ErrorCode.Internal, 'closing the WebSocket server failed', { cause: err });
      });
      return closing;
    },
  };
}
