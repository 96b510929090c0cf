/**
 * The one error module. Every failure the product reasons about is an
 * {@link AppError} with a stable {@link ErrorCode}; adapters translate library
 * errors (kafkajs `retriable`, Elasticsearch `ResponseError.statusCode`,
 * timeouts) into it, and `src/server/error-mapping.ts` maps codes to GraphQL
 * `extensions.code`.
 */

export const ErrorCode = {
  /** Input from a user or a client is wrong (GraphQL BAD_USER_INPUT). */
  BadInput: 'BAD_USER_INPUT',
  /** No or unknown credentials. */
  Unauthenticated: 'UNAUTHENTICATED',
  /** Known credentials without the needed role. */
  Forbidden: 'FORBIDDEN',
  /** The thing asked for does not exist. */
  NotFound: 'NOT_FOUND',
  /** Optimistic-concurrency conflict: someone else changed it first. */
  Conflict: 'CONFLICT',
  /** A cursor that can no longer be served (retention moved past it). */
  CursorExpired: 'CURSOR_EXPIRED',
  /** A record from a topic does not match its contract. */
  InvalidRecord: 'INVALID_RECORD',
  /** A downstream dependency (Kafka, Elasticsearch, Slack) failed. */
  Unavailable: 'SERVICE_UNAVAILABLE',
  /** Rate limited by a dependency or by us. */
  RateLimited: 'RATE_LIMITED',
  /** A subscriber that fell too far behind its live feed and was disconnected. */
  SlowConsumer: 'SLOW_CONSUMER',
  /** Configuration is invalid; start-up stops. */
  Config: 'CONFIG_ERROR',
  /** A bug or an impossible state. */
  Internal: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface AppErrorOptions {
  /** Whether repeating the same operation later may succeed. @default false */
  retriable?: boolean;
  cause?: unknown;
  /** Extra machine-readable details (never secrets). */
  details?: Record<string, unknown>;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.details = options.details;
  }
}

export class BadInputError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super(ErrorCode.BadInput, message, options);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string, id: string) {
    super(ErrorCode.NotFound, `${what} ${JSON.stringify(id)} was not found`, { details: { what, id } });
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'a valid API key is required (Authorization: Bearer <key>)') {
    super(ErrorCode.Unauthenticated, message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super(ErrorCode.Forbidden, message);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super(ErrorCode.Conflict, message, options);
  }
}

export class UnavailableError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super(ErrorCode.Unavailable, message, { retriable: true, ...options });
  }
}

export class ConfigError extends AppError {
  /** The environment variable at fault. */
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(ErrorCode.Config, `${variable}: ${message}`, { details: { variable } });
    this.variable = variable;
  }
}

/**
 * A backend refused our credentials or our TLS (a wrong password, an untrusted
 * certificate, TLS against a plaintext listener): repeating cannot help, the
 * configuration must change. Never retriable. At start-up `main.ts` prints the
 * message as one line and exits 78 (EX_CONFIG); `variables` names what to fix.
 */
export class AccessError extends AppError {
  readonly variables: readonly string[];
  constructor(message: string, variables: readonly string[], options: Omit<AppErrorOptions, 'retriable'> = {}) {
    super(ErrorCode.Config, message, { ...options, retriable: false, details: { variables, ...options.details } });
    this.variables = variables;
  }
}

/**
 * A record that does not match its data contract. `field` is the dotted path
 * of the first offending field, or `''` when the whole value is wrong (for
 * example not JSON at all).
 */
export class InvalidRecordError extends AppError {
  readonly field: string;
  constructor(field: string, message: string, options?: AppErrorOptions) {
    super(ErrorCode.InvalidRecord, field ? `${field}: ${message}` : message, {
      ...options,
      details: { field, ...options?.details },
    });
    this.field = field;
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

/** Whether an operation that failed with `e` may succeed if repeated. */
export function isRetriable(e: unknown): boolean {
  if (e instanceof AppError) return e.retriable;
  if (typeof e === 'object' && e !== null && 'retriable' in e) return Boolean((e as { retriable: unknown }).retriable);
  return false;
}

/** Wraps anything thrown into an AppError, keeping AppErrors as they are. */
export function toAppError(e: unknown, fallbackMessage = 'unexpected error'): AppError {
  if (e instanceof AppError) return e;
  const message = e instanceof Error ? e.message : fallbackMessage;
  return new AppError(ErrorCode.Internal, message, { cause: e, retriable: isRetriable(e) });
}

/** For exhaustive switches: `default: return assertNever(x)`. */
export function assertNever(value: never, what = 'value'): never {
  throw new AppError(ErrorCode.Internal, `unexpected ${what}: ${JSON.stringify(value)}`);
}

/** Impossible states (a bug here, not misuse by a caller). */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AppError(ErrorCode.Internal, `invariant violated: ${message}`);
}

/**
 * Misuse of an option by the code that wires the product (a programming error
 * found at construction, never user input nor configuration, which ConfigError
 * reports): one helper and one error class, TypeError, for every option check.
 */
export function assertOption(condition: unknown, message: string): asserts condition {
  if (!condition) throw new TypeError(`invalid option: ${message}`);
}
