/**
 * Keeps Slack messages in step with acknowledgements and resolutions made
 * elsewhere: reads `complaint-acknowledgements` and (with `transitionsTopic`)
 * the resolutions of `complaint-transitions`, each in its own consumer group,
 * and rewrites the complaint's message and its escalation post, if any
 * (buttons replaced by who acknowledged or resolved it and when).
 *
 * Transitions made through a Slack button are skipped unless the complaint
 * was escalated: the click handler already updated the message it was
 * clicked on (the other of the two is brought in line here). A complaint whose
 * message is not posted yet is skipped too: the poster renders the
 * acknowledged state when it records the message. Updating is idempotent, so
 * a redelivered batch only repeats the same update.
 */
import {
  AckVia,
  ComplaintStatus,
  TransitionKind,
  isKnownMessageTs,
  isSlackClaim,
  parseAcknowledgement,
  parseTransition,
  type Acknowledgement,
  type Complaint,
  type SlackMessageRef,
  type Transition,
} from '../src/domain/index.js';
import { complaintMessage } from './blocks/complaint-message.js';
import type { ComplaintConsumerOptions } from './complaint-consumer.js';
import { SlackApiError } from './errors.js';
import { createRecordLoop, type RecordLoop } from './record-loop.js';
import { withSlackRetry } from './slack-api.js';

export interface AckFollowerOptions extends ComplaintConsumerOptions {
  /** `complaint-acknowledgements` (config.topics.acknowledgements). */
  topic: string;
  /** `complaint-transitions` (config.topics.transitions): resolutions are followed too when set. */
  transitionsTopic?: string;
  /** @default `${groupId}-transitions` */
  transitionsGroupId?: string;
}

/** What happened to one acknowledgement. */
export type FollowOutcome = 'updated' | 'via_slack' | 'not_posted' | 'unknown_complaint' | 'update_refused' | 'unknown_message';

export interface AckFollower {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Brings the complaint's message in line with `ack` (exposed for tests and tools). */
  follow(ack: Acknowledgement, signal?: AbortSignal): Promise<FollowOutcome>;
  /** The same for any transition (acknowledged or resolved). */
  followTransition(t: Transition, signal?: AbortSignal): Promise<FollowOutcome>;
}

export function createAckFollower(o: AckFollowerOptions): AckFollower {
  const { log, store, api, topic, groupId, dashboardUrl, transitionsTopic } = o;
  const logger = o.logger.child({ component: 'slack-ack-follower', topic });
  // eslint-disable-next-line prefer-const -- assigned below, after follow() it calls
  let loop: RecordLoop;
  let transitionsLoop: RecordLoop | null = null;

  /** The state `t` leads to, from the document when it already shows it (it decides who won), else from the event. */
  function after(c: Complaint, t: Transition): Complaint {
    const { kind, ...change } = t;
    if (kind === TransitionKind.Resolved) {
      return c.status === ComplaintStatus.Resolved && c.resolution ? c : { ...c, status: ComplaintStatus.Resolved, acknowledgement: c.acknowledgement ?? change, resolution: change };
    }
    return c.status !== ComplaintStatus.Open && c.acknowledgement ? c : { ...c, status: ComplaintStatus.Acknowledged, acknowledgement: change };
  }

  async function followTransition(t: Transition, signal: AbortSignal = loop.signal()): Promise<FollowOutcome> {
    const current = await store.get(t.complaintId);
    if (!current) return 'unknown_complaint';
    const ref = current.complaint.slackMessage;
    const escalationRef = current.complaint.reminders?.escalationMessage ?? null;
    if (t.via === AckVia.Slack && escalationRef === null) return 'via_slack';
    if (ref === null || isSlackClaim(ref)) return 'not_posted';
    const message = complaintMessage(after(current.complaint, t), { dashboardUrl });
    // Maybe posted, but which message is unknown (the history was unreadable): nothing to update there.
    const known = isKnownMessageTs(ref.ts);
    if (!known) logger.debug({ complaintId: t.complaintId, channel: ref.channel, ts: ref.ts }, 'the Slack message of the complaint is unknown; not updated');
    const targets: SlackMessageRef[] = [...(known ? [ref] : []), ...(escalationRef ? [escalationRef] : [])];
    if (targets.length === 0) return 'unknown_message';
    try {
      for (const target of targets) {
        await withSlackRetry(() => api.updateMessage({ channel: target.channel, ts: target.ts, ...message }, signal), {
          logger,
          what: `updating the message of complaint ${t.complaintId}`,
          signal,
          maxAttempts: 10,
        });
      }
    } catch (e) {
      if (e instanceof SlackApiError && !e.retriable) {
        // Deleted message or channel, or a configuration problem: retrying the batch cannot help.
        logger.warn({ err: e, complaintId: t.complaintId, channel: ref.channel, ts: ref.ts }, 'could not update the Slack message; skipped');
        return 'update_refused';
      }
      throw e;
    }
    logger.info({ complaintId: t.complaintId, via: t.via, transition: t.kind }, 'Slack message shows the transition');
    return 'updated';
  }

  const follow = (ack: Acknowledgement, signal?: AbortSignal): Promise<FollowOutcome> => followTransition({ ...ack, kind: TransitionKind.Acknowledged }, signal);

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
  if (transitionsTopic) {
    transitionsLoop = createRecordLoop({
      log,
      groupId: o.transitionsGroupId ?? `${groupId}-transitions`,
      topic: transitionsTopic,
      logger,
      what: 'transition',
      parse: parseTransition,
      // Acknowledgements are followed from their own topic.
      handle: (t, signal) => (t.kind === TransitionKind.Resolved ? followTransition(t, signal) : Promise.resolve('via_slack')),
      stopReason: () => new Error('the Slack transition follower is stopping'),
    });
  }

  return {
    async start() {
      await loop.start();
      await transitionsLoop?.start();
      logger.info({ groupId, transitionsTopic: transitionsTopic ?? null }, 'Slack acknowledgement follower started');
    },
    async stop() {
      await Promise.all([loop.stop(), transitionsLoop?.stop()]);
    },
    follow,
    followTransition,
  };
}
