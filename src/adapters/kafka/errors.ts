/**
 * Translates kafkajs errors into the product's AppErrors (src/errors.ts).
 *
 * kafkajs marks each error `retriable` (KafkaJSError), gives protocol errors a
 * `type` (the broker's error name), and wraps the last error of an exhausted
 * retrier in KafkaJSNumberOfRetriesExceeded. Its error classes are spread into
 * the CommonJS exports, which Node cannot name for an ES module import, so we
 * recognise them by `name` and `type` rather than `instanceof`.
 */
import { AppError, ErrorCode, InvalidRecordError, UnavailableError, isAppError } from '../../errors.js';

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
