/**
 * API keys (API_KEYS, `key:role:name`): `viewer` may query and subscribe,
 * `agent` may also acknowledge. HTTP sends `Authorization: Bearer <key>`;
 * WebSocket sends `connectionParams.authorization` (with or without
 * `Bearer `), checked once in graphql-ws `onConnect`.
 *
 * Keys are compared by their SHA-256 digests, so lookup time does not depend
 * on how much of a guessed key is right.
 */
import { createHash } from 'node:crypto';
import type { ApiKey } from '../config.js';
import type { Logger } from '../logger.js';
import type { Viewer } from '../api/api-context.js';

export interface Authenticator {
  /** True when no keys are configured (outside production): everyone is an agent. */
  readonly open: boolean;
  /** The viewer for an `Authorization` header value, or null (UNAUTHENTICATED). */
  fromAuthorization(value: unknown): Viewer | null;
  /** Whose rate-limit bucket an operation of `viewer` takes from: its API key, or (open access) the remote address. */
  callerOf(viewer: Viewer, remoteAddress: string | undefined): string;
}

export interface AuthenticatorOptions {
  apiKeys: readonly ApiKey[];
  production: boolean;
  logger: Logger;
}

/** Who everyone is when access is open. */
export const OPEN_ACCESS_VIEWER: Viewer = Object.freeze({ name: 'anonymous', role: 'agent', openAccess: true });

const digest = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

export function createAuthenticator({ apiKeys, production, logger }: AuthenticatorOptions): Authenticator {
  const open = apiKeys.length === 0;
  if (open && production) {
    // config.ts refuses this already; a second lock for a wiring mistake.
    throw new Error('API keys are required in production; refusing to serve the API open');
  }
  if (open) logger.warn('API_KEYS is empty: the API is open to anyone, as an agent (allowed outside production only)');
  const byDigest = new Map<string, Viewer>(apiKeys.map((k) => [digest(k.key), Object.freeze({ name: k.name, role: k.role })]));
  const callers = new Map<Viewer, string>([...byDigest.values()].map((v, i) => [v, `key:${i}:${v.name}`]));

  return {
    open,
    fromAuthorization(value) {
      if (open) return OPEN_ACCESS_VIEWER;
      if (typeof value !== 'string') return null;
      const key = value
        .trim()
        .replace(/^Bearer\s+/i, '')
        .trim();
      if (key === '' || key.length > 1_024) return null;
      return byDigest.get(digest(key)) ?? null;
    },
    callerOf(viewer, remoteAddress) {
      return callers.get(viewer) ?? `address:${remoteAddress ?? 'unknown'}`;
    },
  };
}
