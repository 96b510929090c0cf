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
  /** A subscription of this connection fell more than the subscriber buffer behind (SLOW_CONSUMER); reconnect and resume. */
  SlowConsumer: 4429,
});

export const CloseReason = Object.freeze({
  GoingAway: 'server shutting down',
  Forbidden: 'Forbidden: a valid API key is required in connectionParams.authorization',
  SlowConsumer: 'SLOW_CONSUMER: too far behind the live feed; reconnect and resume with the last cursor',
});
