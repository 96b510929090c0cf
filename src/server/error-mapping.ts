/**
 * The one mapping from src/errors.ts codes to GraphQL `extensions.code`, and
 * the one error formatter, used by Apollo (HTTP) and graphql-ws alike.
 * Unknown errors become INTERNAL_SERVER_ERROR; in production their message is
 * replaced by a generic one and no stack trace leaves the server.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { AppError, ErrorCode, assertNever } from '../errors.js';

/** Codes that are not in src/errors.ts: graphql-js and Apollo's own. */
export const GraphQLCode = Object.freeze({
  ParseFailed: 'GRAPHQL_PARSE_FAILED',
  ValidationFailed: 'GRAPHQL_VALIDATION_FAILED',
  Internal: 'INTERNAL_SERVER_ERROR',
});

export const GENERIC_MESSAGE = 'Internal server error';
/** As graphql-armor's block-field-suggestions (which does this for HTTP). */
const SUGGESTION = /Did you mean ".+"\??/g;
const SUGGESTION_MASK = '[Suggestion hidden]';

/** `extensions.code` for an application error code. */
export function graphqlCode(code: ErrorCode): string {
  switch (code) {
    case ErrorCode.BadInput:
    case ErrorCode.Unauthenticated:
    case ErrorCode.Forbidden:
    case ErrorCode.NotFound:
    case ErrorCode.Conflict:
    case ErrorCode.CursorExpired:
    case ErrorCode.Unavailable:
    case ErrorCode.RateLimited:
    case ErrorCode.SlowConsumer:
      return code;
    // A record off contract or a bad configuration reaching a request is our bug, not the caller's.
    case ErrorCode.InvalidRecord:
    case ErrorCode.Config:
    case ErrorCode.Internal:
      return GraphQLCode.Internal;
    default:
      return assertNever(code, 'error code');
  }
}

/** What was thrown, under the GraphQLErrors graphql-js, Apollo and graphql-ws wrap it in. */
export function originalError(error: unknown): unknown {
  let e = error;
  for (let i = 0; i < 8 && e instanceof GraphQLError && e.originalError && e.originalError !== e; i++) e = e.originalError;
  return e;
}

function codeFor(error: unknown, extensions: Readonly<Record<string, unknown>> | undefined, fallback: string): string {
  const original = originalError(error);
  if (original instanceof AppError) return graphqlCode(original.code);
  const code = extensions?.code ?? (error instanceof GraphQLError ? error.extensions.code : undefined);
  return typeof code === 'string' ? code : fallback;
}

/** The `extensions.code` an error is served with. */
export const errorCodeOf = (error: unknown): string => codeFor(error, undefined, GraphQLCode.Internal);

/** A bug or an outage (log at error level), rather than the caller's doing. */
export function isUnexpected(error: unknown): boolean {
  const code = errorCodeOf(error);
  return code === GraphQLCode.Internal || code === ErrorCode.Unavailable;
}

const UNAVAILABLE_MESSAGE = 'A backing service is unavailable; try again shortly.';

export interface FormatErrorOptions {
  production: boolean;
}

function format(formatted: GraphQLFormattedError, error: unknown, { production }: FormatErrorOptions, fallbackCode: string): GraphQLFormattedError {
  const original = originalError(error);
  const code = codeFor(error, formatted.extensions, fallbackCode);
  const extensions: Record<string, unknown> = { ...formatted.extensions, code };
  let message = formatted.message;
  if (original instanceof AppError) {
    message = original.message;
    if (original.details && code !== GraphQLCode.Internal) extensions.details = original.details;
    if (original.retriable) extensions.retriable = true;
  }
  if (production) {
    delete extensions.stacktrace;
    delete extensions.exception;
    if (code === GraphQLCode.Internal) message = GENERIC_MESSAGE;
    // An outage's message names hosts, ports and index names: keep it in the
    // logs, give clients only the code and that retrying may help.
    if (code === ErrorCode.Unavailable) {
      message = UNAVAILABLE_MESSAGE;
      delete extensions.details;
    }
  }
  return {
    message: message.replace(SUGGESTION, SUGGESTION_MASK),
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions,
  };
}

/** Apollo's `formatError`. */
export function createFormatError(options: FormatErrorOptions): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  return (formatted, error) => format(formatted, error, options, GraphQLCode.Internal);
}

/**
 * Formats an error graphql-ws is about to send, as Apollo would have.
 * `fallbackCode` names errors without a code (parse or validation errors).
 */
export function formatGraphQLError(error: GraphQLError, options: FormatErrorOptions, fallbackCode: string = GraphQLCode.Internal): GraphQLFormattedError {
  return format(error.toJSON(), error, options, fallbackCode);
}
