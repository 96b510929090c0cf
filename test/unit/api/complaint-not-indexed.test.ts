/**
 * `complaint(id)` for a complaint raised a moment ago that the sink has not
 * indexed yet: answered from the live feed's recent complaints, as raised, the
 * way an acknowledgement of it finds it. A subscriber that sees a live
 * complaint can open it at once (the dashboard's complaint page does).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, customer, gql, raise, rating, startApi, until, wsClient, type Harness, type Loose } from './harness.js';

describe('complaint(id) before the sink indexed it', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startApi();
  });
  afterAll(() => h.close());

  it('answers the raised complaint from the live feed; an id nobody raised is still null', async () => {
    const client = wsClient(h);
    const live = collect<Loose>(client, 'subscription { complaintRaised { complaint { id } } }');
    await until(() => h.server.liveFeed.subscriberCount('complaints') === 1, 'the subscriber to attach');
    await raise(h, [rating(900, customer(9))]); // to the topic only: the in-memory index never sees it
    await live.waitFor(1);
    expect(await h.search.get('900')).toBeNull();

    const res = await gql(h, '{ complaint(id: "900") { id status customer { id } } unknown: complaint(id: "901") { id } }');
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data).toEqual({ complaint: { id: '900', status: 'OPEN', customer: { id: '9' } }, unknown: null });
    live.dispose();
    await client.dispose();
  });
});
