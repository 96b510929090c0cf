/**
 * The reminder scheduler: reminds about OPEN complaints in their Slack
 * thread every REMIND_AFTER, at most REMIND_MAX times, then posts one
 * escalation to ESCALATION_CHANNEL. Durable and exactly once across crashes
 * and instances (docs/lifecycle.md):
 *
 * - The schedule lives in the complaint document (`next_reminder_at`), not in
 *   a process: every poll searches the complaints due (`<= now`, one bounded
 *   page), so a restarted or another instance finds what a dead one left.
 * - Before posting step n (reminder n, or `e` for the escalation), the
 *   scheduler claims it: `<instance>:~<n>:<epochMs>` written with optimistic
 *   concurrency at the version it read, so of two instances only one posts.
 *   Just before `chat.postMessage` the claim becomes `<instance>:<n>:<epochMs>`
 *   (sending): two phases, as the poster's claims have, so a taker knows
 *   whether anything may have been sent. A claim in the old one-phase form
 *   reads as sending.
 * - After posting, it records the step (count, next due time, claim cleared)
 *   in one conditional update. A claim not recorded within the claim timeout
 *   belongs to a dead instance: whoever takes it over first looks for the
 *   step's message (its metadata names the complaint and the step) in the
 *   thread or the escalation channel, and records it instead of posting when
 *   it is there. A post whose outcome is unknown (timeout, 5xx) is looked for
 *   the same way before it is tried again. A claim taken over while still
 *   claimed (nothing sent) is posted without a search. When the search cannot
 *   read the thread or channel (no `channels:history`), the step is recorded
 *   as sent without posting again ('uncertain'), with a warning naming the
 *   scope: a missed reminder rather than a duplicate.
 * - An acknowledgement (or resolution) clears `next_reminder_at` in the same
 *   update that changes the status, and the status is read again just before
 *   each post: nothing is posted after it.
 */
import { assertOption } from '../src/errors.js';
import { ComplaintStatus, NO_REMINDERS, isKnownMessageTs, isSlackClaim, type Complaint, type ReminderState, type SlackMessageRef } from '../src/domain/index.js';
import type { Logger } from '../src/logger.js';
import type { ComplaintStore, ReminderPatch } from '../src/ports/search.js';
import { retry } from '../src/retry.js';
import { escalationMessage, escalationMetadata, reminderMessage, reminderMetadata } from './blocks/complaint-message.js';
import { DEFAULT_CLAIM_TIMEOUT_MS, ESCALATION_METADATA_EVENT_TYPE, REMINDER_METADATA_EVENT_TYPE } from './constants.js';
import { SlackApiError } from './errors.js';
import { withSlackRetry, type MessageQuery, type SlackApi } from './slack-api.js';

export interface ReminderSchedulerOptions {
  store: ComplaintStore;
  api: SlackApi;
  logger: Logger;
  /** REMIND_AFTER, ms (> 0). */
  remindAfterMs: number;
  /** REMIND_MAX. */
  remindMax: number;
  /** ESCALATION_CHANNEL and the mention (mrkdwn) of ESCALATION_MENTION; null: no escalation. */
  escalation: { readonly channel: string; readonly mention: string | null } | null;
  dashboardUrl: string | null;
  /** Names this process in claims; no `:`. */
  instanceId: string;
  /** A claim not recorded for this long is taken over. @default 60_000 // ms */
  claimTimeoutMs?: number;
  /** Between two searches for due complaints. @default 1_000 // ms */
  pollMs?: number;
  /** Due complaints handled per poll at most. @default 100 */
  batchSize?: number;
  now?: () => number;
}

/** What happened to one complaint. */
export type ReminderOutcome =
  | 'reminded'
  | 'escalated'
  /** The claimed step was found posted by an earlier attempt (a crash, an ambiguous post) and recorded. */
  | 'recovered'
  | 'not_due'
  /** Its Slack message is not recorded yet: the poster schedules reminders when it records it. */
  | 'not_posted'
  /** Another live instance holds the claim. */
  | 'claimed_elsewhere'
  /** Nothing left to send; the schedule was cleared. */
  | 'done'
  /** Acknowledged or resolved after the claim: nothing posted, claim released. */
  | 'stopped'
  | 'claim_lost'
  /** Slack refused the message for good (thread or channel gone): the step is counted as done. */
  | 'rejected'
  /** It may have been posted by an earlier attempt and the history cannot be read: recorded as sent, not posted again. */
  | 'uncertain'
  | 'conflict';

export interface ReminderScheduler {
  /** Polls every `pollMs`. Idempotent. */
  start(): void;
  /** Stops polling; a post in flight is abandoned and its claim handed back. Idempotent. */
  stop(): Promise<void>;
  /** One poll now: handles the due complaints, resolves with how many steps were posted or recovered. */
  tick(): Promise<number>;
  /** Handles one complaint if due (tests, tools). */
  remind(id: string, signal?: AbortSignal): Promise<ReminderOutcome>;
}

type Step = number | 'e';

interface HeldClaim {
  readonly instance: string;
  readonly step: string;
  readonly at: number;
  /** The step may have been posted (the claim reached its second phase, or is in the old one-phase form). */
  readonly sending: boolean;
}

/** Marks a claim's step as claimed only: nothing sent yet. */
const CLAIMED_ONLY = '~';

/** A malformed claim reads as abandoned (instance '', time 0) and maybe sent. */
export function parseReminderClaim(claim: string): HeldClaim {
  const last = claim.lastIndexOf(':');
  const mid = claim.lastIndexOf(':', last - 1);
  const at = Number(claim.slice(last + 1));
  if (mid <= 0 || !Number.isSafeInteger(at)) return { instance: '', step: '', at: 0, sending: true };
  const step = claim.slice(mid + 1, last);
  const claimedOnly = step.startsWith(CLAIMED_ONLY);
  return { instance: claim.slice(0, mid), step: claimedOnly ? step.slice(CLAIMED_ONLY.length) : step, at, sending: !claimedOnly };
}

/** Thrown out of a post attempt: the step may be posted already and the history cannot be read. */
class UncertainError extends Error {
  constructor(readonly refusal: SlackApiError) {
    super('the step may have been posted and the history cannot be read');
  }
}

export function createReminderScheduler(o: ReminderSchedulerOptions): ReminderScheduler {
  const { store, api, remindAfterMs, remindMax, escalation, dashboardUrl, instanceId, claimTimeoutMs = DEFAULT_CLAIM_TIMEOUT_MS, pollMs = 1_000, batchSize = 100, now = Date.now } = o;
  const logger = o.logger.child({ component: 'slack-reminders' });
  assertOption(!instanceId.includes(':'), `a reminder instance id cannot contain ":" (got ${JSON.stringify(instanceId)})`);
  let controller = new AbortController();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;
  const iso = (t: number): string => new Date(t).toISOString();

  function nextStep(r: ReminderState): Step | null {
    if (r.sent < remindMax) return r.sent + 1;
    return escalation && r.escalatedAt === null ? 'e' : null;
  }

  async function remind(id: string, signal: AbortSignal = controller.signal): Promise<ReminderOutcome> {
    for (let attempt = 0; attempt < 5; attempt++) {
      signal.throwIfAborted();
      const cur = await store.get(id);
      if (!cur) return 'not_due';
      const c = cur.complaint;
      const r = c.reminders ?? NO_REMINDERS;
      if (c.status !== ComplaintStatus.Open || r.nextAt === null || Date.parse(r.nextAt) > now()) return 'not_due';
      const ref = c.slackMessage;
      if (ref === null || isSlackClaim(ref)) return 'not_posted';
      const step = nextStep(r);
      if (step === null) {
        await store.updateReminders(id, { nextAt: null }, cur.version);
        return 'done';
      }
      let mayExist = false;
      if (r.claim !== null) {
        const held = parseReminderClaim(r.claim);
        if (held.instance !== instanceId && now() - held.at < claimTimeoutMs) return 'claimed_elsewhere';
        // Abandoned (a crash, a stop) or ours from an attempt that failed midway: it may be posted,
        // unless the claim never reached its sending phase.
        mayExist = held.step === String(step) && held.sending;
      }
      const claim = `${instanceId}:${CLAIMED_ONLY}${step}:${now()}`;
      const outcome = await store.updateReminders(id, { claim }, cur.version);
      if (outcome === 'ok') return postClaimed(c, ref, step, claim, mayExist, signal);
      if (outcome === 'not_found') return 'not_due';
      // conflict: acknowledged, snoozed or claimed meanwhile; look again.
    }
    return 'conflict';
  }

  /** Replaces our claim by `patch` (with claim set or cleared); false when it is no longer ours. */
  async function replaceClaim(id: string, claim: string, patch: (c: Complaint, r: ReminderState) => ReminderPatch): Promise<boolean> {
    for (;;) {
      const cur = await store.get(id);
      const r = cur?.complaint.reminders ?? NO_REMINDERS;
      if (!cur || r.claim !== claim) return false;
      const outcome = await store.updateReminders(id, patch(cur.complaint, r), cur.version);
      if (outcome === 'ok') return true;
      if (outcome === 'not_found') return false;
    }
  }

  async function postClaimed(complaint: Complaint, ref: SlackMessageRef, step: Step, firstClaim: string, firstMayExist: boolean, signal: AbortSignal): Promise<ReminderOutcome> {
    const { id } = complaint;
    let claim = firstClaim;
    let mayExist = firstMayExist;
    let found = false;
    const target = step === 'e' ? escalation!.channel : ref.channel;
    // A complaint message that is unknown (maybe posted, history unreadable) has no thread: remind at the channel's top level.
    const thread = step !== 'e' && isKnownMessageTs(ref.ts) ? { threadTs: ref.ts } : {};
    const since = Math.max(0, complaint.rating.ratingTime - 86_400_000);
    const where: MessageQuery =
      step === 'e'
        ? { channel: target, sinceMs: since, eventType: ESCALATION_METADATA_EVENT_TYPE, match: { complaint_id: id } }
        : { channel: target, ...thread, sinceMs: thread.threadTs ? 0 : since, eventType: REMINDER_METADATA_EVENT_TYPE, match: { complaint_id: id, reminder: step } };
    let posted: SlackMessageRef;
    try {
      posted = await withSlackRetry(
        async (attempt) => {
          if (attempt > 1) {
            // Renew the claim so nobody takes it over while we wait out a rate limit or an outage.
            const renewed = `${instanceId}:${step}:${now()}`;
            if (!(await replaceClaim(id, claim, () => ({ claim: renewed })))) throw new ClaimLostError(id);
            claim = renewed;
          }
          if (mayExist) {
            const f = await findPosted(where, signal);
            if (f instanceof SlackApiError) throw new UncertainError(f);
            if (f) {
              found = true;
              return f;
            }
          }
          // Acknowledged since the claim: post nothing.
          const latest = await store.get(id);
          if (!latest || latest.complaint.status !== ComplaintStatus.Open) throw new StoppedError();
          if (!parseReminderClaim(claim).sending) {
            // Second phase: from here on a taker must assume the step may be posted.
            const sending = `${instanceId}:${step}:${now()}`;
            if (!(await replaceClaim(id, claim, () => ({ claim: sending })))) throw new ClaimLostError(id);
            claim = sending;
          }
          const message = step === 'e' ? escalationMessage(latest.complaint, { dashboardUrl, mention: escalation!.mention, reminders: remindMax }) : reminderMessage(latest.complaint, step, remindMax);
          const metadata = step === 'e' ? escalationMetadata(id) : reminderMetadata(id, step);
          return api.postMessage({ channel: target, ...message, metadata, ...thread }, signal);
        },
        {
          logger,
          what: step === 'e' ? `escalating complaint ${id}` : `posting reminder ${step} of complaint ${id}`,
          signal,
          maxDelayMs: 60_000,
          onError: (e) => {
            if (e.method === 'chat.postMessage' && e.ambiguous) mayExist = true;
          },
        },
      );
    } catch (e) {
      if (e instanceof UncertainError) {
        logger.warn(
          { err: e.refusal, complaintId: id, step, channel: target },
          `${step === 'e' ? 'the escalation' : `reminder ${step}`} may have been posted by an earlier attempt and the channel history cannot be read; recorded as sent without posting it again. Grant channels:history (groups:history for a private channel) so the scheduler can look`,
        );
        await record(id, claim, step, null);
        return 'uncertain';
      }
      if (e instanceof StoppedError) {
        await replaceClaim(id, claim, () => ({ claim: null })).catch((err: unknown) => logger.warn({ err, complaintId: id }, 'could not release the reminder claim'));
        return 'stopped';
      }
      if (e instanceof ClaimLostError) {
        logger.warn({ complaintId: id, step }, 'another instance took over the reminder claim; leaving it to it');
        return 'claim_lost';
      }
      if (e instanceof SlackApiError && !e.retriable && !signal.aborted) {
        // The thread or channel is gone, or the bot is not in it: retrying cannot help; move on to the next step.
        logger.error({ err: e, complaintId: id, step }, 'Slack refused the reminder; counting it as sent');
        await record(id, claim, step, null);
        return 'rejected';
      }
      if (signal.aborted) {
        // Stopping: hand the step back at once, dated 0, in the phase it reached (sending: the next taker searches before posting).
        const back = `${instanceId}:${parseReminderClaim(claim).sending ? '' : CLAIMED_ONLY}${step}:0`;
        await replaceClaim(id, claim, () => ({ claim: back })).catch((err: unknown) => logger.warn({ err, complaintId: id }, 'could not hand the reminder claim back'));
      }
      throw e;
    }
    await record(id, claim, step, posted);
    logger.info({ complaintId: id, step, ts: posted.ts, recovered: found }, step === 'e' ? 'complaint escalated' : 'reminder posted');
    return found ? 'recovered' : step === 'e' ? 'escalated' : 'reminded';
  }

  /** The step's message, null when it is not there, or the refusal when the thread or channel cannot be read. */
  async function findPosted(where: MessageQuery, signal: AbortSignal): Promise<SlackMessageRef | null | SlackApiError> {
    try {
      return await api.findMessage(where, signal);
    } catch (e) {
      if (e instanceof SlackApiError && !e.retriable) return e;
      throw e;
    }
  }

  /** Records step `step` as done: count, next due time (or none), escalation; clears our claim. Not abortable. */
  async function record(id: string, claim: string, step: Step, posted: SlackMessageRef | null): Promise<void> {
    const ours = await retry(
      () =>
        replaceClaim(id, claim, (c, r) => {
          const t = now();
          const sent = step === 'e' ? r.sent : step;
          const more = step !== 'e' && (sent < remindMax || escalation !== null);
          const snoozed = r.snoozedUntil ? Date.parse(r.snoozedUntil) : 0;
          // Acknowledged meanwhile: the acknowledgement cleared the schedule; keep it clear.
          const nextAt = c.status === ComplaintStatus.Open && more ? iso(Math.max(t + remindAfterMs, snoozed)) : null;
          return { claim: null, sent, nextAt, ...(step === 'e' ? { escalatedAt: iso(t), escalationMessage: posted } : {}) };
        }),
      { maxAttempts: 8, initialDelayMs: 100, onRetry: (err, attempt) => logger.warn({ err, attempt, complaintId: id }, 'recording the reminder failed; retrying') },
    );
    if (!ours) logger.error({ complaintId: id, step }, 'the reminder claim was taken over while posting; the step may have been posted twice');
  }

  async function tickOnce(signal: AbortSignal): Promise<number> {
    const ids = await store.dueReminders({ now: iso(now()), limit: batchSize });
    let posted = 0;
    for (const id of ids) {
      if (signal.aborted) break;
      try {
        const outcome = await remind(id, signal);
        if (outcome === 'reminded' || outcome === 'escalated' || outcome === 'recovered') posted++;
      } catch (err) {
        if (signal.aborted) break;
        logger.warn({ err, complaintId: id }, 'reminding failed; trying again at the next poll');
      }
    }
    return posted;
  }

  function tick(): Promise<number> {
    running ??= tickOnce(controller.signal).finally(() => {
      running = null;
    });
    return running;
  }

  function schedule(): void {
    timer = setTimeout(() => {
      tick()
        .catch((err: unknown) => logger.warn({ err }, 'searching due reminders failed; trying again'))
        .finally(() => {
          if (timer !== null) schedule();
        });
    }, pollMs);
  }

  return {
    start() {
      if (timer !== null) return;
      if (controller.signal.aborted) controller = new AbortController();
      schedule();
      logger.info({ remindAfterMs, remindMax, escalation: escalation?.channel ?? null }, 'reminder scheduler started');
    },
    async stop() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      controller.abort(new Error('the reminder scheduler is stopping'));
      await running?.catch(() => undefined);
    },
    tick,
    remind,
  };
}

class ClaimLostError extends Error {
  constructor(id: string) {
    super(`complaint ${id}: the reminder claim was taken over`);
  }
}

class StoppedError extends Error {
  constructor() {
    super('acknowledged meanwhile');
  }
}
