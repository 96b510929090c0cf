import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../../src/errors.js';
import { collect, customer, raise, rating, startApi, until, wsClient, type Harness } from './harness.js';

const RAISED = 'subscription { complaintRaised { cursor complaint { id status customer { id clubStatus } } } }';

describe('subscriptions while the search index cannot answer', () => {
  let h: Harness;
  beforeAll(async () => {
    const down = (): Promise<never> => Promise.reject(new UnavailableError('Elasticsearch is unreachable'));
    h = await startApi({ wrapSearch: (s) => Object.assign(Object.create(s), { getComplaint: down, getComplaintsByIds: down, getCustomer: down, getCustomersByIds: down }) });
  });
  afterAll(() => h.close());

  it('still deliver each complaint as raised, never an error', async () => {
    const raised = collect(wsClient(h), RAISED);
    await until(() => h.server.liveFeed.subscriberCount('complaints') === 1, 'the subscriber to attach');
    await raise(h, [rating(301, customer(7))]);
    const [event] = await raised.waitFor(1);
    expect(event?.errors).toBeUndefined();
    expect(event?.data).toEqual({ complaintRaised: { cursor: expect.any(String), complaint: { id: '301', status: 'OPEN', customer: { id: '7', clubStatus: 'platinum' } } } });
  });
});
