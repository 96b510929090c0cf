import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { ACK_ACTION_ID, RESOLVE_ACTION_ID, SNOOZE_ACTION_ID } from '../../constants.js';
import type { ListenerDeps } from '../deps.js';
import { acknowledgeCallback } from './acknowledge.js';
import { resolveCallback, snoozeCallback } from './lifecycle.js';

export function registerActions(app: App, deps: ListenerDeps): void {
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: ACK_ACTION_ID }, acknowledgeCallback(deps));
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: RESOLVE_ACTION_ID }, resolveCallback(deps));
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: SNOOZE_ACTION_ID }, snoozeCallback(deps));
}
