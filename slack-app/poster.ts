/**
 * The poster: reads `UNHAPPY_PLATINUM_CUSTOMERS` in its own consumer group and
 * posts each complaint to the Slack channel exactly once, across restarts
 * and across instances.
 *
 * How "exactly once" holds:
 * - The complaint document says where its message lives; a complaint whose
 *   document already names a message is skipped.
 * - Before posting, the poster claims the complaint: it writes
 *   `pending:<instance>:claimed:<epochMs>` as the message ts at the version it
 *   read (optimistic concurrency), so of two instances only one posts.
 *   Immediately before each chat.postMessage call it marks the claim
 *   `sending` (renewing it, at the version it holds); a claim not renewed for
 *   `claimTimeoutMs` belongs to a dead instance and is taken over.
 * - A post whose outcome is unknown (timeout, 5xx, `internal_error`), or a
 *   `sending` claim taken over from a dead instance, may have produced a
 *   message: the channel history is searched for the complaint's metadata
 *   before posting again. A `claimed` claim is taken over without searching.
 * - When the history cannot be read (no `channels:history`), the complaint is
 *   recorded as posted to an unknown message (`unknown:<epochMs>`, outcome
 *   `uncertain`, a warning, `slack_complaints_skipped_total{reason="uncertain"}`):
 *   no second message rather than a possible duplicate.
 * - Offsets are committed only when the batch handler resolves, that is after
 *   every message of the batch exists and is recorded.
 */
import { ComplaintStatus, complaintId, isKnownMessageTs, openComplaint, parseEnrichedRecord, type Complaint, type EnrichedRating, type SlackMessageRef } from '../src/domain/index.js';
import { UnavailableError } from '../src/errors.js';
import type { DocVersion } from '../src/ports/search.js';
import { retry, sleep } from '../src/retry.js';
import { complaintMessage, complaintMetadata } from './blocks/complaint-message.js';
import { claimTs, parseClaim, unknownMessageTs, type ClaimPhase } from './claims.js';
import type { ComplaintConsumerOptions } from './complaint-consumer.js';
import { DEFAULT_CLAIM_TIMEOUT_MS } from './constants.js';
import { SlackApiError } from './errors.js';
import { createRecordLoop, type RecordLoop } from './record-loop.js';
import { withSlackRetry } from './slack-api.js';

export interface PosterOptions extends ComplaintConsumerOptions {
  /** `UNHAPPY_PLATINUM_CUSTOMERS` (config.topics.complaints). */
  topic: string;
  /** Where complaints are posted (SLACK_CHANNEL). */
  channel: string;
  /** Names this process in claims; no `:`. */
  instanceId: string;
  /** @default 60_000 // ms */
  claimTimeoutMs?: number;
  /** How often a claim held by another live instance is looked at again. @default 1_000 // ms */
  claimPollMs?: number;
  /**
   * Complaints raised longer ago than this are not posted (first deploy on a
   * topic with years of history must not flood the channel); they stay
   * searchable and acknowledgeable through GraphQL. 0 posts everything.
   * @default 86_400_000 // 24 hours
   */
  maxAgeMs?: number;
  /**
   * REMIND_AFTER: when the message is recorded, the first reminder is
   * scheduled this long after the complaint was raised or posted, whichever
   * is later (or after a snooze that ends later). 0: no reminders. @default 0
   */
  remindAfterMs?: number;
  /** Called for each complaint skipped as older than `maxAgeMs` (the role counts them in `slack_complaints_skipped_total`). */
  onTooOld?: () => void;
  /** Called for each complaint recorded as posted to an unknown message (the role counts them in `slack_complaints_skipped_total{reason="uncertain"}`). */
  onUncertain?: () => void;
  now?: () => number;
}

/** What happened to one complaint. */
export type PostOutcome =
  | 'posted'
  /** The document already named a message. */
  | 'already_posted'
  /** A message from an earlier attempt was found in the channel and recorded. */
  | 'recovered'
  /** Another instance took the claim over; it finishes the job. */
  | 'claim_lost'
  /** Slack refused the message for its content; logged and skipped. */
  | 'rejected'
  /** Raised longer ago than `maxAgeMs`; not posted. */
  | 'too_old'
  /**
   * An earlier attempt may have posted it, and the channel history cannot be
   * read (missing_scope, not_in_channel): recorded as posted to an unknown
   * message rather than posted a second time.
   */
  | 'uncertain';

export interface Poster {
  /** Idempotent. */
  start(): Promise<void>;
  /** Idempotent; waits stop at once, the batch in hand is not committed and is redelivered later. */
  stop(): Promise<void>;
  /** Posts one complaint unless it is posted already (exposed for tests and tools). */
  post(rating: EnrichedRating, signal?: AbortSignal): Promise<PostOutcome>;
}

interface Loaded {
  readonly complaint: Complaint;
  readonly version: DocVersion;
}

export function createPoster(o: PosterOptions): Poster {
  const {
    log,
    store,
    api,
    topic,
    groupId,
    channel,
    dashboardUrl,
    instanceId,
    claimTimeoutMs = DEFAULT_CLAIM_TIMEOUT_MS,
    claimPollMs = 1_000,
    maxAgeMs = 86_400_000,
    remindAfterMs = 0,
    onTooOld,
    onUncertain,
    now = Date.now,
  } = o;
  const logger = o.logger.child({ component: 'slack-poster', topic });
  claimTs(instanceId, 0); // validates the instance id at once

  let skippedTooOld = 0;
  let lastTooOldWarning: number | null = null;
  // eslint-disable-next-line prefer-const -- assigned below, after post() it calls
  let loop: RecordLoop;

  async function load(rating: EnrichedRating): Promise<Loaded> {
    const id = complaintId(rating);
    const found = await store.get(id);
    if (found) return found;
    // The Elasticsearch sink has not written it yet: create it ourselves (never resets an existing one).
    await store.createIfAbsent(openComplaint(rating));
    const created = await store.get(id);
    if (!created) throw new UnavailableError(`complaint ${id} could not be read back after creating it`);
    return created;
  }

  /**
   * Replaces the claim `expected` with `next` (a renewed claim, the real
   * message, or null to release it), re-reading on conflicts. Resolves to the
   * complaint as it was when the write succeeded, or null when the claim is
   * no longer ours.
   */
  async function replaceClaim(id: string, expected: string, next: SlackMessageRef | null, schedule = false): Promise<Complaint | null> {
    for (;;) {
      const current = await store.get(id);
      if (!current || current.complaint.slackMessage?.ts !== expected) return null;
      const nextReminderAt = schedule ? firstReminderAt(current.complaint) : undefined;
      const outcome = await store.setSlackMessage(id, next, current.version, nextReminderAt === undefined ? {} : { nextReminderAt });
      if (outcome === 'ok') return current.complaint;
      if (outcome === 'not_found') return null;
      // conflict: acknowledged meanwhile, say; read again.
    }
  }

  async function post(rating: EnrichedRating, signal: AbortSignal = loop.signal()): Promise<PostOutcome> {
    const id = complaintId(rating);
    if (maxAgeMs > 0 && now() - rating.ratingTime > maxAgeMs) {
      onTooOld?.();
      skippedTooOld++;
      // Never silent, but one warning a minute at most: a first deploy on an old topic skips thousands.
      if (lastTooOldWarning === null || now() - lastTooOldWarning >= 60_000) {
        logger.warn(
          { complaintId: id, ratingTime: rating.ratingTime, maxAgeHours: maxAgeMs / 3_600_000, skipped: skippedTooOld },
          `complaint raised before the posting window (SLACK_POST_MAX_AGE_HOURS) not posted to Slack; ${skippedTooOld} skipped since the last warning (slack_complaints_skipped_total counts them; they stay in GraphQL)`,
        );
        lastTooOldWarning = now();
        skippedTooOld = 0;
      } else logger.debug({ complaintId: id, ratingTime: rating.ratingTime }, 'complaint older than the posting window; not posted');
      return 'too_old';
    }
    for (;;) {
      signal.throwIfAborted();
      const current = await load(rating);
      const ref = current.complaint.slackMessage;
      let mayExist: { channel: string; since: number } | null = null;
      if (ref !== null) {
        const claim = parseClaim(ref.ts);
        if (claim === null) return 'already_posted';
        if (claim.instance !== instanceId && now() - claim.at < claimTimeoutMs) {
          // Another live instance is posting it; wait for it to finish or to die.
          await sleep(claimPollMs, signal);
          continue;
        }
        // Abandoned, or ours from an attempt that failed midway: it may have posted unless it never started sending.
        if (claim.phase === 'sending') mayExist = { channel: ref.channel, since: claim.at };
      }
      // Taking over a claim that may have a message keeps it `sending`, so whoever comes next searches too.
      const claim = claimTs(instanceId, now(), mayExist === null ? 'claimed' : 'sending');
      const outcome = await store.setSlackMessage(id, { channel, ts: claim }, current.version);
      if (outcome === 'ok') return postClaimed(current.complaint, claim, mayExist, signal);
      // conflict or not_found: somebody changed the document; look again.
    }
  }

  async function postClaimed(complaint: Complaint, firstClaim: string, firstMayExist: { channel: string; since: number } | null, signal: AbortSignal): Promise<PostOutcome> {
    const { id } = complaint;
    let claim = firstClaim;
    let mayExist = firstMayExist;
    let content = complaint;
    /** Replaces our claim by one in `phase` dated now (a renewal); the complaint as it was then. */
    const mark = async (phase: ClaimPhase): Promise<Complaint> => {
      const next = claimTs(instanceId, now(), phase);
      const latest = await replaceClaim(id, claim, { channel, ts: next });
      if (latest === null) throw new ClaimLostError(id);
      claim = next;
      return latest;
    };
    let result: { ref: SlackMessageRef; rendered: ComplaintStatus | null; outcome: 'posted' | 'recovered' | 'uncertain'; unreadable?: SlackApiError };
    try {
      result = await withSlackRetry(
        async (attempt) => {
          if (mayExist !== null) {
            // A retry renews the claim before searching too (a rate limit on the history can be long).
            if (attempt > 1) content = await mark('sending');
            const found = await findPosted(id, mayExist, signal);
            if (found instanceof SlackApiError) return { ref: { channel: mayExist.channel, ts: unknownMessageTs(now()) }, rendered: null, outcome: 'uncertain', unreadable: found };
            if (found) return { ref: found, rendered: null, outcome: 'recovered' };
          }
          // A send may start from here on; this write also renews the claim before a retry, so nobody
          // takes it over while we wait out a rate limit or an outage.
          content = await mark('sending');
          const message = complaintMessage(content, { dashboardUrl });
          const ref = await api.postMessage({ channel, ...message, metadata: complaintMetadata(id) }, signal);
          return { ref, rendered: content.status, outcome: 'posted' };
        },
        {
          logger,
          what: `posting complaint ${id}`,
          signal,
          maxDelayMs: 60_000,
          waitForConfigFix: true,
          onError: async (e) => {
            if (e.method !== 'chat.postMessage') return;
            if (e.ambiguous) mayExist = { channel, since: parseClaim(claim)?.at ?? now() };
            // Slack surely posted nothing and no earlier attempt may have: until the retry, a taker need not search.
            else if (mayExist === null && (e.retriable || e.kind === 'config')) content = await mark('claimed');
          },
        },
      );
    } catch (e) {
      if (e instanceof ClaimLostError) {
        logger.warn({ complaintId: id }, 'another poster took over the claim; leaving the complaint to it');
        return 'claim_lost';
      }
      if (e instanceof SlackApiError && !e.retriable && e.kind !== 'config') {
        logger.error({ err: e, complaintId: id }, 'Slack refused the complaint message; skipping it');
        await replaceClaim(id, claim, null).catch((err: unknown) => logger.warn({ err, complaintId: id }, 'could not release the claim'));
        return 'rejected';
      }
      if (signal.aborted) {
        // Stopping: hand the complaint back at once rather than after the claim timeout. A claim
        // dated 0 reads as abandoned, so whoever takes it searches the channel first; that is only
        // needed when a post may have gone through.
        const handBack = mayExist === null ? null : { channel, ts: claimTs(instanceId, 0, 'sending') };
        await replaceClaim(id, claim, handBack).catch((err: unknown) => logger.warn({ err, complaintId: id }, 'could not hand the claim back'));
      }
      // Otherwise the store failed: the claim stays; whoever handles the redelivery takes it
      // over and, if it is `sending`, searches the channel before posting again.
      throw e;
    }
    await record(complaint.id, claim, result.ref, result.rendered);
    if (result.outcome === 'uncertain') {
      logger.warn(
        { err: result.unreadable, complaintId: id, channel: result.ref.channel },
        `cannot search the channel history (${result.unreadable?.slackError ?? 'refused'}): grant channels:history (groups:history for a private channel) so the poster can tell; complaint ${id} may or may not have been posted; not posting it twice`,
      );
      onUncertain?.();
    } else
      logger.info(
        { complaintId: id, channel: result.ref.channel, ts: result.ref.ts, recovered: result.outcome === 'recovered' },
        result.outcome === 'recovered' ? 'found the complaint message of an earlier attempt' : 'complaint posted to Slack',
      );
    return result.outcome;
  }

  /** When the first reminder is due, or undefined to schedule none (off, no longer OPEN, or scheduled already). */
  function firstReminderAt(c: Complaint): string | undefined {
    if (remindAfterMs <= 0 || c.status !== ComplaintStatus.Open || (c.reminders && (c.reminders.nextAt !== null || c.reminders.sent > 0))) return undefined;
    const snoozed = c.reminders?.snoozedUntil ? Date.parse(c.reminders.snoozedUntil) : 0;
    return new Date(Math.max(Math.max(c.rating.ratingTime, now()) + remindAfterMs, snoozed)).toISOString();
  }

  /** The message an earlier attempt may have posted, null when there is none, or the error when the history cannot be read. */
  async function findPosted(id: string, where: { channel: string; since: number }, signal: AbortSignal): Promise<SlackMessageRef | SlackApiError | null> {
    try {
      return await api.findComplaintMessage(where.channel, id, where.since, signal);
    } catch (e) {
      if (e instanceof SlackApiError && !e.retriable) return e;
      throw e;
    }
  }

  /** Replaces our claim with the real message (scheduling the first reminder), then brings the message up to date if it was acknowledged or resolved meanwhile. */
  async function record(id: string, claim: string, ref: SlackMessageRef, rendered: ComplaintStatus | null): Promise<void> {
    // Not abortable: the message exists, so saying where it is matters more than stopping fast.
    const before = await retry(() => replaceClaim(id, claim, ref, true), {
      maxAttempts: 8,
      initialDelayMs: 100,
      onRetry: (err, attempt) => logger.warn({ err, attempt, complaintId: id }, 'recording the Slack message failed; retrying'),
    });
    if (before === null) {
      logger.error({ complaintId: id, ts: ref.ts }, 'the claim was taken over while posting; the complaint may have been posted twice');
      return;
    }
    // An unknown message cannot be updated; the dashboard and GraphQL show the status.
    if (before.status !== ComplaintStatus.Open && rendered !== before.status && isKnownMessageTs(ref.ts)) {
      const message = complaintMessage({ ...before, slackMessage: ref }, { dashboardUrl });
      await withSlackRetry(() => api.updateMessage({ channel: ref.channel, ts: ref.ts, ...message }), { logger, what: `updating complaint ${id}`, maxAttempts: 5 }).catch((err: unknown) =>
        logger.error({ err, complaintId: id }, 'could not show the acknowledgement on the Slack message'),
      );
    }
  }

  loop = createRecordLoop({ log, groupId, topic, logger, what: 'complaint', parse: parseEnrichedRecord, handle: post, stopReason: () => new PosterStoppedError() });

  return {
    async start() {
      await loop.start();
      logger.info({ groupId, channel }, 'Slack poster started');
    },
    async stop() {
      await loop.stop();
      logger.info('Slack poster stopped');
    },
    post,
  };
}

class ClaimLostError extends Error {
  constructor(id: string) {
    super(`complaint ${id}: the claim was taken over`);
  }
}

class PosterStoppedError extends Error {
  constructor() {
    super('the Slack poster is stopping');
    this.name = 'AbortError';
  }
}
