/**
 * graphql-ws (`makeServer`, the protocol) over `ws` sockets, in place of
 * graphql-ws's own `useServer` (graphql-ws/use/ws), for fan-out to many
 * subscribers:
 * - A send does not wait for its frame to be written while fewer than
 *   `highWaterMark` bytes wait on the socket. (`useServer` waits for every
 *   frame, so each event costs each subscriber a trip through the event loop
 *   before it may take the next.) Above the mark the operation waits for the
 *   write as before: a slow reader stops taking events, and its bounded
 *   live-feed buffer overflows into the slow-consumer disconnect, as before.
 * - Frames sent to a socket in the same tick leave in one write: the socket
 *   is corked until the next tick, so a burst of events costs a subscriber
 *   one system call rather than one per event.
 * - Keep-alive is one interval per socket (no timer and listener per ping).
 * - The context's `extra` holds the socket only, not the upgrade request.
 * Protocol, close codes and hooks are graphql-ws's own.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { CloseCode, handleProtocols, makeServer, type ServerOptions, type WebSocket as GraphQLWsSocket } from 'graphql-ws';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Logger } from '../logger.js';

export interface WsExtra {
  readonly socket: WebSocket;
  /** The peer's address (rate limits of open access are per address). */
  readonly remoteAddress: string | undefined;
}

export interface WsTransportOptions {
  /** Largest message accepted from a client. */
  maxPayload: number;
  /** In production, internal error messages are not sent as close reasons. */
  production: boolean;
  logger: Logger;
  /** Ping interval; a peer that has not answered a ping by the next one is terminated. @default 12_000 // 12 seconds */
  keepAliveMs?: number;
  /**
   * Bytes waiting on a socket (`bufferedAmount`) from which a send waits
   * until its frame is written. @default 65_536 // 64 KiB
   */
  highWaterMark?: number;
}

export interface WsTransport {
  /** Takes over an upgraded HTTP connection (`socket` is the raw connection `ws` writes to). */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  readonly clients: ReadonlySet<WebSocket>;
  /**
   * Sends a text frame on a socket of this transport as graphql-ws's own
   * sends go (same batching and high-water mark); a promise means: wait for
   * it before sending more. Nothing is sent on a socket that is not open.
   */
  send(socket: WebSocket, data: string): Promise<void> | void;
  /** Closes every socket with 1001, stops the server. */
  dispose(): Promise<void>;
}

const internalReason = (err: unknown, production: boolean): string => {
  if (production) return 'Internal server error';
  const message = err instanceof Error ? err.message : String(err);
  // Close reasons are at most 123 bytes.
  return Buffer.byteLength(message) < 124 ? message : 'Internal server error';
};

/** What the connections of one transport share. */
interface Setup {
  readonly production: boolean;
  readonly logger: Logger;
  readonly highWaterMark: number;
}

/**
 * One socket, as graphql-ws sees it (its `WebSocket` interface) and with what
 * its sends need. Listeners are shared functions (`this` is the socket), so a
 * connection costs objects, not closures.
 */
class Connection implements GraphQLWsSocket {
  corked = false;
  /** Answered the last ping. */
  answered = true;
  received: ((data: string) => Promise<void>) | null = null;
  closed: ((code?: number, reason?: string) => Promise<void>) | null = null;
  keepAlive: NodeJS.Timeout | null = null;

  constructor(
    readonly socket: WebSocket,
    /** The connection `ws` writes to, corked for the rest of a tick on its first send. */
    readonly raw: Duplex,
    readonly setup: Setup,
  ) {}

  get protocol(): string {
    return this.socket.protocol;
  }

  send(data: string): Promise<void> | void {
    const { socket } = this;
    if (socket.readyState !== socket.OPEN) return;
    const wait = socket.bufferedAmount >= this.setup.highWaterMark;
    if (!this.corked) {
      this.corked = true;
      this.raw.cork();
      process.nextTick(uncork, this);
    }
    if (!wait) {
      // A failed write fails the socket, which closes and ends its operations.
      socket.send(data);
      return;
    }
    return new Promise<void>((resolve, reject) => socket.send(data, (err) => (err ? reject(err) : resolve())));
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }

  onMessage(cb: (data: string) => Promise<void>): void {
    this.received = cb;
  }

  fail(err: unknown, what: string): void {
    const { logger, production } = this.setup;
    logger.error({ err }, what);
    this.socket.close(CloseCode.InternalServerError, internalReason(err, production));
  }
}

function uncork(c: Connection): void {
  c.corked = false;
  c.raw.uncork();
}

function keepAlive(c: Connection): void {
  const { socket } = c;
  if (socket.readyState !== socket.OPEN) return;
  if (!c.answered) return socket.terminate();
  c.answered = false;
  socket.ping();
}

/** Every transport's connections by socket (a socket belongs to one transport). */
const registry = new WeakMap<WebSocket, Connection>();
const connectionOf = (socket: WebSocket): Connection | undefined => registry.get(socket);

// Socket listeners, `this` being the socket.

function onPong(this: WebSocket): void {
  const c = connectionOf(this);
  if (c) c.answered = true;
}

function onSocketError(this: WebSocket, err: Error): void {
  connectionOf(this)?.fail(err, 'a WebSocket failed');
}

function onSocketMessage(this: WebSocket, data: RawData): void {
  const c = connectionOf(this);
  c?.received?.(String(data)).catch((err: unknown) => c.fail(err, 'a GraphQL over WebSocket message failed'));
}

function onSocketClose(this: WebSocket, code: number, reason: Buffer): void {
  const c = connectionOf(this);
  if (!c) return;
  if (c.keepAlive) clearInterval(c.keepAlive);
  c.closed?.(code, String(reason)).catch((err: unknown) => c.setup.logger.error({ err }, 'closing a GraphQL over WebSocket connection failed'));
}

export function createWsTransport<P extends Record<string, unknown> | undefined>(server: ServerOptions<P, WsExtra>, o: WsTransportOptions): WsTransport {
  const { maxPayload, production, logger, keepAliveMs = 12_000, highWaterMark = 65_536 } = o;
  // Compression would cost a zlib context per connection and a deflate per message.
  const wss = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false, handleProtocols: (protocols) => handleProtocols(protocols) });
  const protocol = makeServer<P, WsExtra>(server);
  const setup: Setup = { production, logger, highWaterMark };

  wss.once('error', (err) => {
    logger.error({ err }, 'the WebSocket server failed; closing every connection');
    for (const client of wss.clients) client.close(CloseCode.InternalServerError, internalReason(err, production));
  });

  function open(socket: WebSocket, raw: Duplex): void {
    const c = new Connection(socket, raw, setup);
    registry.set(socket, c);
    socket.once('error', onSocketError);
    socket.on('pong', onPong);
    socket.on('message', onSocketMessage);
    socket.once('close', onSocketClose);
    if (keepAliveMs > 0 && Number.isFinite(keepAliveMs)) c.keepAlive = setInterval(keepAlive, keepAliveMs, c);
    c.closed = protocol.opened(c, { socket, remoteAddress: (raw as Partial<Socket>).remoteAddress });
  }

  return {
    handleUpgrade(request, socket, head) {
      wss.handleUpgrade(request, socket, head, (ws) => open(ws, socket));
    },
    clients: wss.clients,
    send(socket, data) {
      return registry.get(socket)?.send(data);
    },
    async dispose() {
      for (const client of wss.clients) client.close(1001, 'Going away');
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
