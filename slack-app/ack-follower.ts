/**
 * Keeps Slack messages in step with acknowledgements made elsewhere: reads
 * `complaint-acknowledgements` in its own consumer group and rewrites the
 * complaint's message (button replaced by who acknowledged it and when).
 *
 * Acknowledgements made through the Slack button are skipped: the click
 * handler already updated the message it was clicked on. A complaint whose
 * message is not posted yet is skipped too: the poster renders the
 * acknowledged state when it records the message. Updating is idempotent, so
 * a redelivered batch only repeats the same update.
 */
import { AckVia, ComplaintStatus, isSlackClaim, parseAcknowledgement, type Acknowledgement } from '../src/domain/index.js';
import type { Logger } from '../src/logger.js';
import type { EventLog } from '../src/ports/event-log.js';
import type { ComplaintStore } from '../src/ports/search.js';
import { complaintMessage } from './blocks/complaint-message.js';
import { SlackApiError } from './errors.js';
import { createRecordLoop, type RecordLoop } from './record-loop.js';
import { withSlackRetry, type SlackApi } from './slack-api.js';

export interface AckFollowerOptions {
  log: EventLog;
  store: ComplaintStore;
  api: SlackApi;
  logger: Logger;
  /** `complaint-acknowledgements` (config.topics.acknowledgements). */
  topic: string;
  groupId: string;
  dashboardUrl: string | null;
}

/** What happened to one acknowledgement. */
export type FollowOutcome = 'updated' | 'via_slack' | 'not_posted' | 'unknown_complaint' | 'update_refused';

export interface AckFollower {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Brings the complaint's message in line with `ack` (exposed for tests and tools). */
  follow(ack: Acknowledgement, signal?: AbortSignal): Promise<FollowOutcome>;
}

export function createAckFollower(o: AckFollowerOptions): AckFollower {
  const { log, store, api, topic, groupId, dashboardUrl } = o;
  const logger = o.logger.child({ component: 'slack-ack-follower', topic });
  // eslint-disable-next-line prefer-const -- assigned below, after follow() it calls
  let loop: RecordLoop;

  async function follow(ack: Acknowledgement, signal: AbortSignal = loop.signal()): Promise<FollowOutcome> {
    if (ack.via === AckVia.Slack) return 'via_slack';
    const current = await store.get(ack.complaintId);
    if (!current) return 'unknown_complaint';
    const ref = current.complaint.slackMessage;
    if (ref === null || isSlackClaim(ref)) return 'not_posted';
    // The document decides who won; the event is a fallback should it lag behind.
    const complaint =
      current.complaint.status === ComplaintStatus.Acknowledged && current.complaint.acknowledgement
        ? current.complaint
        : { ...current.complaint, status: ComplaintStatus.Acknowledged, acknowledgement: ack };
    const message = complaintMessage(complaint, { dashboardUrl });
    try {
      await withSlackRetry(() => api.updateMessage({ channel: ref.channel, ts: ref.ts, ...message }, signal), {
        logger,
        what: `updating the message of complaint ${ack.complaintId}`,
        signal,
        maxAttempts: 10,
      });
    } catch (e) {
      if (e instanceof SlackApiError && !e.retriable) {
        // Deleted message or channel, or a configuration problem: retrying the batch cannot help.
        logger.warn({ err: e, complaintId: ack.complaintId, channel: ref.channel, ts: ref.ts }, 'could not update the Slack message; skipped');
        return 'update_refused';
      }
      throw e;
    }
    logger.info({ complaintId: ack.complaintId, via: ack.via }, 'Slack message shows the acknowledgement');
    return 'updated';
  }

  loop = createRecordLoop({
    log,
    groupId,
    topic,
    logger,
    what: 'acknowledgement',
    parse: parseAcknowledgement,
    handle: follow,
    stopReason: () => new Error('the Slack acknowledgement follower is stopping'),
  });

  return {
    async start() {
      await loop.start();
      logger.info({ groupId }, 'Slack acknowledgement follower started');
    },
    stop: () => loop.stop(),
    follow,
  };
}
