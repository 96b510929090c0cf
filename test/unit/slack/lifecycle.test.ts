/**
 * The complaint lifecycle in Slack, on the in-memory backends and the Web API
 * recorder, with an injected clock: reminders as thread replies, one
 * escalation post, acknowledgement stopping them, snooze, resolve from Slack
 * and from GraphQL's service, and the exactly-once claims. Every step is a
 * `tick()` of the scheduler at a chosen time (the background poll is set far
 * beyond the test), so counts are exact and nothing waits on the wall clock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AckVia, ComplaintStatus, complaintId, openComplaint, type Complaint } from '../../../src/domain/index.js';
import {
  ACK_STATUS_BLOCK_ID,
  ESCALATION_METADATA_EVENT_TYPE,
  REMINDER_METADATA_EVENT_TYPE,
  RESOLVE_ACTION_ID,
  RESOLVED_STATUS_BLOCK_ID,
  SNOOZE_ACTION_ID,
  SNOOZE_STATUS_BLOCK_ID,
} from '../../../slack-app/constants.js';
import type { ReminderScheduler } from '../../../slack-app/reminders.js';
import type { StoredMessage } from '../../support/slack-recorder.js';
import { blockActionPayload, formPayload, postTo, signedHeaders } from '../../support/slack-signing.js';
import { CHANNEL, SIGNING_SECRET, complaintRating, eventually, runRole, startBackends, type Backends, type RunningRole } from './harness.js';

const ESCALATION = 'C0ESCALATE';
const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);

describe('complaint lifecycle in Slack', () => {
  let b: Backends;
  let t = T0;
  const now = (): number => t;
  const running: RunningRole[] = [];

  const run = async (instanceId = 'one'): Promise<RunningRole> => {
    const r = await runRole(b, { groupPrefix: `g-${instanceId}`, tuning: { instanceId, now, reminderPollMs: 3_600_000, claimTimeoutMs: 30_000 } });
    running.push(r);
    return r;
  };
  const scheduler = (r: RunningRole): ReminderScheduler => {
    if (!r.role.reminders) throw new Error('reminders are off');
    return r.role.reminders;
  };

  beforeEach(async () => {
    t = T0;
    b = await startBackends({}, { env: { REMIND_AFTER: '1m', REMIND_MAX: '3', ESCALATION_CHANNEL: ESCALATION, ESCALATION_MENTION: 'S0ONCALL' }, now });
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop()));
    await b.close();
  });

  async function posted(id: string): Promise<Complaint> {
    return eventually(async () => {
      const c = (await b.search.get(id))?.complaint;
      return c?.slackMessage && !c.slackMessage.ts.startsWith('pending:') ? c : null;
    }, `complaint ${id} to be posted`);
  }

  async function raise(): Promise<{ id: string; ts: string }> {
    const rating = complaintRating({ ratingTime: t });
    await b.produceComplaint(rating);
    const c = await posted(complaintId(rating));
    return { id: c.id, ts: c.slackMessage!.ts };
  }

  const reminders = (ts: string): StoredMessage[] => b.recorder.replies(CHANNEL, ts);
  const escalations = (): StoredMessage[] => b.recorder.messages(ESCALATION);
  const meta = (m: StoredMessage): Record<string, unknown> => (m.metadata as { event_payload: Record<string, unknown> }).event_payload;

  async function clickAs(r: RunningRole, actionId: string, id: string, ts: string, user = { id: 'U0ALICE', username: 'alice' }): Promise<void> {
    const body = formPayload(blockActionPayload({ complaintId: id, user, channel: CHANNEL, messageTs: ts, actionId }));
    const res = await postTo(r.eventsUrl, body, signedHeaders(body, SIGNING_SECRET));
    expect(res.status).toBe(200);
  }

  it('reminds an ignored complaint exactly REMIND_MAX times in its thread, then escalates once with the mention and its buttons', async () => {
    const role = await run();
    const { id, ts } = await raise();
    expect((await b.search.get(id))!.complaint.reminders?.nextAt).toBe(new Date(T0 + MINUTE).toISOString());

    t = T0 + MINUTE - 1;
    expect(await scheduler(role).tick()).toBe(0);
    for (let n = 1; n <= 3; n++) {
      t = T0 + n * MINUTE;
      expect(await scheduler(role).tick()).toBe(1);
      expect(reminders(ts).map((m) => meta(m).reminder)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    }
    expect(reminders(ts).every((m) => (m.metadata as { event_type: string }).event_type === REMINDER_METADATA_EVENT_TYPE && meta(m).complaint_id === id)).toBe(true);
    expect(reminders(ts)[2]!.text).toContain('Reminder 3 of 3');
    expect(escalations()).toHaveLength(0);

    t = T0 + 4 * MINUTE;
    expect(await scheduler(role).tick()).toBe(1);
    const [escalation] = escalations();
    expect(escalations()).toHaveLength(1);
    expect(escalation!.threadTs).toBeNull();
    expect((escalation!.metadata as { event_type: string }).event_type).toBe(ESCALATION_METADATA_EVENT_TYPE);
    const text = JSON.stringify(escalation!.blocks);
    expect(text).toContain('<!subteam^S0ONCALL>');
    expect(text).toContain('"text":"Acknowledge"');
    expect(text).toContain('"text":"Snooze"');

    // Nothing more, however long it stays ignored.
    for (const minutes of [5, 10, 60, 600]) {
      t = T0 + minutes * MINUTE;
      expect(await scheduler(role).tick()).toBe(0);
    }
    expect(reminders(ts)).toHaveLength(3);
    expect(escalations()).toHaveLength(1);
    const stored = (await b.search.get(id))!.complaint;
    expect(stored.reminders).toMatchObject({
      sent: 3,
      nextAt: null,
      claim: null,
      escalatedAt: new Date(T0 + 4 * MINUTE).toISOString(),
      escalationMessage: { channel: ESCALATION, ts: escalation!.ts },
    });
  });

  it('sends no reminder after an acknowledgement, and the escalation post follows the acknowledgement', async () => {
    const role = await run();
    const { id, ts } = await raise();
    t = T0 + MINUTE;
    expect(await scheduler(role).tick()).toBe(1);

    await clickAs(role, 'complaint_acknowledge', id, ts);
    await eventually(async () => (await b.search.get(id))!.complaint.status === ComplaintStatus.Acknowledged, 'the acknowledgement');
    expect((await b.search.get(id))!.complaint.reminders?.nextAt).toBeNull();
    for (const minutes of [2, 3, 4, 5, 60]) {
      t = T0 + minutes * MINUTE;
      expect(await scheduler(role).tick()).toBe(0);
    }
    expect(reminders(ts)).toHaveLength(1);
    expect(escalations()).toHaveLength(0);
  });

  it('waits until a snooze ends, then resumes; the message shows the snooze', async () => {
    const role = await run();
    const { id, ts } = await raise();
    await clickAs(role, SNOOZE_ACTION_ID, id, ts);
    await b.recorder.until((r) => r.okCallsTo('chat.update').length === 1, 'the snoozed message');
    const update = b.recorder.okCallsTo('chat.update')[0]!;
    expect(JSON.stringify(update.body.blocks)).toContain(SNOOZE_STATUS_BLOCK_ID);
    const snoozedUntil = new Date(T0 + 60 * MINUTE).toISOString();
    expect((await b.search.get(id))!.complaint.reminders).toMatchObject({ snoozedUntil, nextAt: snoozedUntil });

    for (const minutes of [1, 2, 30, 59]) {
      t = T0 + minutes * MINUTE;
      expect(await scheduler(role).tick()).toBe(0);
    }
    expect(reminders(ts)).toHaveLength(0);
    t = T0 + 60 * MINUTE;
    expect(await scheduler(role).tick()).toBe(1);
    t = T0 + 61 * MINUTE;
    expect(await scheduler(role).tick()).toBe(1);
    expect(reminders(ts).map((m) => meta(m).reminder)).toEqual([1, 2]);
  });

  it('refuses a snooze beyond 24 hours or of an acknowledged complaint', async () => {
    await run();
    const { id } = await raise();
    await expect(b.acknowledgements.snooze({ complaintId: id, until: new Date(T0 + 25 * 60 * MINUTE), by: 'alice' })).rejects.toThrow(/at most 24 hours/);
    await expect(b.acknowledgements.snooze({ complaintId: id, until: new Date(T0 - MINUTE), by: 'alice' })).rejects.toThrow(/in the future/);
    await b.acknowledgements.acknowledge({ complaintId: id, by: 'alice', via: AckVia.GraphQL });
    await expect(b.acknowledgements.snooze({ complaintId: id, until: new Date(T0 + MINUTE), by: 'alice' })).rejects.toThrow(/ACKNOWLEDGED/);
  });

  it('resolves from Slack once acknowledged: the message shows it, a second resolver is told who was first', async () => {
    const role = await run();
    const { id, ts } = await raise();
    await clickAs(role, 'complaint_acknowledge', id, ts);
    await b.recorder.until((r) => r.okCallsTo('chat.update').length === 1, 'the acknowledged message');
    const acked = b.recorder.okCallsTo('chat.update')[0]!;
    expect(JSON.stringify(acked.body.blocks)).toContain(RESOLVE_ACTION_ID);

    await clickAs(role, RESOLVE_ACTION_ID, id, ts);
    await b.recorder.until((r) => r.okCallsTo('chat.update').length === 2, 'the resolved message');
    const resolved = JSON.stringify(b.recorder.okCallsTo('chat.update')[1]!.body.blocks);
    expect(resolved).toContain(RESOLVED_STATUS_BLOCK_ID);
    expect(resolved).toContain(ACK_STATUS_BLOCK_ID);
    expect(resolved).not.toContain(`"action_id":"${RESOLVE_ACTION_ID}"`);
    const stored = (await b.search.get(id))!.complaint;
    expect(stored.status).toBe(ComplaintStatus.Resolved);
    expect(stored.resolution).toMatchObject({ by: 'U0ALICE', via: AckVia.Slack });

    await clickAs(role, RESOLVE_ACTION_ID, id, ts, { id: 'U0BOB', username: 'bob' });
    await b.recorder.until((r) => r.okCallsTo('chat.postEphemeral').length === 1, 'the note to the second resolver');
    expect(String(b.recorder.okCallsTo('chat.postEphemeral')[0]!.body.text)).toContain('already resolved by <@U0ALICE>');
  });

  it('resolved through the service GraphQL uses, the Slack message and the escalation post show it', async () => {
    const role = await run();
    const { id, ts } = await raise();
    for (let n = 1; n <= 4; n++) {
      t = T0 + n * MINUTE;
      await scheduler(role).tick();
    }
    const escalation = escalations()[0]!;
    const outcome = await b.acknowledgements.resolve({ complaintId: id, by: 'carol', via: AckVia.GraphQL, note: 'refunded' });
    expect(outcome.kind).toBe('resolved');
    expect(outcome.complaint.acknowledgement).toMatchObject({ by: 'carol' });
    const shows = (m: StoredMessage | undefined): boolean => !!m && m.updates > 0 && JSON.stringify(m.blocks).includes(RESOLVED_STATUS_BLOCK_ID) && JSON.stringify(m.blocks).includes('refunded');
    await b.recorder.until((r) => shows(r.messages(CHANNEL).find((m) => m.ts === ts)) && shows(r.messages(ESCALATION).find((m) => m.ts === escalation.ts)), 'both messages to show the resolution');
    const again = await b.acknowledgements.resolve({ complaintId: id, by: 'dave', via: AckVia.GraphQL });
    expect(again).toMatchObject({ kind: 'already_resolved', complaint: { resolution: { by: 'carol' } } });
  });

  describe('exactly once', () => {
    it('records, without posting again, a reminder that a crashed instance posted but did not record', async () => {
      const role = await run();
      const { id, ts } = await raise();
      // A dead instance claimed reminder 1 and posted it, then died before recording it.
      const cur = (await b.search.get(id))!;
      expect(await b.search.updateReminders(id, { claim: `dead:1:${T0 + MINUTE - 10_000}` }, cur.version)).toBe('ok');
      const dead = await fetch(`${b.recorder.apiUrl}chat.postMessage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
        body: JSON.stringify({ channel: CHANNEL, thread_ts: ts, text: 'Reminder 1 of 3', metadata: { event_type: REMINDER_METADATA_EVENT_TYPE, event_payload: { complaint_id: id, reminder: 1 } } }),
      });
      expect(((await dead.json()) as { ok: boolean }).ok).toBe(true);

      t = T0 + MINUTE;
      // Still within the dead instance's claim: left alone.
      expect(await scheduler(role).remind(id)).toBe('claimed_elsewhere');
      t = T0 + MINUTE + 30_000;
      expect(await scheduler(role).remind(id)).toBe('recovered');
      expect(reminders(ts)).toHaveLength(1);
      expect((await b.search.get(id))!.complaint.reminders).toMatchObject({ sent: 1, claim: null });
      t = T0 + 3 * MINUTE;
      expect(await scheduler(role).tick()).toBe(1);
      expect(reminders(ts).map((m) => meta(m).reminder)).toEqual([1, 2]);
    });

    it('posts a reminder a crashed instance claimed but never posted, once', async () => {
      const role = await run();
      const { id, ts } = await raise();
      const cur = (await b.search.get(id))!;
      expect(await b.search.updateReminders(id, { claim: `dead:1:${T0}` }, cur.version)).toBe('ok');
      t = T0 + 2 * MINUTE;
      expect(await scheduler(role).remind(id)).toBe('reminded');
      expect(b.recorder.callsTo('conversations.replies').length).toBeGreaterThanOrEqual(1);
      expect(reminders(ts).map((m) => meta(m).reminder)).toEqual([1]);
    });

    it('posts at once, without looking, a reminder a crashed instance claimed but had not begun to send (first phase)', async () => {
      const role = await run();
      const { id, ts } = await raise();
      const cur = (await b.search.get(id))!;
      expect(await b.search.updateReminders(id, { claim: `dead:~1:${T0}` }, cur.version)).toBe('ok');
      t = T0 + 2 * MINUTE;
      expect(await scheduler(role).remind(id)).toBe('reminded');
      expect(b.recorder.callsTo('conversations.replies')).toHaveLength(0);
      expect(reminders(ts).map((m) => meta(m).reminder)).toEqual([1]);
    });

    it('records without posting again a reminder a crashed instance was sending, when the thread cannot be read (missing_scope)', async () => {
      const role = await run();
      const { id, ts } = await raise();
      const unreadable = b.recorder.addRule((c) => (c.method === 'conversations.replies' ? { kind: 'error', error: 'missing_scope' } : undefined));
      const cur = (await b.search.get(id))!;
      expect(await b.search.updateReminders(id, { claim: `dead:1:${T0}` }, cur.version)).toBe('ok');
      t = T0 + 2 * MINUTE;
      expect(await scheduler(role).remind(id)).toBe('uncertain');
      expect(b.recorder.callsTo('conversations.replies').map((c) => (c.response as { error?: string }).error)).toEqual(['missing_scope']);
      expect(reminders(ts)).toHaveLength(0);
      expect((await b.search.get(id))!.complaint.reminders).toMatchObject({ sent: 1, claim: null });
      // The schedule goes on: the next reminder is posted (nothing of it was ever claimed).
      unreadable();
      t = T0 + 4 * MINUTE;
      expect(await scheduler(role).remind(id)).toBe('reminded');
      expect(reminders(ts).map((m) => meta(m).reminder)).toEqual([2]);
    });

    it('looks for a reminder whose post failed after Slack stored it, instead of posting it twice', async () => {
      const role = await run();
      const { ts } = await raise();
      b.recorder.failNext('chat.postMessage', { kind: 'http', status: 500, afterEffect: true });
      t = T0 + MINUTE;
      expect(await scheduler(role).tick()).toBe(1);
      expect(reminders(ts)).toHaveLength(1);
    });

    it('posts each reminder once when two instances poll at the same moments', async () => {
      const one = await run('one');
      const two = await run('two');
      const ratings = Array.from({ length: 4 }, () => complaintRating({ ratingTime: t }));
      for (const r of ratings) await b.produceComplaint(r);
      const posts = await Promise.all(ratings.map((r) => posted(complaintId(r))));
      for (let n = 1; n <= 4; n++) {
        t = T0 + n * MINUTE;
        await Promise.all([scheduler(one).tick(), scheduler(two).tick(), scheduler(one).tick(), scheduler(two).tick()]);
      }
      for (const p of posts) expect(reminders(p.slackMessage!.ts).map((m) => meta(m).reminder)).toEqual([1, 2, 3]);
      expect(
        escalations()
          .map((m) => meta(m).complaint_id)
          .sort(),
      ).toEqual(posts.map((p) => p.id).sort());
    });
  });

  it('schedules nothing with REMIND_AFTER=0', async () => {
    await b.close();
    b = await startBackends({}, { env: { REMIND_AFTER: '0' }, now });
    const r = await runRole(b, { tuning: { now } });
    running.push(r);
    expect(r.role.reminders).toBeNull();
    const rating = complaintRating({ ratingTime: t });
    await b.search.createIfAbsent(openComplaint(rating));
    await b.produceComplaint(rating);
    const c = await posted(complaintId(rating));
    expect(c.reminders?.nextAt ?? null).toBeNull();
  });
});
