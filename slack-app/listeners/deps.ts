import type { Logger } from '../../src/logger.js';
import type { AcknowledgementService } from '../../src/services/acknowledgements.js';
import type { SlackApi } from '../slack-api.js';

/** What listeners need besides the Bolt arguments. */
export interface ListenerDeps {
  readonly acknowledgements: AcknowledgementService;
  readonly api: SlackApi;
  readonly logger: Logger;
  readonly dashboardUrl: string | null;
  /** The clock of the Snooze button. @default Date.now */
  readonly now?: () => number;
}
