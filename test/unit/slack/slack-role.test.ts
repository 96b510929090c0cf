import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ComplaintStatus, complaintId, openComplaint, parseAcknowledgement, type Complaint } from '../../../src/domain/index.js';
import { ACK_ACTION_ID, ACK_STATUS_BLOCK_ID, COMPLAINT_ACTIONS_BLOCK_ID, COMPLAINT_METADATA_EVENT_TYPE, SNOOZE_ACTION_ID } from '../../../slack-app/constants.js';
import { silentLogger } from '../../../src/logger.js';
import { createSlackRole } from '../../../slack-app/index.js';
import type { RecordedCall } from '../../support/slack-recorder.js';
import { blockActionPayload, formPayload, postTo, signedHeaders } from '../../support/slack-signing.js';
import { CHANNEL, DASHBOARD_URL, FOLLOWER_GROUP, POSTER_GROUP, SIGNING_SECRET, complaintRating, eventually, runRole, startBackends, type Backends, type RunningRole } from './harness.js';

interface Block {
  type: string;
  block_id?: string;
  text?: { text: string };
  fields?: { text: string }[];
  elements?: { type: string; action_id?: string; value?: string; text?: string | { text: string } }[];
}

const blocksOf = (c: RecordedCall): Block[] => c.body.blocks as Block[];
const blockText = (blocks: Block[]): string => JSON.stringify(blocks);
const postsOf = (b: Backends, id: string): RecordedCall[] =>
  b.recorder.okCallsTo('chat.postMessage').filter((c) => (c.body.metadata as { event_payload?: { complaint_id?: string } }).event_payload?.complaint_id === id);

async function postedComplaint(b: Pick<Backends, 'search'>, id: string): Promise<Complaint> {
  return eventually(async () => {
    const c = (await b.search.get(id))?.complaint;
    return c?.slackMessage && !c.slackMessage.ts.startsWith('pending:') ? c : null;
  }, `complaint ${id} to record its Slack message`);
}

async function click(run: RunningRole, id: string, ts: string, user = { id: 'U0ALICE', username: 'alice', name: 'alice' }, sign = {}): Promise<{ status: number }> {
  const body = formPayload(blockActionPayload({ complaintId: id, user, channel: CHANNEL, messageTs: ts }));
  return postTo(run.eventsUrl, body, signedHeaders(body, SIGNING_SECRET, sign));
}

describe('Slack role', () => {
  let b: Backends;
  const running: RunningRole[] = [];
  const run = async (...args: Parameters<typeof runRole> extends [unknown, ...infer R] ? R : never): Promise<RunningRole> => {
    const r = await runRole(b, ...args);
    running.push(r);
    return r;
  };

  beforeEach(async () => {
    b = await startBackends();
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop()));
    await b.close();
  });

  describe('posting', () => {
    it('posts a complaint produced upstream exactly once, with its details, an Acknowledge button and a dashboard link', async () => {
      await run();
      const rating = complaintRating({ message: 'the <!channel> seat was broken & dirty', channel: 'android', stars: 2 });
      const id = complaintId(rating);
      await b.produceComplaint(rating);

      const complaint = await postedComplaint(b, id);
      await eventually(async () => (await b.log.lag(POSTER_GROUP, b.config.topics.complaints)) === 0, 'the poster to commit');

      const posts = b.recorder.okCallsTo('chat.postMessage');
      expect(posts).toHaveLength(1);
      const call = posts[0]!;
      expect(call.token).toBe(b.slack.botToken);
      expect(call.body.channel).toBe(CHANNEL);
      expect(call.body.metadata).toEqual({ event_type: COMPLAINT_METADATA_EVENT_TYPE, event_payload: { complaint_id: id } });
      const blocks = blocksOf(call);
      expect(blocks[0]).toMatchObject({ type: 'header', text: { text: expect.stringContaining('Rica Blaisdell') } });
      const fields = blocks[1]!.fields!.map((f) => f.text);
      expect(fields).toEqual([
        '*Customer*\nRica Blaisdell',
        '*Email*\n<mailto:rblaisdell0@rambler.ru|rblaisdell0@rambler.ru>',
        '*Club status*\nPlatinum',
        '*Stars*\n★★☆☆☆ (2/5)',
        '*Channel*\nandroid',
        expect.stringMatching(/^\*Time\*\n<!date\^1528800546\^/),
      ]);
      // The customer's words are quoted and escaped: no channel-wide ping.
      expect(blocks[2]!.text!.text).toBe('>the &lt;!channel&gt; seat was broken &amp; dirty');
      const actions = blocks.find((x) => x.block_id === COMPLAINT_ACTIONS_BLOCK_ID)!;
      expect(actions.elements).toEqual([
        expect.objectContaining({ type: 'button', action_id: ACK_ACTION_ID, value: id }),
        expect.objectContaining({ type: 'button', action_id: SNOOZE_ACTION_ID, value: id }),
      ]);
      expect(blockText(blocks)).toContain(`<${DASHBOARD_URL}/complaints/${id}|Open in dashboard>`);

      // The complaint document did not exist (sink lag): the poster created it and says where the message is.
      expect(complaint.status).toBe(ComplaintStatus.Open);
      expect(complaint.slackMessage).toEqual({ channel: CHANNEL, ts: (call.response as { ts: string }).ts });
    });

    it('does not post again after a restart, nor when a fresh consumer group replays the topic', async () => {
      const first = await run();
      const a = complaintRating();
      await b.produceComplaint(a);
      await postedComplaint(b, complaintId(a));
      await first.stop();

      // Same group: resumes after the committed offset.
      await run();
      const c = complaintRating();
      await b.produceComplaint(c);
      await postedComplaint(b, complaintId(c));

      // A fresh group (offsets lost) reads everything again: the store says both are posted.
      await run({ groupPrefix: 'fresh' });
      await eventually(async () => (await b.log.lag('fresh-slack-poster', b.config.topics.complaints)) === 0, 'the replay to finish');

      expect(postsOf(b, complaintId(a))).toHaveLength(1);
      expect(postsOf(b, complaintId(c))).toHaveLength(1);
      expect(b.recorder.messages(CHANNEL)).toHaveLength(2);
    });

    it('posts once when two instances receive the same complaint at the same time', async () => {
      await run({ groupPrefix: 'one', tuning: { instanceId: 'one' } });
      await run({ groupPrefix: 'two', tuning: { instanceId: 'two' } });
      const ratings = Array.from({ length: 5 }, () => complaintRating());
      for (const r of ratings) await b.produceComplaint(r);
      for (const r of ratings) await postedComplaint(b, complaintId(r));
      await eventually(
        async () => (await b.log.lag('one-slack-poster', b.config.topics.complaints)) === 0 && (await b.log.lag('two-slack-poster', b.config.topics.complaints)) === 0,
        'both instances to commit',
      );

      for (const r of ratings) expect(postsOf(b, complaintId(r))).toHaveLength(1);
      expect(b.recorder.messages(CHANNEL)).toHaveLength(5);
    });

    it('finds a message whose post failed after Slack stored it, instead of posting it twice', async () => {
      b.recorder.failNext('chat.postMessage', { kind: 'http', status: 500, afterEffect: true });
      await run();
      const rating = complaintRating();
      await b.produceComplaint(rating);
      const complaint = await postedComplaint(b, complaintId(rating));

      expect(b.recorder.callsTo('chat.postMessage')).toHaveLength(1);
      expect(b.recorder.callsTo('conversations.history').length).toBeGreaterThanOrEqual(1);
      expect(b.recorder.messages(CHANNEL).map((m) => m.ts)).toEqual([complaint.slackMessage!.ts]);
    });

    it('retries a failed post with backoff and posts once', async () => {
      b.recorder.failNext('chat.postMessage', { kind: 'error', error: 'service_unavailable' }, 2);
      await run();
      const rating = complaintRating();
      await b.produceComplaint(rating);
      await postedComplaint(b, complaintId(rating));

      expect(b.recorder.callsTo('chat.postMessage')).toHaveLength(3);
      expect(b.recorder.messages(CHANNEL)).toHaveLength(1);
    });

    it('takes over a claim abandoned by a dead instance, checking the channel first', async () => {
      const rating = complaintRating();
      const id = complaintId(rating);
      await b.search.createIfAbsent(openComplaint(rating));
      const doc = (await b.search.get(id))!;
      await b.search.setSlackMessage(id, { channel: CHANNEL, ts: `pending:dead:${Date.now() - 120_000}` }, doc.version);

      await run({ tuning: { claimTimeoutMs: 60_000 } });
      await b.produceComplaint(rating);
      await postedComplaint(b, id);

      const history = b.recorder.callsTo('conversations.history');
      expect(history.length).toBeGreaterThanOrEqual(1);
      expect(history[0]!.at).toBeLessThan(b.recorder.callsTo('chat.postMessage')[0]!.at);
      expect(postsOf(b, id)).toHaveLength(1);
    });

    it('waits while another live instance holds the claim and posts nothing itself', async () => {
      const rating = complaintRating();
      const id = complaintId(rating);
      await b.search.createIfAbsent(openComplaint(rating));
      const doc = (await b.search.get(id))!;
      await b.search.setSlackMessage(id, { channel: CHANNEL, ts: `pending:other:${Date.now()}` }, doc.version);

      const reads = vi.spyOn(b.search, 'get');
      await run();
      await b.produceComplaint(rating);
      await eventually(() => reads.mock.calls.filter(([x]) => x === id).length >= 3, 'the poster to look at the claim repeatedly');
      // The other instance finishes: it records its message.
      const claimed = (await b.search.get(id))!;
      expect(await b.search.setSlackMessage(id, { channel: CHANNEL, ts: '1700000000.000001' }, claimed.version)).toBe('ok');
      await eventually(async () => (await b.log.lag(POSTER_GROUP, b.config.topics.complaints)) === 0, 'the poster to commit');

      expect(b.recorder.callsTo('chat.postMessage')).toHaveLength(0);
    });

    it('stops at once while waiting out a long Retry-After, and the next instance posts without waiting for the claim to expire', async () => {
      const stopRule = b.recorder.failNext('chat.postMessage', { kind: 'rate_limited', retryAfterSec: 600 });
      const first = await run({ tuning: { instanceId: 'first' } });
      const rating = complaintRating();
      const id = complaintId(rating);
      await b.produceComplaint(rating);
      await b.recorder.until((rec) => rec.callsTo('chat.postMessage').length === 1, 'the rate-limited post');
      await first.stop(); // would outlast the test timeout if it waited for Retry-After
      expect((await b.search.get(id))!.complaint.slackMessage).toBeNull();
      stopRule();

      await run({ tuning: { instanceId: 'second', claimTimeoutMs: 600_000 } });
      await postedComplaint(b, id);
      expect(postsOf(b, id)).toHaveLength(1);
    });

    it('posts an already acknowledged complaint without a button', async () => {
      await run();
      const rating = complaintRating();
      const id = complaintId(rating);
      await b.search.createIfAbsent(openComplaint(rating));
      await b.acknowledgements.acknowledge({ complaintId: id, by: 'ops-bot', byName: 'Ops Bot', via: 'graphql' });
      await b.produceComplaint(rating);
      await postedComplaint(b, id);

      const blocks = blocksOf(b.recorder.okCallsTo('chat.postMessage')[0]!);
      expect(blockText(blocks)).not.toContain(ACK_ACTION_ID);
      expect(blockText(blocks)).toContain('Acknowledged by *Ops Bot* (via GraphQL)');
    });

    it('skips records that do not match the complaint contract and goes on', async () => {
      await run();
      await b.log.produce([{ topic: b.config.topics.complaints, key: 'x', value: 'not json' }]);
      await b.log.produce([{ topic: b.config.topics.complaints, key: 'y', value: JSON.stringify({ STARS: 'many' }) }]);
      const rating = complaintRating();
      await b.produceComplaint(rating);
      await postedComplaint(b, complaintId(rating));
      await eventually(async () => (await b.log.lag(POSTER_GROUP, b.config.topics.complaints)) === 0, 'the poster to commit');
      expect(b.recorder.okCallsTo('chat.postMessage')).toHaveLength(1);
    });
  });

  describe('the Acknowledge button', () => {
    async function posted(): Promise<{ run: RunningRole; id: string; ts: string }> {
      const r = await run();
      const rating = complaintRating();
      const id = complaintId(rating);
      await b.produceComplaint(rating);
      const complaint = await postedComplaint(b, id);
      return { run: r, id, ts: complaint.slackMessage!.ts };
    }

    const acks = (): unknown[] => b.log.records(b.config.topics.acknowledgements).map((r) => JSON.parse(r.value!.toString()));

    it('acknowledges a correctly signed click everywhere and updates the message once', async () => {
      const { run: r, id, ts } = await posted();
      const res = await click(r, id, ts);
      expect(res.status).toBe(200);

      await b.recorder.until((rec) => rec.okCallsTo('chat.update').length === 1, 'the message update');
      const stored = (await b.search.get(id))!.complaint;
      expect(stored.status).toBe(ComplaintStatus.Acknowledged);
      expect(stored.acknowledgement).toMatchObject({ by: 'U0ALICE', byName: 'alice', via: 'slack' });

      const published = acks();
      expect(published).toHaveLength(1);
      const parsed = parseAcknowledgement(published[0]);
      expect(parsed.ok && parsed.value).toMatchObject({ complaintId: id, by: 'U0ALICE', via: 'slack' });

      const update = b.recorder.okCallsTo('chat.update')[0]!;
      expect(update.body).toMatchObject({ channel: CHANNEL, ts });
      const blocks = blocksOf(update);
      expect(blockText(blocks)).not.toContain(ACK_ACTION_ID);
      const status = blocks.find((x) => x.block_id === ACK_STATUS_BLOCK_ID)!;
      expect(JSON.stringify(status)).toMatch(/Acknowledged by <@U0ALICE> at <!date\^\d+\^/);

      // The follower sees the acknowledgement too, and leaves Slack clicks alone.
      await eventually(async () => (await b.log.lag(FOLLOWER_GROUP, b.config.topics.acknowledgements)) === 0, 'the follower to commit');
      expect(b.recorder.callsTo('chat.update')).toHaveLength(1);
      expect(b.recorder.messages(CHANNEL)[0]!.updates).toBe(1);
    });

    it.each([
      ['a forged signature', (body: string) => ({ ...signedHeaders(body, 'not-the-secret') })],
      [
        'no signature',
        (body: string) => {
          const h: Record<string, string> = signedHeaders(body, SIGNING_SECRET);
          delete h['x-slack-signature'];
          return h;
        },
      ],
      ['a timestamp older than five minutes', (body: string) => signedHeaders(body, SIGNING_SECRET, { timestampSec: Math.floor(Date.now() / 1000) - 5 * 60 - 30 })],
      ['a timestamp more than five minutes ahead', (body: string) => signedHeaders(body, SIGNING_SECRET, { timestampSec: Math.floor(Date.now() / 1000) + 5 * 60 + 30 })],
      ['a body changed after signing', (body: string) => signedHeaders(body.replace('U0ALICE', 'U0MALLORY'), SIGNING_SECRET)],
    ])('refuses a click with %s (401) and changes nothing', async (_name, headersFor) => {
      const { run: r, id, ts } = await posted();
      const body = formPayload(blockActionPayload({ complaintId: id, user: { id: 'U0ALICE', username: 'alice' }, channel: CHANNEL, messageTs: ts }));
      const res = await postTo(r.eventsUrl, body, headersFor(body));
      expect(res.status).toBe(401);

      expect((await b.search.get(id))!.complaint.status).toBe(ComplaintStatus.Open);
      expect(acks()).toHaveLength(0);
      expect(b.recorder.callsTo('chat.update')).toHaveLength(0);
      expect(b.recorder.callsTo('chat.postEphemeral')).toHaveLength(0);
    });

    it('changes nothing on the same click twice: no second update, only a private note', async () => {
      const { run: r, id, ts } = await posted();
      expect((await click(r, id, ts)).status).toBe(200);
      await b.recorder.until((rec) => rec.okCallsTo('chat.update').length === 1, 'the first update');
      const first = (await b.search.get(id))!.complaint.acknowledgement;

      expect((await click(r, id, ts)).status).toBe(200);
      await b.recorder.until((rec) => rec.okCallsTo('chat.postEphemeral').length === 1, 'the ephemeral note');

      const note = b.recorder.okCallsTo('chat.postEphemeral')[0]!;
      expect(note.body).toMatchObject({ channel: CHANNEL, user: 'U0ALICE' });
      expect(String(note.body.text)).toContain('You already acknowledged this complaint');
      expect(b.recorder.callsTo('chat.update')).toHaveLength(1);
      expect(acks()).toHaveLength(1);
      expect((await b.search.get(id))!.complaint.acknowledgement).toEqual(first);
    });

    it('tells a later clicker who acknowledged first and when', async () => {
      const { run: r, id, ts } = await posted();
      await click(r, id, ts);
      await b.recorder.until((rec) => rec.okCallsTo('chat.update').length === 1, 'the first update');

      await click(r, id, ts, { id: 'U0BOB', username: 'bob', name: 'bob' });
      await b.recorder.until((rec) => rec.okCallsTo('chat.postEphemeral').length === 1, 'the ephemeral note');
      const note = b.recorder.okCallsTo('chat.postEphemeral')[0]!;
      expect(note.body.user).toBe('U0BOB');
      expect(String(note.body.text)).toMatch(/already acknowledged by <@U0ALICE> at <!date\^\d+\^/);
      expect(b.recorder.callsTo('chat.update')).toHaveLength(1);
    });

    it('updates the message when the complaint is acknowledged through GraphQL', async () => {
      const { id, ts } = await posted();
      const outcome = await b.acknowledgements.acknowledge({ complaintId: id, by: 'dashboard-key', byName: 'Dana', via: 'graphql', note: 'called the customer' });
      expect(outcome.kind).toBe('acknowledged');

      await b.recorder.until((rec) => rec.okCallsTo('chat.update').length === 1, 'the follower update');
      const update = b.recorder.okCallsTo('chat.update')[0]!;
      expect(update.body).toMatchObject({ channel: CHANNEL, ts });
      const blocks = blocksOf(update);
      expect(blockText(blocks)).not.toContain(ACK_ACTION_ID);
      expect(blockText(blocks)).toContain('Acknowledged by *Dana* (via GraphQL)');
      expect(blockText(blocks)).toContain('called the customer');

      // A click afterwards only tells the clicker.
      await click(running[0]!, id, ts);
      await b.recorder.until((rec) => rec.okCallsTo('chat.postEphemeral').length === 1, 'the ephemeral note');
      expect(String(b.recorder.okCallsTo('chat.postEphemeral')[0]!.body.text)).toContain('*Dana* (via GraphQL)');
      expect(b.recorder.callsTo('chat.update')).toHaveLength(1);
    });

    it('leaves a complaint whose message is not posted yet to the poster', async () => {
      await run();
      const rating = complaintRating();
      const id = complaintId(rating);
      await b.search.createIfAbsent(openComplaint(rating));
      await b.acknowledgements.acknowledge({ complaintId: id, by: 'k', byName: 'Kim', via: 'graphql' });
      await eventually(async () => (await b.log.lag(FOLLOWER_GROUP, b.config.topics.acknowledgements)) === 0, 'the follower to commit');
      expect(b.recorder.callsTo('chat.update')).toHaveLength(0);
    });
  });

  describe('HTTP transport', () => {
    it('answers 503 until started, then 404 for paths it does not serve', async () => {
      const r = await run({ start: false });
      const body = formPayload({ type: 'block_actions' });
      expect((await postTo(r.eventsUrl, body, signedHeaders(body, SIGNING_SECRET))).status).toBe(503);
      await r.role.start();
      expect((await postTo(`${r.baseUrl}/slack/other`, body, signedHeaders(body, SIGNING_SECRET))).status).toBe(404);
      expect(r.role.mode).toBe('http');
      expect(r.role.state).toBe('running');
    });

    it("answers Slack's url_verification challenge", async () => {
      const r = await run();
      const body = JSON.stringify({ type: 'url_verification', challenge: 'c-123', token: 't' });
      const res = await postTo(r.eventsUrl, body, signedHeaders(body, SIGNING_SECRET, { contentType: 'application/json' }));
      expect(res.status).toBe(200);
      expect(res.text).toContain('c-123');
    });
  });
});

describe('Slack role start-up', () => {
  it('uses Socket Mode when an app token is configured, and then serves no HTTP', async () => {
    const b = await startBackends();
    try {
      const role = createSlackRole({
        config: b.config,
        slack: { ...b.slack, appToken: 'xapp-1-test' },
        log: b.log,
        store: b.search,
        acknowledgements: b.acknowledgements,
        logger: silentLogger,
        dashboardUrl: null,
      });
      expect(role.mode).toBe('socket');
      const res = await new Promise<{ status: number }>((resolve) => {
        const fake = { statusCode: 0, setHeader: () => undefined, end: () => resolve({ status: fake.statusCode }) };
        role.httpHandler({} as never, fake as never);
      });
      expect(res.status).toBe(404);
      await role.stop();
    } finally {
      await b.close();
    }
  });

  it('keeps trying while Slack is unreachable at start-up, answering 503 meanwhile', async () => {
    const b = await startBackends();
    try {
      b.recorder.failNext('auth.test', { kind: 'http', status: 503 }, 3);
      const r = await runRole(b, { start: false, tuning: { initWaitMs: 10 } });
      await r.role.start();
      const body = formPayload({ type: 'block_actions' });
      expect((await postTo(r.eventsUrl, body, signedHeaders(body, SIGNING_SECRET))).status).toBe(503);
      await b.recorder.until((rec) => rec.okCallsTo('auth.test').length === 1, 'a successful auth.test');
      const rating = complaintRating();
      await b.produceComplaint(rating);
      await postedComplaint(b, complaintId(rating));
      await eventually(async () => (await postTo(r.eventsUrl, 'ssl_check=1', { 'content-type': 'application/x-www-form-urlencoded' })).status === 200, 'the app to be ready');
      await r.stop();
    } finally {
      await b.close();
    }
  });

  it('refuses to start when Slack rejects the bot token, naming what to check', async () => {
    const b = await startBackends({ token: 'xoxb-some-other-token' });
    try {
      const r = await runRole(b, { start: false });
      await expect(r.role.start()).rejects.toThrow(/invalid_auth.*SLACK_BOT_TOKEN/);
      await r.stop();
    } finally {
      await b.close();
    }
  });
});
