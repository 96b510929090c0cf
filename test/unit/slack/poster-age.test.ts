import { Writable } from 'node:stream';
import { webApi } from '@slack/bolt';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/logger.js';
import { slackClientOptions } from '../../../slack-app/bolt-app.js';
import { createPoster } from '../../../slack-app/poster.js';
import { slackSkippedCounter } from '../../../slack-app/role.js';
import { createSlackApi } from '../../../slack-app/slack-api.js';
import { CHANNEL, complaintRating, startBackends, type Backends } from './harness.js';

describe('the posting window', () => {
  let b: Backends;
  beforeEach(async () => {
    b = await startBackends();
  });
  afterEach(() => b.close());

  /** A poster with a one-hour window on the backends' complaints topic, posting without delay. */
  const windowPoster = (o: Pick<Parameters<typeof createPoster>[0], 'now'> & Partial<Pick<Parameters<typeof createPoster>[0], 'logger' | 'onTooOld'>>) =>
    createPoster({
      log: b.log,
      store: b.search,
      api: createSlackApi({ client: new webApi.WebClient(b.slack.botToken, slackClientOptions(b.slack, silentLogger, 2_000)), logger: silentLogger, postIntervalMs: 0 }),
      logger: silentLogger,
      topic: b.config.topics.complaints,
      groupId: 'g',
      channel: CHANNEL,
      dashboardUrl: null,
      instanceId: 'i1',
      maxAgeMs: 3_600_000,
      ...o,
    });

  it('posts recent complaints but not those raised before the window (a first deploy on an old topic does not flood the channel)', async () => {
    const now = Date.now();
    const poster = windowPoster({ now: () => now });
    expect(await poster.post(complaintRating({ ratingTime: now - 2 * 3_600_000 }))).toBe('too_old');
    expect(b.recorder.callsTo('chat.postMessage')).toHaveLength(0);
    expect(await poster.post(complaintRating({ ratingTime: now - 60_000 }))).toBe('posted');
    expect(b.recorder.okCallsTo('chat.postMessage')).toHaveLength(1);
    await poster.stop();
  });

  it('never skips silently: a warning naming SLACK_POST_MAX_AGE_HOURS (one a minute at most) and slack_complaints_skipped_total{reason="too_old"}', async () => {
    const lines: { level: number; msg: string; skipped?: number }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l) as { level: number; msg: string; skipped?: number });
        done();
      },
    });
    const logger = pino({ level: 'info' }, sink);
    const registry = new Registry();
    const skipped = slackSkippedCounter(registry);
    let now = Date.now();
    const poster = windowPoster({ logger, onTooOld: () => skipped.inc({ reason: 'too_old' }), now: () => now });
    for (let i = 0; i < 3; i++) expect(await poster.post(complaintRating({ ratingId: 900 + i, ratingTime: now - 2 * 3_600_000 }))).toBe('too_old');
    now += 61_000;
    expect(await poster.post(complaintRating({ ratingId: 910, ratingTime: now - 5 * 3_600_000 }))).toBe('too_old');
    expect(b.recorder.callsTo('chat.postMessage')).toHaveLength(0);
    const warnings = lines.filter((l) => l.level === 40);
    // The first skip warns at once, the next two are folded into the warning a minute later.
    expect(warnings.map((w) => w.skipped)).toEqual([1, 3]);
    for (const w of warnings) expect(w.msg).toContain('SLACK_POST_MAX_AGE_HOURS');
    expect(await registry.metrics()).toMatch(/^slack_complaints_skipped_total\{reason="too_old"\} 4$/m);
    await poster.stop();
  });
});
