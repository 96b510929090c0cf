/**
 * The Acknowledge button. Acks within Slack's 3 seconds first, then
 * acknowledges through the one acknowledgement service (the same as the
 * GraphQL mutation). The first click anywhere wins: the winner's message is
 * rewritten in place; anyone later is told privately who was first and when.
 * A repeated click changes nothing but that private note.
 */
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { AckVia } from '../../../src/domain/index.js';
import { isAppError, ErrorCode } from '../../../src/errors.js';
import { acknowledgeFailedMessage, alreadyAcknowledgedMessage } from '../../blocks/acknowledgement.js';
import { complaintMessage, type SlackMessageContent } from '../../blocks/complaint-message.js';
import { withSlackRetry } from '../../slack-api.js';
import type { ListenerDeps } from '../deps.js';

type Args = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** Calls made for one click give up after this many attempts; the user may click again. */
const CLICK_ATTEMPTS = 6;

export function acknowledgeCallback({ acknowledgements, api, logger: base, dashboardUrl }: ListenerDeps) {
  return async ({ ack, body, action }: Args): Promise<void> => {
    await ack();

    const complaintId = action.value ?? '';
    const user = body.user;
    const channel = body.channel?.id ?? body.container?.channel_id;
    const ts = body.message?.ts ?? body.container?.message_ts;
    const logger = base.child({ component: 'slack-acknowledge', complaintId, user: user.id });

    const tell = async (message: SlackMessageContent): Promise<void> => {
      if (typeof channel !== 'string') return;
      await withSlackRetry(() => api.postEphemeral({ channel, user: user.id, ...message }), { logger, what: 'telling the clicker', maxAttempts: CLICK_ATTEMPTS }).catch((err: unknown) =>
        logger.warn({ err }, 'could not send the ephemeral reply'),
      );
    };

    let outcome;
    try {
      outcome = await acknowledgements.acknowledge({ complaintId, by: user.id, byName: user.name ?? user.username ?? null, via: AckVia.Slack });
    } catch (err) {
      const known = isAppError(err) && (err.code === ErrorCode.NotFound || err.code === ErrorCode.BadInput);
      logger[known ? 'warn' : 'error']({ err }, 'acknowledging from Slack failed');
      await tell(acknowledgeFailedMessage(known ? (err as Error).message : 'something went wrong on our side; please try again'));
      return;
    }

    if (outcome.kind === 'already_acknowledged') {
      const first = outcome.complaint.acknowledgement;
      if (first) await tell(alreadyAcknowledgedMessage(first, user.id));
      return;
    }

    if (typeof channel !== 'string' || typeof ts !== 'string') {
      logger.warn('the click carries no message to update');
      return;
    }
    const message = complaintMessage(outcome.complaint, { dashboardUrl });
    await withSlackRetry(() => api.updateMessage({ channel, ts, ...message }), { logger, what: 'updating the acknowledged message', maxAttempts: CLICK_ATTEMPTS }).catch((err: unknown) =>
      logger.error({ err }, 'acknowledged, but the Slack message could not be updated'),
    );
  };
}
