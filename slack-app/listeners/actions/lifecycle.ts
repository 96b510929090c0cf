/**
 * The Resolve and Snooze buttons. Each acks within Slack's 3 seconds first,
 * then goes through the one service the GraphQL mutations use. Resolve: the
 * first click anywhere wins and the clicked message is rewritten in place;
 * later clickers are told privately who resolved it. Snooze: reminders pause
 * for {@link SNOOZE_BUTTON_MS}; the message shows until when.
 */
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { AckVia, type Complaint } from '../../../src/domain/index.js';
import { isAppError, ErrorCode } from '../../../src/errors.js';
import type { Logger } from '../../../src/logger.js';
import { actionFailedMessage, alreadyResolvedMessage, snoozedMessage } from '../../blocks/acknowledgement.js';
import { complaintMessage, type SlackMessageContent } from '../../blocks/complaint-message.js';
import { SNOOZE_BUTTON_MS } from '../../constants.js';
import { withSlackRetry } from '../../slack-api.js';
import type { ListenerDeps } from '../deps.js';

type Args = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** Calls made for one click give up after this many attempts; the user may click again. */
const CLICK_ATTEMPTS = 6;

interface Click {
  readonly complaintId: string;
  readonly user: { readonly id: string; readonly name: string | null };
  readonly logger: Logger;
  tell(message: SlackMessageContent): Promise<void>;
  /** Rewrites the clicked message to show `complaint`. */
  show(complaint: Complaint): Promise<void>;
  /** Tells the clicker why it failed (their input or our side). */
  failed(what: string, err: unknown): Promise<void>;
}

function click({ api, logger: base, dashboardUrl }: ListenerDeps, { body, action }: Args, component: string): Click {
  const complaintId = action.value ?? '';
  const user = body.user;
  const channel = body.channel?.id ?? body.container?.channel_id;
  const ts = body.message?.ts ?? body.container?.message_ts;
  const logger = base.child({ component, complaintId, user: user.id });
  const tell = async (message: SlackMessageContent): Promise<void> => {
    if (typeof channel !== 'string') return;
    await withSlackRetry(() => api.postEphemeral({ channel, user: user.id, ...message }), { logger, what: 'telling the clicker', maxAttempts: CLICK_ATTEMPTS }).catch((err: unknown) =>
      logger.warn({ err }, 'could not send the ephemeral reply'),
    );
  };
  return {
    complaintId,
    user: { id: user.id, name: user.name ?? user.username ?? null },
    logger,
    tell,
    async show(complaint) {
      if (typeof channel !== 'string' || typeof ts !== 'string') {
        logger.warn('the click carries no message to update');
        return;
      }
      const message = complaintMessage(complaint, { dashboardUrl });
      await withSlackRetry(() => api.updateMessage({ channel, ts, ...message }), { logger, what: 'updating the message', maxAttempts: CLICK_ATTEMPTS }).catch((err: unknown) =>
        logger.error({ err }, 'changed, but the Slack message could not be updated'),
      );
    },
    async failed(what, err) {
      const known = isAppError(err) && (err.code === ErrorCode.NotFound || err.code === ErrorCode.BadInput);
      logger[known ? 'warn' : 'error']({ err }, `${what} from Slack failed`);
      await tell(actionFailedMessage(what, known ? (err as Error).message : 'something went wrong on our side; please try again'));
    },
  };
}

export function resolveCallback(deps: ListenerDeps) {
  return async (args: Args): Promise<void> => {
    await args.ack();
    const c = click(deps, args, 'slack-resolve');
    let outcome;
    try {
      outcome = await deps.acknowledgements.resolve({ complaintId: c.complaintId, by: c.user.id, byName: c.user.name, via: AckVia.Slack });
    } catch (err) {
      await c.failed('resolved', err);
      return;
    }
    if (outcome.kind === 'already_resolved') {
      const first = outcome.complaint.resolution;
      if (first) await c.tell(alreadyResolvedMessage(first, c.user.id));
      return;
    }
    await c.show(outcome.complaint);
  };
}

export function snoozeCallback(deps: ListenerDeps) {
  return async (args: Args): Promise<void> => {
    await args.ack();
    const c = click(deps, args, 'slack-snooze');
    const until = (deps.now ?? Date.now)() + SNOOZE_BUTTON_MS;
    let complaint;
    try {
      complaint = await deps.acknowledgements.snooze({ complaintId: c.complaintId, until: new Date(until), by: c.user.id });
    } catch (err) {
      await c.failed('snoozed', err);
      return;
    }
    await c.show(complaint);
    await c.tell(snoozedMessage(until));
  };
}
