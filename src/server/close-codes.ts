/**
 * WebSocket close codes of the API (the graphql-transport-ws ones it uses,
 * plus its own). One place, so clients and tests agree.
 */
import { CloseCode as ProtocolCloseCode } from 'graphql-ws';

export const CloseCode = Object.freeze({
  /** The server is shutting down; reconnect (to another instance). */
  GoingAway: 1001,
  /** No or unknown API key in `connectionParams.authorization` (graphql-ws Forbidden). */
  Forbidden: ProtocolCloseCode.Forbidden,
  /**
   * A subscription of this connection fell more than the subscriber buffer
   * behind (SLOW_CONSUMER); reconnect and resume with the last cursor. 1013
   * "Try Again Later" (RFC 6455 registry): graphql-ws clients retry it by
   * default (its client treats 4429, "too many initialisation requests" in
   * graphql-transport-ws, as fatal, which this code used to be).
   */
  SlowConsumer: 1013,
});

export const CloseReason = Object.freeze({
  GoingAway: 'server shutting down',
  Forbidden: 'Forbidden: a valid API key is required in connectionParams.authorization',
  SlowConsumer: 'SLOW_CONSUMER: too far behind the live feed; reconnect and resume with the last cursor',
});
