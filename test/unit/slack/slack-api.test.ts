import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/logger.js';
import { slackClientOptions } from '../../../slack-app/bolt-app.js';
import { SlackApiError } from '../../../slack-app/errors.js';
import { createSlackApi, withSlackRetry, type SlackApi } from '../../../slack-app/slack-api.js';
import { startSlackRecorder, type SlackRecorder } from '../../support/slack-recorder.js';

describe('Slack Web API calls', () => {
  let recorder: SlackRecorder;
  let api: SlackApi;

  beforeAll(async () => {
    recorder = await startSlackRecorder({ token: 'xoxb-t' });
    const slack = { botToken: 'xoxb-t', signingSecret: 's', appToken: null, channel: 'C1', apiUrl: recorder.apiUrl, postMaxAgeMs: 0 };
    api = createSlackApi({ client: new webApi.WebClient(slack.botToken, slackClientOptions(slack, silentLogger, 2_000)), logger: silentLogger, postIntervalMs: 0 });
  });
  afterAll(() => recorder.close());

  const failure = async (p: Promise<unknown>): Promise<SlackApiError> => {
    const e = await p.then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(SlackApiError);
    return e as SlackApiError;
  };
  const post = (): Promise<unknown> => api.postMessage({ channel: 'C1', text: 't', blocks: [] });

  it('surfaces a 429 once, with its Retry-After, instead of the client retrying it', async () => {
    recorder.failNext('chat.postMessage', { kind: 'rate_limited', retryAfterSec: 2 });
    const before = recorder.callsTo('chat.postMessage').length;
    const e = await failure(post());
    expect(e).toMatchObject({ kind: 'rate_limited', retryAfterMs: 2_000, retriable: true, ambiguous: false });
    expect(recorder.callsTo('chat.postMessage').length - before).toBe(1);
  });

  it.each([
    [{ kind: 'http', status: 500 } as const, { kind: 'transient', retriable: true, ambiguous: true }],
    [{ kind: 'error', error: 'internal_error' } as const, { kind: 'transient', retriable: true, ambiguous: true, slackError: 'internal_error' }],
    [{ kind: 'error', error: 'service_unavailable' } as const, { kind: 'transient', retriable: true, ambiguous: false }],
    [{ kind: 'error', error: 'not_in_channel' } as const, { kind: 'config', retriable: false }],
    [{ kind: 'error', error: 'invalid_blocks' } as const, { kind: 'invalid', retriable: false }],
  ])('classifies %o', async (fault, expected) => {
    recorder.failNext('chat.postMessage', fault);
    expect(await failure(post())).toMatchObject(expected);
  });

  it('classifies an update of a deleted message as gone', async () => {
    expect(await failure(api.updateMessage({ channel: 'C1', ts: '1.000009', text: 't', blocks: [] }))).toMatchObject({ kind: 'gone', slackError: 'message_not_found' });
  });

  it('finds a posted complaint message by its metadata', async () => {
    const ref = await api.postMessage({ channel: 'C9', text: 't', blocks: [], metadata: { event_type: 'feedback_complaint_posted', event_payload: { complaint_id: '77' } } });
    await api.postMessage({ channel: 'C9', text: 'other', blocks: [] });
    expect(await api.findComplaintMessage('C9', '77', Date.now())).toEqual(ref);
    expect(await api.findComplaintMessage('C9', '78', Date.now())).toBeNull();
  });

  it('retries after a 429 no sooner than Retry-After, then succeeds', async () => {
    recorder.failNext('chat.update', { kind: 'rate_limited', retryAfterSec: 1 });
    const ref = await api.postMessage({ channel: 'C2', text: 't', blocks: [] });
    await withSlackRetry(() => api.updateMessage({ channel: 'C2', ts: ref.ts, text: 'u', blocks: [] }), { logger: silentLogger, what: 'test', maxAttempts: 3 });
    const [limited, ok] = recorder.callsTo('chat.update').slice(-2);
    expect(limited!.status).toBe(429);
    expect(ok!.status).toBe(200);
    expect(ok!.at - limited!.respondedAt).toBeGreaterThanOrEqual(1_000);
  });

  it('does not retry what cannot succeed', async () => {
    recorder.failNext('chat.postEphemeral', { kind: 'error', error: 'channel_not_found' }, 5);
    const before = recorder.callsTo('chat.postEphemeral').length;
    await expect(withSlackRetry(() => api.postEphemeral({ channel: 'C3', user: 'U1', text: 't' }), { logger: silentLogger, what: 'test', maxAttempts: 5 })).rejects.toMatchObject({ kind: 'config' });
    expect(recorder.callsTo('chat.postEphemeral').length - before).toBe(1);
  });
});
