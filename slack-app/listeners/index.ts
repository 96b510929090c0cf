import type { App } from '@slack/bolt';
import type { ListenerDeps } from './deps.js';
import { registerActions } from './actions/index.js';

export type { ListenerDeps } from './deps.js';

/** Registers every listener of the app, one surface at a time. */
export function registerListeners(app: App, deps: ListenerDeps): void {
  registerActions(app, deps);
}
