/**
 * The Elasticsearch client factory and the translation of client errors into
 * src/errors.ts. The only file besides the adapter that imports the library.
 */
import { Client, errors } from '@elastic/elasticsearch';
import { AppError, BadInputError, ConflictError, ErrorCode, UnavailableError, toAppError, assertOption } from '../../errors.js';

export type { Client };

export interface ElasticsearchClientOptions {
  /** `http(s)://host:port`; credentials may be in the URL. */
  url: string;
  /**
   * Time one request may take, sockets included. The v9 client has no
   * default (it waits forever), so it is always set here.
   * @default 30_000 // 30 seconds
   */
  requestTimeoutMs?: number;
  /**
   * Immediate retries by the client on connection errors and 502/503/504,
   * on another node where there is one. Writes pass `maxRetries: 0` per
   * request and retry with backoff themselves (src/retry.ts). Timeouts are
   * never retried by the client (the transport's `retryOnTimeout` is off):
   * a timed-out write may have been applied.
   * @default 2
   */
  maxRetries?: number;
  /** API key (`encoded`, or `{ id, api_key }`) or basic credentials; passed to the client as `auth`. Never logged. */
  auth?: { apiKey: string | { id: string; api_key: string } } | { username: string; password: string } | null;
  /** PEM text of the CA that signed the cluster's HTTP certificate (`tls.ca`). */
  ca?: string | null;
  /**
   * SHA-256 fingerprint of the cluster's CA (`caFingerprint`). The client pins
   * the CA of the chain the server presents; as Elastic documents it for a
   * self-signed CA, the usual chain verification is then off (`tls.rejectUnauthorized: false`).
   */
  caFingerprint?: string | null;
}

export function createElasticsearchClient({ url, requestTimeoutMs = 30_000, maxRetries = 2, auth = null, ca = null, caFingerprint = null }: ElasticsearchClientOptions): Client {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BadInputError(`Elasticsearch URL must be an http(s) URL, got ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new BadInputError(`Elasticsearch URL must be an http(s) URL, got ${JSON.stringify(url)}`);
  assertOption(Number.isInteger(requestTimeoutMs) && requestTimeoutMs > 0, `requestTimeoutMs must be a positive integer, got ${requestTimeoutMs}`);
  return new Client({
    node: url,
    requestTimeout: requestTimeoutMs,
    maxRetries,
    compression: false,
    sniffOnStart: false,
    // As https://www.elastic.co/docs/reference/elasticsearch/clients/javascript/connecting documents them.
    ...(auth ? { auth } : {}),
    ...(ca ? { tls: { ca } } : {}),
    ...(caFingerprint ? { caFingerprint, tls: { rejectUnauthorized: false } } : {}),
  });
}

/** The `error` object of an Elasticsearch response body or bulk item. */
export interface EsErrorCause {
  readonly type?: string;
  readonly reason?: string | null;
  readonly caused_by?: EsErrorCause;
}

/** `type: reason (caused by: type: reason)`, for logs and dead-letter headers. */
export function describeEsError(e: EsErrorCause | string | undefined | null): string {
  if (e === undefined || e === null) return 'unknown error';
  if (typeof e === 'string') return e;
  const head = [e.type, e.reason].filter(Boolean).join(': ') || 'unknown error';
  return e.caused_by ? `${head} (caused by ${describeEsError(e.caused_by)})` : head;
}

/** Statuses worth repeating: load (429), server trouble (5xx) and request timeouts (408). */
export const isRetriableStatus = (status: number): boolean => status === 429 || status === 408 || status >= 500;

/**
 * Translates an error thrown by the client into an AppError:
 * - unreachable, timed out, aborted, 429, 408 and 5xx: UnavailableError (retriable);
 * - 400 and 413: BadInputError with the Elasticsearch reason (the request content is at fault);
 * - 409: ConflictError; 401/403: UnavailableError, not retriable (fix the credentials);
 * - anything else: an internal AppError.
 * `what` names the operation for the message (`search ratings-enriched`).
 */
export function translateEsError(e: unknown, what: string): AppError {
  if (e instanceof AppError) return e;
  if (e instanceof errors.ResponseError) {
    const status = e.statusCode ?? 0;
    const body = e.body as { error?: EsErrorCause | string } | undefined;
    const reason = describeEsError(body?.error ?? e.message);
    const details = { status, operation: what };
    const message = `Elasticsearch ${what} failed with ${status}: ${reason}`;
    if (isRetriableStatus(status)) return new UnavailableError(message, { cause: e, details });
    if (status === 400 || status === 413) return new BadInputError(message, { cause: e, details });
    if (status === 409) return new ConflictError(message, { cause: e, details });
    if (status === 401 || status === 403) return new UnavailableError(message, { cause: e, details, retriable: false });
    return new AppError(ErrorCode.Internal, message, { cause: e, details });
  }
  if (e instanceof errors.TimeoutError) return new UnavailableError(`Elasticsearch ${what} timed out`, { cause: e, details: { operation: what } });
  if (e instanceof errors.ConnectionError || e instanceof errors.NoLivingConnectionsError) {
    return new UnavailableError(`Elasticsearch is unreachable (${what}): ${e.message}`, { cause: e, details: { operation: what } });
  }
  if (e instanceof errors.RequestAbortedError) return new UnavailableError(`Elasticsearch ${what} was aborted`, { cause: e, details: { operation: what } });
  if (e instanceof errors.ProductNotSupportedError) {
    return new UnavailableError(`the server is not Elasticsearch (${what}): ${e.message}`, { cause: e, retriable: false });
  }
  return toAppError(e, `Elasticsearch ${what} failed`);
}

/** The Elasticsearch error `type` of a failed response (`version_conflict_engine_exception`), if any. */
export function esErrorType(e: unknown): string | undefined {
  if (!(e instanceof errors.ResponseError)) return undefined;
  const error = (e.body as { error?: EsErrorCause | string } | undefined)?.error;
  return typeof error === 'object' && error !== null ? error.type : undefined;
}

/**
 * Why the cluster refuses this client until its configuration changes:
 * `authentication` (401: unknown, wrong, expired or revoked credentials; 403:
 * known credentials without the privileges needed) or `tls` (the server's
 * certificate is not trusted: unknown CA, fingerprint mismatch, wrong host
 * name, or TLS spoken to a plain HTTP port). Null for anything else
 * (unreachable, timeouts, 5xx: worth waiting for).
 */
export type AccessFailure = { readonly kind: 'authentication'; readonly status: 401 | 403; readonly reason: string } | { readonly kind: 'tls'; readonly reason: string };

const TLS_FAILURE = /certificate|self[- ]signed|altnames|fingerprint|unable to verify|unable to get (local )?issuer|wrong version number|packet length too long|ssl|tls/i;

export function accessFailure(e: unknown): AccessFailure | null {
  if (e instanceof AppError && e.cause !== undefined) return accessFailure(e.cause);
  if (e instanceof errors.ResponseError && (e.statusCode === 401 || e.statusCode === 403)) {
    const body = e.body as { error?: EsErrorCause | string } | undefined;
    return { kind: 'authentication', status: e.statusCode, reason: describeEsError(body?.error ?? e.message) };
  }
  if (e instanceof errors.ConnectionError && TLS_FAILURE.test(e.message)) return { kind: 'tls', reason: e.message };
  return null;
}

/** Runs one client call, translating what it throws. */
export async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw translateEsError(e, what);
  }
}
