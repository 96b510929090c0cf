/**
 * The dashboard's only link to the product: the public GraphQL API, over
 * HTTP (`POST /graphql`, bearer key) and WebSocket (`graphql-transport-ws`,
 * `connectionParams.authorization`), on the page's own origin.
 */
import { createClient, type Client } from 'graphql-ws';

const KEY_STORAGE = 'feedback-gateway.api-key';

export interface GraphQLErrorShape {
  message: string;
  extensions?: { code?: string };
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status = 200,
  ) {
    super(message);
  }
}

export type Role = 'VIEWER' | 'AGENT';
export interface Viewer {
  name: string;
  role: Role;
  openAccess: boolean;
}

let apiKey: string | null = sessionStorage.getItem(KEY_STORAGE);

export function storedKey(): string | null {
  return apiKey;
}

export function setKey(key: string | null): void {
  apiKey = key;
  if (key === null) sessionStorage.removeItem(KEY_STORAGE);
  else sessionStorage.setItem(KEY_STORAGE, key);
  ws?.dispose();
  ws = null;
}

const wsUrl = (): string => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;

/**
 * Whether the WebSocket accepts `key` (null: no key). A plain socket, so a
 * refused key shows in no console: the server acks, or closes with 4403.
 */
export function probe(key: string | null): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new WebSocket(wsUrl(), 'graphql-transport-ws');
    let settled = false;
    const done = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      resolve(ok);
      if (socket.readyState === WebSocket.OPEN) socket.close(1000);
    };
    socket.onopen = () => socket.send(JSON.stringify({ type: 'connection_init', payload: key === null ? {} : { authorization: `Bearer ${key}` } }));
    socket.onmessage = (e) => done((JSON.parse(String(e.data)) as { type?: string }).type === 'connection_ack');
    socket.onclose = () => done(false);
    socket.onerror = () => done(false);
  });
}

/** One GraphQL operation over HTTP. Throws ApiError with the first error's code. */
export async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
  if (apiKey !== null) headers.authorization = `Bearer ${apiKey}`;
  let res: Response;
  try {
    res = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  } catch {
    throw new ApiError('The gateway cannot be reached.', 'NETWORK');
  }
  let body: { data?: T; errors?: GraphQLErrorShape[] };
  try {
    body = (await res.json()) as typeof body;
  } catch {
    throw new ApiError(`The gateway answered ${res.status} without GraphQL.`, 'BAD_RESPONSE', res.status);
  }
  const first = body.errors?.[0];
  if (first) throw new ApiError(first.message, first.extensions?.code ?? 'ERROR', res.status);
  if (body.data === undefined) throw new ApiError('The gateway answered no data.', 'BAD_RESPONSE', res.status);
  return body.data;
}

export type ConnectionState = 'idle' | 'connecting' | 'live' | 'reconnecting';
const stateListeners = new Set<(s: ConnectionState) => void>();
/** Subscriptions the page holds; with none the socket is closed on purpose (idle, not reconnecting). */
let liveCount = 0;
let socketOpen = false;
let everOpen = false;
const connectionState = (): ConnectionState => (liveCount === 0 ? 'idle' : socketOpen ? 'live' : everOpen ? 'reconnecting' : 'connecting');
function announceState(): void {
  const s = connectionState();
  for (const l of stateListeners) l(s);
}
export function onConnectionState(listener: (s: ConnectionState) => void): () => void {
  stateListeners.add(listener);
  listener(connectionState());
  return () => stateListeners.delete(listener);
}

let ws: Client | null = null;
function client(): Client {
  ws ??= createClient({
    url: wsUrl(),
    connectionParams: () => (apiKey === null ? {} : { authorization: `Bearer ${apiKey}` }),
    // Keeps retrying while the page is open (the server going away, a network blip).
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    keepAlive: 15_000,
    on: {
      connected: () => {
        socketOpen = everOpen = true;
        announceState();
      },
      closed: () => {
        socketOpen = false;
        announceState();
      },
    },
  });
  return ws;
}

export interface LiveOptions<T> {
  query: string;
  /** Called before every (re)subscription: e.g. the last cursor to resume from. */
  variables?: () => Record<string, unknown>;
  next(data: T): void;
  /** An error the subscription reported (e.g. CURSOR_EXPIRED); it is resubscribed after it. */
  onError?(error: ApiError): void;
}

/**
 * A subscription kept alive while the page wants it: graphql-ws resends it
 * after a reconnect; when it ends anyway (an error, a fatal close code, the
 * server completing it) it is made again after a short backoff, with fresh
 * `variables()`. Returns the dispose function.
 */
export function live<T>({ query, variables = () => ({}), next, onError }: LiveOptions<T>): () => void {
  let disposed = false;
  let unsubscribe: (() => void) | null = null;
  liveCount += 1;
  announceState();
  let attempt = 0;
  let timer: number | undefined;
  const start = (): void => {
    if (disposed) return;
    // graphql-ws resends this very object after a reconnect: keep its variables current.
    const payload = { query, variables: variables() };
    const again = (): void => {
      unsubscribe = null;
      if (disposed) return;
      attempt += 1;
      timer = window.setTimeout(start, Math.min(10_000, 500 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random() / 2));
    };
    unsubscribe = client().subscribe<T>(payload, {
      next: (r) => {
        attempt = 0;
        payload.variables = variables();
        const err = r.errors?.[0] as GraphQLErrorShape | undefined;
        if (err) onError?.(new ApiError(err.message, err.extensions?.code ?? 'ERROR'));
        if (r.data) next(r.data as T);
      },
      error: (e) => {
        const err = Array.isArray(e) ? (e[0] as GraphQLErrorShape | undefined) : undefined;
        if (err) onError?.(new ApiError(err.message, err.extensions?.code ?? 'ERROR'));
        again();
      },
      complete: again,
    });
  };
  start();
  return () => {
    if (disposed) return;
    disposed = true;
    liveCount -= 1;
    window.clearTimeout(timer);
    unsubscribe?.();
    announceState();
  };
}
