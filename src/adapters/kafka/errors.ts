/**
 * Translates kafkajs errors into the product's AppErrors (src/errors.ts).
 *
 * kafkajs marks each error `retriable` (KafkaJSError), gives protocol errors a
 * `type` (the broker's error name), and wraps the last error of an exhausted
 * retrier in KafkaJSNumberOfRetriesExceeded. Its error classes are spread into
 * the CommonJS exports, which Node cannot name for an ES module import, so we
 * recognise them by `name` and `type` rather than `instanceof`.
 */
import { AccessError, AppError, ErrorCode, InvalidRecordError, UnavailableError, isAppError } from '../../errors.js';

interface KafkaJsLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly type?: unknown;
  readonly code?: unknown;
  readonly retriable?: unknown;
  readonly cause?: unknown;
}

const asLike = (e: unknown): KafkaJsLike => (typeof e === 'object' && e !== null ? (e as KafkaJsLike) : {});

/** Whether `e` came from kafkajs. */
export function isKafkaJsError(e: unknown): boolean {
  const name = asLike(e).name;
  return typeof name === 'string' && name.startsWith('KafkaJS');
}

/** The innermost kafkajs error (KafkaJSNumberOfRetriesExceeded wraps the last attempt's). */
function innermost(e: unknown): KafkaJsLike {
  let cur = asLike(e);
  for (let i = 0; i < 5 && cur.name === 'KafkaJSNumberOfRetriesExceeded' && cur.cause; i++) cur = asLike(cur.cause);
  return cur;
}

const CONNECTION_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSTimeout',
  'KafkaJSLockTimeout',
]);

/** Broker errors meaning another producer with the same transactional.id took over (we are a zombie). */
const FENCED_TYPES = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'INVALID_PRODUCER_ID_MAPPING', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED']);
/** Kafka's error code 90 (PRODUCER_FENCED) is unknown to kafkajs 2.2.4, which only knows INVALID_PRODUCER_EPOCH (47). */
const PRODUCER_FENCED_CODE = 90;

/** Whether a transactional producer was fenced: it must be dropped and a new one initialised. */
export function isFencedError(e: unknown): boolean {
  // Follow causes: through KafkaJSNumberOfRetriesExceeded and through our own AppError wrapping.
  let cur = asLike(e);
  for (let i = 0; i < 6; i++) {
    if ((typeof cur.type === 'string' && FENCED_TYPES.has(cur.type)) || cur.code === PRODUCER_FENCED_CODE) return true;
    if (!cur.cause) return false;
    cur = asLike(cur.cause);
  }
  return false;
}

/** What the client was configured with, for messages (never the password). */
export interface KafkaSecurityInfo {
  readonly mechanism: string | null;
  readonly username: string | null;
  readonly tls: boolean;
  /** A client certificate is configured (mutual TLS). @default false */
  readonly clientCertificate?: boolean;
}

/**
 * TLS alerts a broker sends about the client's certificate (a listener with
 * `ssl.client.auth=required`): none sent, or one it does not trust. Node names
 * them by OpenSSL's alert, e.g. `ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE` (alert 42) or
 * `ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED` (116), and says so in the message.
 */
const CLIENT_CERTIFICATE_ALERT = /ALERT_(BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA|CERTIFICATE_UNKNOWN|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|UNSUPPORTED_CERTIFICATE)\b/;
const CLIENT_CERTIFICATE_ALERT_TEXT = /alert (bad certificate|certificate required|unknown ca|certificate unknown|certificate expired|certificate revoked|unsupported certificate)/i;

/** Errors along the cause chain, outermost first. */
function chain(e: unknown): KafkaJsLike[] {
  const out: KafkaJsLike[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 8 && typeof cur === 'object' && cur !== null && !out.includes(cur as KafkaJsLike); i++) {
    out.push(cur as KafkaJsLike);
    cur = (cur as KafkaJsLike).cause;
  }
  return out;
}

/** Node's codes for a certificate the client does not accept (tls.TLSSocket 'error'). */
const CERTIFICATE_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
]);

/**
 * Whether `e` says the broker refused our credentials or our TLS, and if so the
 * AccessError to stop with: one line saying what failed and which variable to fix.
 * `security` is what the client was configured with (null when unknown).
 *
 * - SASL: kafkajs' KafkaJSSASLAuthenticationError (not retriable), or a
 *   SASL_AUTHENTICATION_FAILED / UNSUPPORTED_SASL_MECHANISM / ILLEGAL_SASL_STATE reply;
 * - TLS: a certificate Node refuses (its `code`), a host name not in the certificate,
 *   a TLS alert by which the broker refuses our client certificate (or its absence),
 *   or, with TLS on, a handshake the server broke off (a plaintext listener resets the
 *   connection or answers bytes that are not TLS: ECONNRESET, EPROTO);
 * - with `security` known (the start-up check): a connection the broker closes on
 *   the first request, which a SASL listener does without SASL and a TLS listener
 *   does to plaintext. A broker going down mid-request does so too, so these (and a reset TLS
 *   handshake) carry `details.inferred` and the check confirms them with a second attempt.
 * Anything else (a broker down, a timeout) is not an access failure: null.
 */
export function kafkaAccessError(e: unknown, security: KafkaSecurityInfo | null): AccessError | null {
  const errors = chain(e);
  const mech = security?.mechanism ? `SASL ${security.mechanism.toUpperCase()}` : 'SASL';
  const user = security?.username ? ` for user ${JSON.stringify(security.username)}` : '';
  for (const err of errors) {
    const message = typeof err.message === 'string' ? err.message : '';
    const code = typeof err.code === 'string' ? err.code : undefined;
    if (err.type === 'UNSUPPORTED_SASL_MECHANISM' || /mechanism is not supported by the server/.test(message)) {
      return new AccessError(`kafka: the broker does not accept ${mech} (${message}): check KAFKA_SASL_MECHANISM`, ['KAFKA_SASL_MECHANISM'], { cause: e });
    }
    if (err.name === 'KafkaJSSASLAuthenticationError' || err.type === 'SASL_AUTHENTICATION_FAILED' || err.type === 'ILLEGAL_SASL_STATE') {
      return new AccessError(`kafka: authentication failed${user} (${mech}): check KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD`, ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'], { cause: e });
    }
    if (code !== undefined && CERTIFICATE_CODES.has(code)) {
      return new AccessError(`kafka: the broker's TLS certificate is not trusted (${code}): check KAFKA_SSL_CA_FILE`, ['KAFKA_SSL_CA_FILE'], { cause: e });
    }
    if ((code !== undefined && CLIENT_CERTIFICATE_ALERT.test(code)) || CLIENT_CERTIFICATE_ALERT_TEXT.test(message)) {
      const alert = code ?? CLIENT_CERTIFICATE_ALERT_TEXT.exec(message)?.[0] ?? 'TLS alert';
      const what =
        security && !security.clientCertificate ? 'requires a client certificate and none is configured: set' : 'refused the client certificate (it must be signed by a CA the broker trusts): check';
      return new AccessError(`kafka: the broker ${what} KAFKA_SSL_CERT_FILE / KAFKA_SSL_KEY_FILE (${alert})`, ['KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'], { cause: e });
    }
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      return new AccessError(`kafka: the broker's TLS certificate does not name the host connected to (${code}): check KAFKA_BROKERS / KAFKA_SSL_CA_FILE`, ['KAFKA_BROKERS', 'KAFKA_SSL_CA_FILE'], {
        cause: e,
      });
    }
    if (security?.tls && (code === 'ECONNRESET' || code === 'EPROTO' || /before secure TLS connection was established|wrong version number|packet length too long/i.test(message))) {
      return new AccessError(`kafka: TLS handshake failed (${code ?? message}): the listener may not speak TLS; check KAFKA_SSL / KAFKA_BROKERS`, ['KAFKA_SSL', 'KAFKA_BROKERS'], {
        cause: e,
        details: { inferred: true },
      });
    }
  }
  // The broker accepted the TCP connection, then closed it on our first request: a
  // SASL listener does so to a client that skips authentication, a TLS listener to
  // one that speaks plaintext. Only known at the start-up check (security given).
  if (security && errors.some((err) => err.name === 'KafkaJSConnectionClosedError')) {
    if (security.tls && security.mechanism === null) {
      return new AccessError(
        'kafka: the broker closed the connection after the TLS handshake, as a SASL listener does to a client that does not authenticate: set KAFKA_SASL_MECHANISM / KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD',
        ['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'],
        { cause: e, details: { inferred: true } },
      );
    }
    if (!security.tls) {
      return new AccessError('kafka: the broker closed every plaintext connection, as a TLS listener does: check KAFKA_SSL (and KAFKA_SSL_CA_FILE) / KAFKA_BROKERS', ['KAFKA_SSL', 'KAFKA_BROKERS'], {
        cause: e,
        details: { inferred: true },
      });
    }
  }
  return null;
}

/** Whether the broker could not be reached (as opposed to refusing a request). */
export function isConnectionError(e: unknown): boolean {
  const inner = innermost(e);
  if (typeof inner.name === 'string' && CONNECTION_ERRORS.has(inner.name)) return true;
  return typeof inner.code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(inner.code);
}

/**
 * Maps a kafkajs error (or anything thrown around one) to an AppError:
 * - unreachable brokers, timeouts and exhausted retries: UnavailableError, retriable;
 * - records the broker refuses for their content (too large, invalid): InvalidRecordError;
 * - refused credentials or TLS: AccessError, not retriable (see {@link kafkaAccessError});
 * - authorization failures: UnavailableError, not retriable (configuration must change);
 * - any other broker error: UnavailableError carrying kafkajs' own `retriable`.
 * `what` says what was being done ("producing to ratings").
 */
export function translateKafkaError(e: unknown, what: string): AppError {
  if (isAppError(e)) return e;
  const outer = asLike(e);
  const inner = innermost(e);
  const message = typeof inner.message === 'string' ? inner.message : String(e);
  const type = typeof inner.type === 'string' ? inner.type : undefined;
  const details = { kafkaError: typeof inner.name === 'string' ? inner.name : undefined, kafkaType: type };
  const access = kafkaAccessError(e, null);
  if (access) return access;
  if (!isKafkaJsError(e) && !isKafkaJsError(inner)) {
    return new AppError(ErrorCode.Internal, `${what}: ${message}`, { cause: e, retriable: false });
  }
  if (outer.name === 'KafkaJSNumberOfRetriesExceeded' || isConnectionError(e)) {
    return new UnavailableError(`Kafka is unavailable while ${what}: ${message}`, { cause: e, retriable: true, details });
  }
  if (type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE' || type === 'INVALID_RECORD' || type === 'CORRUPT_MESSAGE') {
    return new InvalidRecordError('', `Kafka refused the record while ${what}: ${message}`, { cause: e, details });
  }
  if (type !== undefined && type.endsWith('_AUTHORIZATION_FAILED')) {
    return new UnavailableError(`Kafka denied access while ${what}: ${message}`, { cause: e, retriable: false, details });
  }
  return new UnavailableError(`Kafka failed while ${what}: ${message}`, { cause: e, retriable: inner.retriable === true || outer.retriable === true, details });
}

/**
 * Broker answers meaning no transaction coordinator can serve us although the
 * broker is reachable: it cannot create or write its transaction state log.
 * kafkajs calls Kafka's COORDINATOR_NOT_AVAILABLE (15) GROUP_COORDINATOR_NOT_AVAILABLE,
 * for transaction coordinators too.
 */
const TRANSACTION_LOG_TYPES = new Set(['GROUP_COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_NOT_AVAILABLE', 'NOT_ENOUGH_REPLICAS', 'NOT_ENOUGH_REPLICAS_AFTER_APPEND']);

/** What to fix when {@link transactionLogUnavailable} says so. */
export const TRANSACTION_LOG_HINT =
  'the broker has no transaction coordinator: it cannot create or write its transaction state log (__transaction_state). ' +
  'Check the broker settings transaction.state.log.replication.factor and transaction.state.log.min.isr: neither may exceed the number of brokers running ' +
  '(on a single broker both must be 1), then restart the broker';

/**
 * Whether initialising a transactional producer failed because the broker has
 * no usable transaction state log (e.g. `transaction.state.log.replication.factor`
 * above the broker count): the coordinator lookup answered
 * COORDINATOR_NOT_AVAILABLE until the retries ran out, or InitProducerId
 * NOT_ENOUGH_REPLICAS. A broker that cannot be reached is not this.
 */
export function transactionLogUnavailable(e: unknown): boolean {
  return chain(e).some((err) => (typeof err.type === 'string' && TRANSACTION_LOG_TYPES.has(err.type)) || err.name === 'KafkaJSGroupCoordinatorNotFound');
}
