import type { Logger } from '../src/logger.js';
import type { EventLog } from '../src/ports/event-log.js';
import type { ComplaintStore } from '../src/ports/search.js';
import type { SlackApi } from './slack-api.js';

/**
 * What the poster and the acknowledgement follower share: a topic each reads
 * in its own consumer group, the complaint store and the Slack Web API.
 */
export interface ComplaintConsumerOptions {
  log: EventLog;
  store: ComplaintStore;
  api: SlackApi;
  logger: Logger;
  topic: string;
  groupId: string;
  dashboardUrl: string | null;
}
