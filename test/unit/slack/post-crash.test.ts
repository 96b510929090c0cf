/**
 * Posted, then the process died before the message reference was stored
 * (issue 17, Slack faults, fault matrix 4.2): the complaint document still
 * holds the dead instance's claim; the next poster takes the claim over. A
 * claim marked `sending` (a chat.postMessage may have started) makes it search
 * the channel history by message metadata and record what it finds; when the
 * token cannot read the history (missing_scope) it records the complaint as
 * posted to an unknown message instead of posting a second one. A claim still
 * `claimed` (nothing sent) is posted without searching.
 * The dead process is simulated by a store that refuses some writes (the
 * claim stays, as after a SIGKILL at that point).
 */
import { Writable } from 'node:stream';
import { webApi } from '@slack/bolt';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AckVia, complaintId, isKnownMessageTs, openComplaint, type EnrichedRating, type SlackMessageRef } from '../../../src/domain/index.js';
import { silentLogger, type Logger } from '../../../src/logger.js';
import type { ComplaintStore } from '../../../src/ports/search.js';
import { createAckFollower } from '../../../slack-app/ack-follower.js';
import { slackClientOptions } from '../../../slack-app/bolt-app.js';
import { createPoster } from '../../../slack-app/poster.js';
import { createReminderScheduler } from '../../../slack-app/reminders.js';
import { slackSkippedCounter } from '../../../slack-app/role.js';
import { createSlackApi, type SlackApi } from '../../../slack-app/slack-api.js';
import { CHANNEL, complaintRating, eventually, runRole, startBackends, type Backends } from './harness.js';

interface LogLine {
  level: number;
  msg: string;
  complaintId?: string;
}

function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

const slackApi = (b: Backends): SlackApi =>
  createSlackApi({ client: new webApi.WebClient(b.slack.botToken, slackClientOptions(b.slack, silentLogger, 2_000)), logger: silentLogger, postIntervalMs: 0 });

/** Stores the complaint of `rating` with `ts` as its Slack message (a claim, an unknown message); its id. */
async function withSlackTs(b: Backends, rating: EnrichedRating, ts: string, nextReminderAt?: string): Promise<string> {
  const id = complaintId(rating);
  await b.search.createIfAbsent(openComplaint(rating));
  const { version } = (await b.search.get(id))!;
  expect(await b.search.setSlackMessage(id, { channel: CHANNEL, ts }, version, nextReminderAt === undefined ? {} : { nextReminderAt })).toBe('ok');
  return id;
}

describe('posted, then killed before the message reference is stored', () => {
  let b: Backends;
  let now: number;
  beforeEach(async () => {
    b = await startBackends();
    now = Date.now();
  });
  afterEach(() => b.close());

  const api = (): SlackApi => slackApi(b);
  const common = () => ({
    log: b.log,
    logger: silentLogger,
    topic: b.config.topics.complaints,
    groupId: 'g',
    channel: CHANNEL,
    dashboardUrl: null,
    maxAgeMs: 0,
    claimTimeoutMs: 60_000,
    claimPollMs: 10,
    now: () => now,
  });
  /** The store of a process killed at the first write `dies` matches (the write does not happen). */
  const killedAt = (dies: (ref: SlackMessageRef | null) => boolean): ComplaintStore =>
    new Proxy(b.search, {
      get(target, prop, receiver) {
        if (prop === 'setSlackMessage') {
          return async (...args: Parameters<ComplaintStore['setSlackMessage']>) => {
            if (dies(args[1])) throw new Error('killed');
            return target.setSlackMessage(...args);
          };
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    }) as typeof b.search;
  /** Killed right after chat.postMessage: every write of a real message reference fails. */
  const killedAfterPosting = () => killedAt((ref) => ref !== null && !ref.ts.startsWith('pending:'));
  const historyUnreadable = () => b.recorder.addRule((c) => (c.method === 'conversations.history' ? { kind: 'error', error: 'missing_scope' } : undefined));
  const slackMessage = async (id: string) => (await b.search.get(id))!.complaint.slackMessage;

  /** The first process posts `rating` and dies before recording the message. */
  async function postAndDie(rating: EnrichedRating): Promise<void> {
    const first = createPoster({ ...common(), api: api(), store: killedAfterPosting(), instanceId: 'dead1' });
    await expect(first.post(rating)).rejects.toThrow();
    await first.stop();
    expect(b.recorder.okCallsTo('chat.postMessage')).toHaveLength(1);
    // Marked `sending` before the post: whoever takes it over knows a message may exist.
    expect((await slackMessage(complaintId(rating)))!.ts).toMatch(/^pending:dead1:sending:\d+$/);
  }

  it('the next poster finds the message in the channel and posts no second one', async () => {
    const rating = complaintRating();
    const id = complaintId(rating);
    await postAndDie(rating);

    // Restart: another instance, once the dead claim has expired.
    now += 61_000;
    const second = createPoster({ ...common(), api: api(), store: b.search, instanceId: 'alive2' });
    expect(await second.post(rating)).toBe('recovered');
    expect(await second.post(rating)).toBe('already_posted');
    await second.stop();

    expect(b.recorder.callsTo('chat.postMessage')).toHaveLength(1);
    expect(b.recorder.callsTo('conversations.history').length).toBeGreaterThanOrEqual(1);
    const messages = b.recorder.messages(CHANNEL);
    expect(messages).toHaveLength(1);
    expect(await slackMessage(id)).toEqual({ channel: CHANNEL, ts: messages[0]!.ts });
  });

  it('posts no second message when the token cannot read the channel history (missing_scope): recorded as unknown, warned about, counted', async () => {
    historyUnreadable();
    const rating = complaintRating();
    const id = complaintId(rating);
    await postAndDie(rating);
    // Acknowledged meanwhile: recording must not try to update a message it does not know.
    await b.acknowledgements.acknowledge({ complaintId: id, by: 'alice', via: AckVia.GraphQL });

    now += 61_000;
    const { logger, lines } = capturingLogger();
    const registry = new Registry();
    const skipped = slackSkippedCounter(registry);
    const second = createPoster({ ...common(), logger, api: api(), store: b.search, instanceId: 'alive2', onUncertain: () => skipped.inc({ reason: 'uncertain' }) });
    expect(await second.post(rating)).toBe('uncertain');
    expect(await second.post(rating)).toBe('already_posted');
    await second.stop();

    expect(b.recorder.callsTo('chat.postMessage')).toHaveLength(1); // none after the restart
    expect(b.recorder.callsTo('chat.update')).toHaveLength(0);
    expect(b.recorder.callsTo('conversations.history').map((c) => (c.response as { error?: string }).error)).toEqual(['missing_scope']);
    expect(b.recorder.messages(CHANNEL)).toHaveLength(1);
    const ref = await slackMessage(id);
    expect(ref).toEqual({ channel: CHANNEL, ts: expect.stringMatching(/^unknown:\d+$/) as unknown });
    expect(isKnownMessageTs(ref!.ts)).toBe(false);
    expect(await registry.metrics()).toMatch(/^slack_complaints_skipped_total\{reason="uncertain"\} 1$/m);
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.complaintId).toBe(id);
    expect(warnings[0]!.msg).toContain('missing_scope');
    expect(warnings[0]!.msg).toContain('grant channels:history (groups:history for a private channel)');
    expect(warnings[0]!.msg).toContain(`complaint ${id} may or may not have been posted; not posting it twice`);
  });

  it('the role counts it in slack_complaints_skipped_total{reason="uncertain"}', async () => {
    historyUnreadable();
    const rating = complaintRating();
    // What a poster killed after its post leaves behind, handed back long ago.
    const id = await withSlackTs(b, rating, 'pending:dead1:sending:0');
    const registry = new Registry();
    const role = await runRole(b, { registry });
    try {
      await b.produceComplaint(rating);
      await eventually(async () => (await slackMessage(id))?.ts.startsWith('unknown:'), 'the complaint recorded as posted to an unknown message');
      expect(await registry.metrics()).toMatch(/^slack_complaints_skipped_total\{reason="uncertain"\} 1$/m);
      expect(b.recorder.callsTo('chat.postMessage')).toHaveLength(0);
    } finally {
      await role.stop();
    }
  });

  it('claimed but killed before chat.postMessage: the next poster posts it once without searching, even when the history is unreadable', async () => {
    historyUnreadable();
    const rating = complaintRating();
    const id = complaintId(rating);
    const first = createPoster({ ...common(), api: api(), store: killedAt((ref) => ref !== null && ref.ts.includes(':sending:')), instanceId: 'dead1' });
    await expect(first.post(rating)).rejects.toThrow('killed');
    await first.stop();
    expect(b.recorder.callsTo('chat.postMessage')).toHaveLength(0);
    expect((await slackMessage(id))!.ts).toMatch(/^pending:dead1:claimed:\d+$/);

    now += 61_000;
    const second = createPoster({ ...common(), api: api(), store: b.search, instanceId: 'alive2' });
    expect(await second.post(rating)).toBe('posted');
    await second.stop();
    expect(b.recorder.okCallsTo('chat.postMessage')).toHaveLength(1);
    expect(b.recorder.callsTo('conversations.history')).toHaveLength(0);
    const messages = b.recorder.messages(CHANNEL);
    expect(messages).toHaveLength(1);
    expect(await slackMessage(id)).toEqual({ channel: CHANNEL, ts: messages[0]!.ts });
  });

  it('a post Slack surely refused (429) sets the claim back to claimed: killed while waiting, the next poster posts without searching', async () => {
    historyUnreadable();
    b.recorder.failNext('chat.postMessage', { kind: 'rate_limited', retryAfterSec: 30 });
    const rating = complaintRating();
    const id = complaintId(rating);
    const first = createPoster({ ...common(), api: api(), store: b.search, instanceId: 'dead1' });
    const kill = new AbortController();
    const waiting = first.post(rating, kill.signal).catch((e: unknown) => e);
    await eventually(async () => (await slackMessage(id))?.ts.startsWith('pending:dead1:claimed:'), 'the claim set back to claimed');
    expect(b.recorder.callsTo('chat.postMessage')).toHaveLength(1);

    // The first is still waiting out Retry-After (as good as dead); its claim expires.
    now += 61_000;
    const second = createPoster({ ...common(), api: api(), store: b.search, instanceId: 'alive2' });
    expect(await second.post(rating)).toBe('posted');
    await second.stop();
    kill.abort(new Error('killed'));
    expect(await waiting).toEqual(new Error('killed'));
    expect(b.recorder.okCallsTo('chat.postMessage')).toHaveLength(1);
    expect(b.recorder.callsTo('conversations.history')).toHaveLength(0);
    expect(b.recorder.messages(CHANNEL)).toHaveLength(1);
    expect((await slackMessage(id))!.ts).toBe(b.recorder.messages(CHANNEL)[0]!.ts);
  });

  it('a claim written by an older version (no phase) reads as sending: the channel is searched before posting', async () => {
    const rating = complaintRating();
    await withSlackTs(b, rating, `pending:old1:${now - 120_000}`);
    const poster = createPoster({ ...common(), api: api(), store: b.search, instanceId: 'new1' });
    expect(await poster.post(rating)).toBe('posted');
    await poster.stop();
    expect(b.recorder.okCallsTo('conversations.history')).toHaveLength(1);
    expect(b.recorder.okCallsTo('chat.postMessage')).toHaveLength(1);
  });
});

describe('a complaint recorded as posted to an unknown message', () => {
  let b: Backends;
  beforeEach(async () => {
    b = await startBackends();
  });
  afterEach(() => b.close());

  const api = (): SlackApi => slackApi(b);

  const unknownMessage = (nextReminderAt?: string): Promise<string> => withSlackTs(b, complaintRating(), 'unknown:1700000000000', nextReminderAt);

  it('the acknowledgement follower updates no message', async () => {
    const id = await unknownMessage();
    const { logger, lines } = capturingLogger();
    const follower = createAckFollower({ log: b.log, store: b.search, api: api(), logger, topic: b.config.topics.acknowledgements, groupId: 'f', dashboardUrl: null });
    const outcome = await follower.follow({ complaintId: id, by: 'alice', byName: null, at: new Date().toISOString(), via: AckVia.GraphQL, note: null });
    expect(outcome).toBe('unknown_message');
    expect(b.recorder.callsTo('chat.update')).toHaveLength(0);
    expect(lines.filter((l) => l.level === 20 && l.complaintId === id).map((l) => l.msg)).toEqual(['the Slack message of the complaint is unknown; not updated']);
  });

  it('reminders go to the channel top level, not into a thread', async () => {
    const id = await unknownMessage(new Date(Date.now() - 1_000).toISOString());
    const reminders = createReminderScheduler({ store: b.search, api: api(), logger: silentLogger, remindAfterMs: 3_600_000, remindMax: 2, escalation: null, dashboardUrl: null, instanceId: 'r1' });
    expect(await reminders.remind(id)).toBe('reminded');
    await reminders.stop();
    const posts = b.recorder.okCallsTo('chat.postMessage');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.body.channel).toBe(CHANNEL);
    expect(posts[0]!.body).not.toHaveProperty('thread_ts');
    expect(b.recorder.messages(CHANNEL).map((m) => m.threadTs)).toEqual([null]);
    expect(b.recorder.callsTo('chat.update')).toHaveLength(0);
    expect((await b.search.get(id))!.complaint.reminders?.sent).toBe(1);
  });
});
