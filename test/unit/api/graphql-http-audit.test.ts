import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIEWER_KEY, startApi, type Harness } from './harness.js';

/**
 * GraphQL over HTTP conformance (graphql-http's audits). Requests carry an
 * API key, as every client of this API must; everything else is the
 * audit's own.
 */
describe('GraphQL over HTTP audit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startApi();
  });
  afterAll(() => h.close());

  const audits = serverAudits({
    url: () => h.graphqlUrl,
    fetchFn: (input: Parameters<typeof fetch>[0], init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${VIEWER_KEY}`);
      return fetch(input, { ...init, headers });
    },
  });

  for (const audit of audits.filter((a) => a.name.startsWith('MUST'))) {
    it(`${audit.id} ${audit.name}`, async () => {
      const result = await audit.fn();
      expect(result.status, 'reason' in result ? result.reason : '').toBe('ok');
    });
  }

  it("runs every SHOULD and MAY audit without an error (their warnings are Apollo's choices, e.g. 400 for invalid documents)", async () => {
    const others = audits.filter((a) => !a.name.startsWith('MUST'));
    const results = await Promise.all(others.map(async (a) => ({ id: a.id, status: (await a.fn()).status })));
    expect(results.filter((r) => r.status === 'error')).toEqual([]);
  });
});
