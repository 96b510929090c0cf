/**
 * Posted, then the process died before the message reference was stored
 * (issue 17, Slack faults): the complaint document still holds the dead
 * instance's claim; the next poster takes the claim over, finds the message in
 * the channel history by its metadata and records it, and posts nothing again.
 * The dead process is simulated by a store that refuses to record the real
 * message (the claim stays, as after a SIGKILL at that point).
 */
import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { complaintId } from '../../../src/domain/index.js';
import { silentLogger } from '../../../src/logger.js';
import type { ComplaintStore } from '../../../src/ports/search.js';
import { slackClientOptions } from '../../../slack-app/bolt-app.js';
import { createPoster } from '../../../slack-app/poster.js';
import { createSlackApi } from '../../../slack-app/slack-api.js';
import { CHANNEL, complaintRating, startBackends, type Backends } from './harness.js';

describe('posted, then killed before the message reference is stored', () => {
  let b: Backends;
  beforeEach(async () => {
    b = await startBackends();
  });
  afterEach(() => b.close());

  it('the next poster finds the message in the channel and posts no second one', async () => {
    const api = () => createSlackApi({ client: new webApi.WebClient(b.slack.botToken, slackClientOptions(b.slack, silentLogger, 2_000)), logger: silentLogger, postIntervalMs: 0 });
    // The first process: every write of a real message reference fails, as if it died right after chat.postMessage.
    const dying = new Proxy(b.search, {
      get(target, prop, receiver) {
        if (prop === 'setSlackMessage') {
          return async (...args: Parameters<ComplaintStore['setSlackMessage']>) => {
            const ref = args[1];
            if (ref !== null && !ref.ts.startsWith('pending:')) throw new Error('killed before the reference was stored');
            return target.setSlackMessage(...args);
          };
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    }) as typeof b.search;
    let now = Date.now();
    const common = { log: b.log, api: api(), logger: silentLogger, topic: b.config.topics.complaints, groupId: 'g', channel: CHANNEL, dashboardUrl: null, maxAgeMs: 0, claimTimeoutMs: 60_000, claimPollMs: 10, now: () => now };
    const first = createPoster({ ...common, store: dying, instanceId: 'dead1' });
    const rating = complaintRating();
    const id = complaintId(rating);
    await expect(first.post(rating)).rejects.toThrow();
    await first.stop();
    expect(b.recorder.okCallsTo('chat.postMessage')).toHaveLength(1);
    expect((await b.search.get(id))!.complaint.slackMessage!.ts).toMatch(/^pending:dead1:/);

    // Restart: another instance, once the dead claim has expired.
    now += 61_000;
    const second = createPoster({ ...common, store: b.search, instanceId: 'alive2' });
    expect(await second.post(rating)).toBe('recovered');
    expect(await second.post(rating)).toBe('already_posted');
    await second.stop();

    expect(b.recorder.callsTo('chat.postMessage')).toHaveLength(1);
    expect(b.recorder.callsTo('conversations.history').length).toBeGreaterThanOrEqual(1);
    const messages = b.recorder.messages(CHANNEL);
    expect(messages).toHaveLength(1);
    expect((await b.search.get(id))!.complaint.slackMessage).toEqual({ channel: CHANNEL, ts: messages[0]!.ts });
  });

  // Not yet: without channels:history (conversations.history answers missing_scope) the poster
  // cannot tell whether the dead attempt posted and posts again (a warning says to grant the
  // scope). Posting nothing instead would lose the complaints whose attempt died before
  // chat.postMessage; the choice is the lead's (see the report of branch fault-other).
  it.todo('posts no second message when the token cannot read the channel history (missing_scope)');
});
