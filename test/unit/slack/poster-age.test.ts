import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/logger.js';
import { slackClientOptions } from '../../../slack-app/bolt-app.js';
import { createPoster } from '../../../slack-app/poster.js';
import { createSlackApi } from '../../../slack-app/slack-api.js';
import { CHANNEL, complaintRating, startBackends, type Backends } from './harness.js';

describe('the posting window', () => {
  let b: Backends;
  beforeEach(async () => {
    b = await startBackends();
  });
  afterEach(() => b.close());

  it('posts recent complaints but not those raised before the window (a first deploy on an old topic does not flood the channel)', async () => {
    const api = createSlackApi({ client: new webApi.WebClient(b.slack.botToken, slackClientOptions(b.slack, silentLogger, 2_000)), logger: silentLogger, postIntervalMs: 0 });
    const now = Date.now();
    const poster = createPoster({ log: b.log, store: b.search, api, logger: silentLogger, topic: b.config.topics.complaints, groupId: 'g', channel: CHANNEL, dashboardUrl: null, instanceId: 'i1', maxAgeMs: 3_600_000, now: () => now });
    expect(await poster.post(complaintRating({ ratingTime: now - 2 * 3_600_000 }))).toBe('too_old');
    expect(b.recorder.callsTo('chat.postMessage')).toHaveLength(0);
    expect(await poster.post(complaintRating({ ratingTime: now - 60_000 }))).toBe('posted');
    expect(b.recorder.okCallsTo('chat.postMessage')).toHaveLength(1);
    await poster.stop();
  });
});
