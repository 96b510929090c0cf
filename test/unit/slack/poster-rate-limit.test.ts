import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaintId, enrichedToRecord } from '../../../src/domain/index.js';
import type { RecordedCall } from '../../support/slack-recorder.js';
import { CHANNEL, POSTER_GROUP, complaintRating, eventually, runRole, startBackends, type Backends, type RunningRole } from './harness.js';

const RETRY_AFTER_SEC = 1;
const POST_INTERVAL_MS = 25;

const complaintOf = (c: RecordedCall): string => String((c.body.metadata as { event_payload: { complaint_id: string } }).event_payload.complaint_id);

describe('posting under rate limits', () => {
  let b: Backends;
  let r: RunningRole;

  beforeAll(async () => {
    b = await startBackends();
    b.recorder.rateLimitEveryOther('chat.postMessage', RETRY_AFTER_SEC);
    r = await runRole(b, { tuning: { postIntervalMs: POST_INTERVAL_MS } });
  });

  afterAll(async () => {
    await r.stop();
    await b.close();
  });

  it('posts 20 complaints exactly once each while every other call is answered 429, never calling before Retry-After', async () => {
    const ratings = Array.from({ length: 20 }, () => complaintRating());
    await b.log.produce(ratings.map((x) => ({ topic: b.config.topics.complaints, key: String(x.ratingId), value: JSON.stringify(enrichedToRecord(x)) })));

    await b.recorder.until((rec) => rec.okCallsTo('chat.postMessage').length >= 20, '20 posted messages', 90_000);
    await eventually(async () => (await b.log.lag(POSTER_GROUP, b.config.topics.complaints)) === 0, 'the poster to commit', 10_000);

    const calls = b.recorder.callsTo('chat.postMessage');
    const ok = b.recorder.okCallsTo('chat.postMessage');
    const limited = calls.filter((c) => c.status === 429);

    // Exactly once: 20 messages, one per complaint, and each complaint records its own.
    expect(ok.map(complaintOf).sort()).toEqual(ratings.map((x) => complaintId(x)).sort());
    expect(b.recorder.messages(CHANNEL)).toHaveLength(20);
    for (const x of ratings) {
      const doc = (await b.search.get(complaintId(x)))!;
      expect(ok.find((c) => complaintOf(c) === complaintId(x))!.response).toMatchObject({ ts: doc.complaint.slackMessage!.ts });
    }
    expect(limited.length).toBeGreaterThanOrEqual(20);

    // Retry-After honoured: after a 429 went out, no call arrived before the time it named.
    for (const c of limited) {
      const notBefore = c.respondedAt + RETRY_AFTER_SEC * 1000;
      const early = calls.filter((n) => n.at > c.respondedAt && n.at < notBefore);
      expect(early, `calls within Retry-After of the 429 sent at ${c.respondedAt}`).toEqual([]);
    }
    // One call in flight per channel: each call arrived after the previous one was answered.
    for (let i = 1; i < calls.length; i++) expect(calls[i]!.at).toBeGreaterThanOrEqual(calls[i - 1]!.respondedAt);
  }, 120_000);
});
