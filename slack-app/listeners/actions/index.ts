import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { ACK_ACTION_ID } from '../../constants.js';
import type { ListenerDeps } from '../deps.js';
import { acknowledgeCallback } from './acknowledge.js';

export function registerActions(app: App, deps: ListenerDeps): void {
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: ACK_ACTION_ID }, acknowledgeCallback(deps));
}
