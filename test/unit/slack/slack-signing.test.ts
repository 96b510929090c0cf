import { verifySlackRequest } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { blockActionPayload, formPayload, signedHeaders, slackSignature } from '../../support/slack-signing.js';

describe('test signing helper', () => {
  const secret = '8f742231b10e8888abcd99yyyzzz85a5';

  it("matches the example in Slack's documentation", () => {
    // https://docs.slack.dev/authentication/verifying-requests-from-slack#a-recipe-for-security
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(slackSignature(secret, 1531420618, body)).toBe('v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503');
  });

  it('produces headers Bolt accepts, and Bolt refuses them for another body', () => {
    const body = formPayload(blockActionPayload({ complaintId: '1', user: { id: 'U1', username: 'u' }, channel: 'C1', messageTs: '1.2' }));
    const headers = signedHeaders(body, secret);
    const verify = (b: string): void =>
      verifySlackRequest({
        signingSecret: secret,
        body: b,
        headers: { 'x-slack-signature': headers['x-slack-signature']!, 'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']) },
      });
    expect(() => verify(body)).not.toThrow();
    expect(() => verify(`${body}x`)).toThrow(/signature mismatch/);
  });

  it('form-encodes the block_actions payload as Slack does', () => {
    const payload = blockActionPayload({ complaintId: '7', user: { id: 'U1', username: 'u' }, channel: 'C1', messageTs: '1.2' });
    const parsed = JSON.parse(new URLSearchParams(formPayload(payload)).get('payload')!);
    expect(parsed).toMatchObject({ type: 'block_actions', actions: [{ value: '7', type: 'button' }], container: { channel_id: 'C1', message_ts: '1.2' } });
  });
});
