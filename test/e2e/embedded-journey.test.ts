/**
 * The newcomer's journey on the embedded default: the product started as a
 * child process (`node dist/src/main.js`) with no Kafka and no Elasticsearch,
 * driven only through its public surface (GraphQL over HTTP and WebSocket,
 * Slack's signed requests, signals).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, gql, until, wsClient, type Loose } from '../unit/api/harness.js';
import { startProduct, subscribersAttached, type ProductProcess } from '../support/product-process.js';
import { startSlackRecorder, type SlackRecorder } from '../support/slack-recorder.js';
import { blockActionPayload, formPayload, postTo, signedHeaders } from '../support/slack-signing.js';
import { withTimeout } from '../support/wait.js';

const VIEWER = 'viewer-key-e2e-1';
const AGENT = 'agent-key-e2e-1';
const SIGNING_SECRET = 'e2e-signing-secret';
const CHANNEL = 'C0COMPLAINTS';

let product: ProductProcess;
let slack: SlackRecorder;
let startedAt: number;

let readyMs: number;

beforeAll(async () => {
  slack = await startSlackRecorder();
  startedAt = Date.now();
  product = await startProduct({
    API_KEYS: `${VIEWER}:viewer:dashboard,${AGENT}:agent:ops-bot`,
    SLACK_BOT_TOKEN: 'xoxb-e2e',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_CHANNEL: CHANNEL,
    SLACK_API_URL: slack.apiUrl,
    DEMO_RATINGS_PER_SECOND: '20',
    JOIN_GRACE_MS: '2000',
  });
  readyMs = Date.now() - startedAt;
});

afterAll(async () => {
  await product?.stop('SIGKILL');
  await slack?.close();
});

describe('the embedded default, as a newcomer meets it', () => {
  it('starts and answers a ratings query with demo data', async () => {
    expect(readyMs).toBeGreaterThan(0);
    await until(
      async () => {
        const r = await gql(product, '{ ratings(first: 5) { totalCount edges { cursor node { id stars customer { id clubStatus } } } } }', undefined, VIEWER);
        return (r.body.data?.ratings?.totalCount ?? 0) > 0;
      },
      'the first ratings to be searchable',
      10_000,
    );
    const r = await gql<Loose>(product, '{ ratings(first: 5, filter: { starsMax: 5 }) { totalCount edges { node { id stars customer { id clubStatus } } } } }', undefined, VIEWER);
    expect(r.body.errors).toBeUndefined();
    const edges = r.body.data?.ratings.edges as Loose[];
    expect(edges.length).toBeGreaterThan(0);
    for (const e of edges) expect(e.node.customer.id).toMatch(/^\d+$/);
  });

  it('answers ratingStats per club status', async () => {
    const r = await gql<Loose>(product, '{ ratingStats(groupBy: CLUB_STATUS) { key count averageStars } }', undefined, VIEWER);
    expect(r.body.errors).toBeUndefined();
    const buckets = r.body.data?.ratingStats as { key: string; count: number; averageStars: number }[];
    expect(buckets.length).toBeGreaterThan(0);
    for (const b of buckets) {
      expect(['bronze', 'silver', 'gold', 'platinum', 'unknown']).toContain(b.key);
      expect(b.averageStars).toBeGreaterThanOrEqual(1);
      expect(b.averageStars).toBeLessThanOrEqual(5);
    }
  });

  it('delivers a demo complaint, acknowledges it from a signed Slack click, and shows it everywhere', async () => {
    const viewer = wsClient(product, VIEWER);
    const raised = collect<Loose>(viewer, 'subscription { complaintRaised { cursor complaint { id status rating { stars } customer { clubStatus } } } }');
    const updates = collect<Loose>(viewer, 'subscription { complaintUpdated { id status acknowledgement { by via } } }');
    // The demo raises a complaint every few seconds: one must come within 30 s (a timeout, not a measurement).
    const [first] = await withTimeout(raised.waitFor(1), 30_000, 'the first demo complaint');
    const firstComplaintMs = Date.now() - startedAt;
    const event = first?.data?.complaintRaised as Loose;
    expect(event.complaint.customer.clubStatus).toBe('platinum');
    expect(event.complaint.rating.stars).toBeLessThan(3);
    const id = event.complaint.id as string;

    // The Slack role posted it with an Acknowledge button carrying its id.
    await slack.until((s) => s.okCallsTo('chat.postMessage').some((c) => JSON.stringify(c.body.blocks).includes(id)), `complaint ${id} posted to Slack`, 20_000);
    const post = slack.okCallsTo('chat.postMessage').find((c) => JSON.stringify(c.body.blocks).includes(id));
    const ts = (post?.response as { ts: string }).ts;

    const body = formPayload(blockActionPayload({ complaintId: id, user: { id: 'U0OPS', username: 'olivia' }, channel: CHANNEL, messageTs: ts }));
    const forged = await postTo(`${product.url}/slack/events`, body, signedHeaders(body, 'not-the-secret'));
    expect(forged.status).toBe(401);
    // The update is live only: its subscription must be attached before the click.
    await subscribersAttached(product, 'transitions', 1);
    const res = await postTo(`${product.url}/slack/events`, body, signedHeaders(body, SIGNING_SECRET));
    expect(res.status).toBe(200);

    await until(() => updates.results.some((u) => (u.data?.complaintUpdated as Loose)?.id === id), `complaintUpdated for ${id}`, 15_000);
    const update = updates.results.map((u) => u.data?.complaintUpdated as Loose).find((c) => c.id === id);
    expect(update).toMatchObject({ status: 'ACKNOWLEDGED', acknowledgement: { by: 'U0OPS', via: 'SLACK' } });

    await until(
      async () => {
        const r = await gql<Loose>(product, `{ complaint(id: "${id}") { status } }`, undefined, VIEWER);
        return r.body.data?.complaint?.status === 'ACKNOWLEDGED';
      },
      'the complaint to read ACKNOWLEDGED',
      10_000,
    );
    const list = await gql<Loose>(product, '{ complaints(status: ACKNOWLEDGED, first: 50) { totalCount nodes { id acknowledgement { via } } } }', undefined, VIEWER);
    expect((list.body.data?.complaints.nodes as Loose[]).map((n) => n.id)).toContain(id);
    await slack.until((s) => s.okCallsTo('chat.update').some((c) => c.body.ts === ts), 'the Slack message to be updated', 10_000);

    // A second acknowledgement through GraphQL is told who was first.
    const again = await gql<Loose>(product, `mutation { acknowledgeComplaint(id: "${id}") { outcome acknowledgement { by via } } }`, undefined, AGENT);
    expect(again.body.data?.acknowledgeComplaint).toEqual({ outcome: 'ALREADY_ACKNOWLEDGED', acknowledgement: { by: 'U0OPS', via: 'SLACK' } });
    // A complaint can be acknowledged through GraphQL the moment it is delivered (before the sink indexed it).
    const n = raised.results.length;
    const [, next] = await raised.waitFor(n + 1).then((r) => [undefined, r[n]]);
    const nextId = (next?.data?.complaintRaised as Loose).complaint.id as string;
    const now = await gql<Loose>(product, `mutation { acknowledgeComplaint(id: "${nextId}", note: "on it") { outcome complaint { id status } } }`, undefined, AGENT);
    expect(now.body.data?.acknowledgeComplaint).toEqual({ outcome: 'ACKNOWLEDGED', complaint: { id: nextId, status: 'ACKNOWLEDGED' } });
    const viewerTry = await gql<Loose>(product, `mutation { acknowledgeComplaint(id: "${nextId}") { outcome } }`, undefined, VIEWER);
    expect(viewerTry.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    console.info(`embedded journey: ready after ${readyMs} ms, first complaint delivered ${firstComplaintMs} ms after start`);

    // SIGTERM completes open subscriptions and exits cleanly within 10 s.
    const { code, ms } = await product.stop('SIGTERM');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);
    await expect(Promise.race([raised.completed.then(() => 'completed'), raised.error.then(() => 'closed')])).resolves.toBeDefined();
    await viewer.dispose();
  });
});
