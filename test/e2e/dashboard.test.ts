/**
 * The dashboard in a real browser: Debian's Chromium driven by
 * playwright-core, against the product as a child process
 * (`node dist/src/main.js`, all roles) on the test Kafka and Elasticsearch,
 * with the Slack role pointed at the local recorder. The test writes the
 * ratings (DEMO off) and drives the page as a user would: the key prompt,
 * the queue, the Acknowledge, Resolve and Snooze buttons, Slack clicks
 * (acknowledge, resolve), a dropped WebSocket, a viewer key. Every page is checked for requests off localhost, console
 * errors and axe-core violations; each view is saved as a PNG: to .cache/screenshots/
 * (git-ignored) on a test run, to the README's docs/screenshots/ with
 * `npm run screenshots` (UPDATE_SCREENSHOTS=1), so `npm test` leaves the tree clean.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Kafka, Partitioners, logLevel, type Producer } from 'kafkajs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, until, type Loose } from '../unit/api/harness.js';
import { elasticsearchUrl, kafkaBrokers, uniqueName } from '../support/infra.js';
import { startProduct, type ProductProcess } from '../support/product-process.js';
import { startSlackRecorder, type SlackRecorder } from '../support/slack-recorder.js';
import { blockActionPayload, formPayload, postTo, signedHeaders } from '../support/slack-signing.js';
import { RESOLVE_ACTION_ID, RESOLVED_STATUS_BLOCK_ID } from '../../slack-app/constants.js';

const VIEWER = 'viewer-key-dashboard-1';
const AGENT = 'agent-key-dashboard-1';
const SIGNING_SECRET = 'dashboard-signing-secret';
const CHANNEL = 'C0DASHBOARD';
const run = uniqueName('dash');
const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = resolve(ROOT, process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : '.cache/screenshots');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const customers = [
  { id: 1, first_name: 'Rica', last_name: 'Blaisdell', email: 'rblaisdell0@rambler.ru', gender: 'Female', club_status: 'bronze' },
  { id: 2, first_name: 'Ruthie', last_name: 'Brockherst', email: 'rbrockherst1@ow.ly', gender: 'Female', club_status: 'platinum' },
  { id: 3, first_name: 'Mariejeanne', last_name: 'Cocci', email: 'mcocci2@techcrunch.com', gender: 'Female', club_status: 'platinum' },
  { id: 4, first_name: 'Hashim', last_name: 'Rumke', email: 'hrumke3@sohu.com', gender: 'Male', club_status: 'platinum' },
  { id: 5, first_name: 'Hansiain', last_name: 'Coda', email: 'hcoda4@senate.gov', gender: 'Male', club_status: 'silver' },
  { id: 6, first_name: 'Robinet', last_name: 'Leheude', email: 'rleheude5@reddit.com', gender: 'Female', club_status: 'gold' },
];
const MESSAGES = [
  'worst. flight. ever. #neveragain',
  'more peanuts please',
  'Exceeded all my expectations. Thank you !',
  'why is it so difficult to keep the bathrooms clean ?',
  'thank you for the upgrade',
];
const CHANNELS = ['iOS', 'android', 'web', 'ios'];

let product: ProductProcess;
let slack: SlackRecorder;
let producer: Producer;
let browser: Browser;
let ratingId = 5_000;
/** Every request any page made, every console error, across the whole file. */
const requests: string[] = [];
const consoleErrors: string[] = [];
const contexts: BrowserContext[] = [];

async function produce(list: { user: number; stars: number; at?: number; channel?: string; message?: string }[]): Promise<string[]> {
  const ids: string[] = [];
  await producer.send({
    topic: `${run}.ratings`,
    messages: list.map(({ user, stars, at = Date.now(), channel = 'iOS', message = MESSAGES[0]! }) => {
      const id = ratingId++;
      ids.push(String(id));
      return { key: String(id), value: JSON.stringify({ rating_id: id, user_id: user, stars, route_id: 7, rating_time: at, channel, message }) };
    }),
  });
  return ids;
}

/** Runs in the page before its own scripts (plain JavaScript: this file has no DOM types). */
const INSTRUMENT_WEBSOCKETS = `
  window.__sockets = [];
  window.__sent = [];
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url, protocols) { super(url, protocols); window.__sockets.push(this); }
    send(data) { if (typeof data === 'string') window.__sent.push(data); super.send(data); }
  };
`;

/** The page's globals as this file uses them (evaluated in the browser). */
interface PageGlobals {
  __sockets: { readyState: number; close(code: number, reason: string): void }[];
  __sent: string[];
  axe: { run(ctx: unknown, o: object): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown }[] }[] }> };
  document: unknown;
}

/** A fresh browser context (its own sessionStorage) with the checks every page gets. */
async function openPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light', reducedMotion: 'reduce' });
  contexts.push(context);
  // Requests to anything but this product are recorded and refused (the page must make none).
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.hostname === 'localhost') return route.continue();
    return route.abort('blockedbyclient');
  });
  context.on('request', (r) => requests.push(r.url()));
  // Test instrumentation only: remember the page's WebSockets and what it sends on them.
  await context.addInitScript({ content: INSTRUMENT_WEBSOCKETS });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
  return page;
}

async function signIn(page: Page, key: string, path = '/complaints'): Promise<void> {
  await page.goto(`${product.url}${path}`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Views' }).waitFor();
}

/** axe-core on the page as it is now: no serious or critical violation. */
async function expectAccessible(page: Page, what: string): Promise<void> {
  // evaluate() is not subject to the page's CSP (a <script> tag would be).
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const g = globalThis as unknown as PageGlobals;
    const r = await g.axe.run(g.document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)) }));
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad, `${what}: ${JSON.stringify(bad, null, 1)}`).toEqual([]);
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: resolve(SHOTS, `${name}.png`) });
}

/** Waits until a search of the complaints (what the queue reads on load) lists `id` with `status`: the index is near-real-time. */
async function searchable(id: string, status: string): Promise<void> {
  await until(
    async () => {
      const r = await gql<Loose>(product, `{ complaints(status: ${status}, first: 100) { nodes { id } } }`, undefined, VIEWER);
      return ((r.body.data?.complaints?.nodes ?? []) as { id: string }[]).some((n) => n.id === id);
    },
    `complaint ${id} to be searchable as ${status}`,
    30_000,
  );
}

const row = (page: Page, id: string) => page.locator(`tr[data-complaint-id="${id}"]`);

async function slackTsOf(id: string): Promise<string> {
  await slack.until((s) => s.okCallsTo('chat.postMessage').some((c) => JSON.stringify(c.body.blocks).includes(id)), `complaint ${id} posted to Slack`, 30_000);
  const post = slack.okCallsTo('chat.postMessage').find((c) => JSON.stringify(c.body.blocks).includes(id));
  return (post?.response as { ts: string }).ts;
}

beforeAll(async () => {
  const chromiumPath = existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : execFileSync('bash', [resolve(ROOT, 'scripts/ensure-chromium.sh')], { encoding: 'utf8' }).trim();
  slack = await startSlackRecorder();
  const kafka = new Kafka({ clientId: run, brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
  await producer.connect();
  product = await startProduct({
    KAFKA_BROKERS: kafkaBrokers().join(','),
    ELASTICSEARCH_URL: elasticsearchUrl(),
    KAFKA_GROUP_PREFIX: run,
    DEMO: 'off',
    API_KEYS: `${VIEWER}:viewer:wall-screen,${AGENT}:agent:olivia`,
    SLACK_BOT_TOKEN: 'xoxb-dashboard',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_CHANNEL: CHANNEL,
    SLACK_API_URL: slack.apiUrl,
    JOIN_GRACE_MS: '2000',
    SINK_FLUSH_MS: '50',
    TOPIC_PARTITIONS: '1',
    TOPIC_RATINGS: `${run}.ratings`,
    TOPIC_CUSTOMERS_CDC: `${run}.asgard.demo.CUSTOMERS`,
    TOPIC_CUSTOMERS_REKEYED: `${run}.CUSTOMERS_SRC_REKEY`,
    TOPIC_RATINGS_ENRICHED: `${run}.ratings-with-customer-data`,
    TOPIC_COMPLAINTS: `${run}.UNHAPPY_PLATINUM_CUSTOMERS`,
    TOPIC_ACKNOWLEDGEMENTS: `${run}.complaint-acknowledgements`,
    TOPIC_TRANSITIONS: `${run}.complaint-transitions`,
    TOPIC_DEAD_LETTERS: `${run}.dead-letters`,
    INDEX_RATINGS: `${run}-ratings`,
    INDEX_COMPLAINTS: `${run}-complaints`,
    INDEX_CUSTOMERS: `${run}-customers`,
  });
  await producer.send({ topic: `${run}.asgard.demo.CUSTOMERS`, messages: customers.map((c) => ({ key: JSON.stringify({ id: c.id }), value: JSON.stringify(c) })) });
  await until(async () => (await fetch(`${product.url}/readyz`)).status === 200, 'the product to be ready', 90_000);
  // Fourteen minutes of history for the overview (one complaint among them).
  const now = Date.now();
  const history = Array.from({ length: 70 }, (_, i) => ({
    user: (i % 6) + 1,
    // Platinum customers (2, 3, 4) are happy but once: one complaint in the history.
    stars: i === 3 ? 1 : [2, 3, 4].includes((i % 6) + 1) ? 3 + (i % 3) : ((i * 7) % 5) + 1,
    at: now - 14 * 60_000 + i * 12_000,
    channel: CHANNELS[i % CHANNELS.length]!,
    message: MESSAGES[i % MESSAGES.length]!,
  }));
  await produce(history);
  await until(async () => ((await gql<Loose>(product, '{ ratings(first: 1) { totalCount } }', undefined, VIEWER)).body.data?.ratings?.totalCount ?? 0) >= 70, 'the history to be indexed', 60_000);
  // Its one complaint too (searchable: the queue's first page must list it).
  await until(
    async () => ((await gql<Loose>(product, '{ complaints(status: OPEN, first: 1) { totalCount } }', undefined, VIEWER)).body.data?.complaints?.totalCount ?? 0) >= 1,
    'the history complaint to be indexed',
    60_000,
  );
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 240_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await producer?.disconnect();
  await product?.stop('SIGTERM');
  await slack?.close();
});

describe('the dashboard in a browser', () => {
  let agentPage: Page;

  it('serves the page at / with hashed, compressed, long-cached assets', async () => {
    const res = await fetch(`${product.url}/`, { headers: { 'accept-encoding': 'br' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    const js = /src="(\/assets\/main-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    expect(js).toBeDefined();
    const asset = await fetch(`${product.url}${js}`, { headers: { 'accept-encoding': 'gzip, br' } });
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('content-encoding')).toBe('br');
    // A browser opening /graphql is sent to the dashboard (outside production).
    const visit = await fetch(`${product.url}/graphql`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(visit.status).toBe(302);
    expect(visit.headers.get('location')).toBe('/');
  });

  it('asks for the API key, then shows the complaints already raised (and logs how long the first row took after navigation)', async () => {
    agentPage = await openPage();
    await agentPage.goto(`${product.url}/complaints`);
    await expectAccessible(agentPage, 'key prompt');
    await agentPage.getByLabel('API key').fill('not-a-key');
    await agentPage.getByRole('button', { name: 'Sign in' }).click();
    await agentPage.getByRole('alert').filter({ hasText: 'refused' }).waitFor();
    await agentPage.getByLabel('API key').fill(AGENT);
    await agentPage.getByRole('button', { name: 'Sign in' }).click();
    await agentPage.locator('tr[data-complaint-id]').first().waitFor();
    // A reload keeps the key (sessionStorage): time from navigation to the first complaint row.
    for (let i = 0; i < 3; i++) {
      await agentPage.reload();
      await agentPage.locator('tr[data-complaint-id]').first().waitFor();
      // Measured in the page: from the start of the navigation to the first row in the DOM.
      const ms = await agentPage.evaluate('performance.now()');
      console.info(`dashboard: first complaint visible ${Math.round(Number(ms))} ms after navigation (reload ${i + 1}, key kept)`);
    }
    await agentPage.getByText('olivia · agent').waitFor();
  });

  it('shows a complaint raised after the page loaded, without a reload, and announces it', async () => {
    await agentPage.getByText('Live', { exact: true }).waitFor();
    const t0 = Date.now();
    const [id] = await produce([{ user: 2, stars: 1, message: 'more peanuts please' }]);
    await row(agentPage, id!).waitFor({ timeout: 20_000 });
    console.info(`dashboard: a new complaint appeared ${Date.now() - t0} ms after its rating was produced`);
    await expect(agentPage.locator('#complaint-announcer').textContent()).resolves.toContain('Ruthie Brockherst');
  });

  it('acknowledges a complaint with the Acknowledge button: GraphQL reads ACKNOWLEDGED and the Slack message is updated', async () => {
    const [id] = await produce([{ user: 3, stars: 2, message: 'why is it so difficult to keep the bathrooms clean ?' }]);
    await row(agentPage, id!).waitFor({ timeout: 20_000 });
    const ts = await slackTsOf(id!);
    await row(agentPage, id!).getByRole('button', { name: 'Acknowledge', exact: true }).click();
    await row(agentPage, id!).getByText('Acknowledged', { exact: true }).waitFor();
    await expect(row(agentPage, id!).textContent()).resolves.toContain('olivia via GraphQL');
    const r = await gql<Loose>(product, `{ complaint(id: "${id}") { status acknowledgement { by via } } }`, undefined, VIEWER);
    expect(r.body.data?.complaint).toEqual({ status: 'ACKNOWLEDGED', acknowledgement: { by: 'olivia', via: 'GRAPHQL' } });
    await slack.until((s) => s.okCallsTo('chat.update').some((c) => c.body.ts === ts), 'the Slack message to be updated', 20_000);
    await screenshot(agentPage, 'complaints');
    await expectAccessible(agentPage, 'complaints');
  });

  it('shows an acknowledgement made in Slack, live', async () => {
    const [id] = await produce([{ user: 4, stars: 1, message: 'worst. flight. ever. #neveragain', channel: 'android' }]);
    await row(agentPage, id!).waitFor({ timeout: 20_000 });
    const ts = await slackTsOf(id!);
    const body = formPayload(blockActionPayload({ complaintId: id!, user: { id: 'U0OPS', username: 'sam' }, channel: CHANNEL, messageTs: ts }));
    expect((await postTo(`${product.url}/slack/events`, body, signedHeaders(body, SIGNING_SECRET))).status).toBe(200);
    await row(agentPage, id!).getByText('Acknowledged', { exact: true }).waitFor({ timeout: 20_000 });
    await expect(row(agentPage, id!).textContent()).resolves.toContain('via Slack');
    await expect(row(agentPage, id!).getByRole('button', { name: 'Acknowledge', exact: true }).count()).resolves.toBe(0);
  });

  it('resumes after the WebSocket drops, from its cursor, without a duplicate', async () => {
    const sentBefore = await agentPage.evaluate(() => (globalThis as unknown as PageGlobals).__sent.length);
    const dropped = await agentPage.evaluate(() => {
      const open = (globalThis as unknown as PageGlobals).__sockets.filter((s) => s.readyState === 1);
      for (const s of open) s.close(3001, 'test: network drop');
      return open.length;
    });
    expect(dropped).toBe(1);
    // Raised while the page is disconnected (graphql-ws waits before it reconnects).
    const [missed] = await produce([{ user: 2, stars: 2, message: 'raised while the socket was down' }]);
    await row(agentPage, missed!).waitFor({ timeout: 30_000 });
    const [after] = await produce([{ user: 3, stars: 1, message: 'raised after the reconnect' }]);
    await row(agentPage, after!).waitFor({ timeout: 20_000 });
    const ids = await agentPage.locator('tr[data-complaint-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-complaint-id')));
    expect(ids.length).toBe(new Set(ids).size);
    // The resubscription carried the cursor of the last event seen before the drop.
    const resent = await agentPage.evaluate((n) => (globalThis as unknown as PageGlobals).__sent.slice(n), sentBefore);
    const raised = resent.map((m) => JSON.parse(m) as Loose).find((m) => m.type === 'subscribe' && String(m.payload?.query).includes('complaintRaised'));
    expect(raised?.payload?.variables?.after).toEqual(expect.any(String));
  });

  it('opens a complaint page (the Slack link) and acknowledges with a note', async () => {
    const [id] = await produce([{ user: 4, stars: 2, message: 'more peanuts please', channel: 'web' }]);
    await row(agentPage, id!).waitFor({ timeout: 20_000 });
    await row(agentPage, id!).getByRole('link').click();
    await agentPage.getByRole('heading', { name: /Hashim Rumke, 2 stars/ }).waitFor();
    expect(new URL(agentPage.url()).pathname).toBe(`/complaints/${id}`);
    await expectAccessible(agentPage, 'complaint page');
    await agentPage.getByLabel('Note (optional)').fill('Called the customer');
    await agentPage.getByRole('button', { name: 'Acknowledge', exact: true }).click();
    await agentPage.getByText('Called the customer', { exact: true }).waitFor();
    const r = await gql<Loose>(product, `{ complaint(id: "${id}") { status acknowledgement { note } } }`, undefined, VIEWER);
    expect(r.body.data?.complaint).toEqual({ status: 'ACKNOWLEDGED', acknowledgement: { note: 'Called the customer' } });
    // Served for a direct visit too (the link in Slack).
    const direct = await fetch(`${product.url}/complaints/${id}`);
    expect(direct.status).toBe(200);
    expect(direct.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  it('resolves a complaint from its page with a note: GraphQL reads RESOLVED and the Slack message is updated', async () => {
    // Still on the page of the complaint acknowledged just above.
    const id = new URL(agentPage.url()).pathname.split('/').pop()!;
    const ts = await slackTsOf(id);
    await expect(agentPage.getByRole('button', { name: 'Acknowledge', exact: true }).count()).resolves.toBe(0);
    await expect(agentPage.getByRole('button', { name: 'Snooze', exact: true }).count()).resolves.toBe(0);
    await agentPage.getByLabel('Note (optional)').fill('Refunded the upgrade');
    await agentPage.getByRole('button', { name: 'Resolve', exact: true }).click();
    await agentPage.locator('.complaint-page .badge', { hasText: 'Resolved' }).waitFor();
    await agentPage.getByText('Refunded the upgrade', { exact: true }).waitFor();
    // Resolved: no action left.
    await expect(agentPage.getByRole('button', { name: 'Resolve', exact: true }).count()).resolves.toBe(0);
    const r = await gql<Loose>(product, `{ complaint(id: "${id}") { status acknowledgement { note } resolution { by via note } } }`, undefined, VIEWER);
    expect(r.body.data?.complaint).toEqual({ status: 'RESOLVED', acknowledgement: { note: 'Called the customer' }, resolution: { by: 'olivia', via: 'GRAPHQL', note: 'Refunded the upgrade' } });
    await slack.until(
      (s) => s.okCallsTo('chat.update').some((c) => c.body.ts === ts && JSON.stringify(c.body.blocks).includes(RESOLVED_STATUS_BLOCK_ID)),
      'the Slack message to show the resolution',
      20_000,
    );
    await screenshot(agentPage, 'complaint-resolved');
    await expectAccessible(agentPage, 'resolved complaint page');
  });

  it('snoozes an open complaint from its page for the chosen time: GraphQL reads snoozedUntil', async () => {
    await agentPage.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Complaints' }).click();
    const [id] = await produce([{ user: 3, stars: 1, message: 'more peanuts please', channel: 'android' }]);
    await row(agentPage, id!).waitFor({ timeout: 20_000 });
    await row(agentPage, id!).getByRole('link').click();
    await agentPage.getByRole('heading', { name: /Mariejeanne Cocci, 1 star/ }).waitFor();
    await agentPage.getByLabel('Snooze reminders for').selectOption({ label: '4 hours' });
    const before = Date.now();
    await agentPage.getByRole('button', { name: 'Snooze', exact: true }).click();
    await agentPage.getByRole('status').filter({ hasText: 'snoozed until' }).waitFor();
    const after = Date.now();
    const r = await gql<Loose>(product, `{ complaint(id: "${id}") { status snoozedUntil nextReminderAt } }`, undefined, VIEWER);
    const c = r.body.data?.complaint as { status: string; snoozedUntil: string | null };
    expect(c.status).toBe('OPEN');
    // The value the page sent: four hours after the click (within the click's own span).
    const until = Date.parse(c.snoozedUntil ?? '');
    expect(until).toBeGreaterThanOrEqual(before + 4 * 3_600_000 - 1_000);
    expect(until).toBeLessThanOrEqual(after + 4 * 3_600_000 + 1_000);
    // Snoozing is no state change: the complaint can still be acknowledged or resolved.
    await agentPage.getByRole('button', { name: 'Acknowledge', exact: true }).waitFor();
    await agentPage.getByRole('button', { name: 'Resolve', exact: true }).waitFor();
    await screenshot(agentPage, 'complaint');
    await expectAccessible(agentPage, 'snoozed complaint page');
  });

  it('shows a resolution made in Slack, live, and filters by status', async () => {
    await agentPage.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Complaints' }).click();
    await agentPage.getByRole('button', { name: 'All', exact: true }).click();
    await agentPage.locator('tr[data-complaint-id]').first().waitFor();
    const [id] = await produce([{ user: 4, stars: 1, message: 'why is it so difficult to keep the bathrooms clean ?', channel: 'web' }]);
    await row(agentPage, id!).waitFor({ timeout: 20_000 });
    const ts = await slackTsOf(id!);
    const click = async (actionId?: string): Promise<void> => {
      const body = formPayload(blockActionPayload({ complaintId: id!, user: { id: 'U0OPS', username: 'sam' }, channel: CHANNEL, messageTs: ts, ...(actionId ? { actionId } : {}) }));
      expect((await postTo(`${product.url}/slack/events`, body, signedHeaders(body, SIGNING_SECRET))).status).toBe(200);
    };
    await click();
    await row(agentPage, id!).getByText('Acknowledged', { exact: true }).waitFor({ timeout: 20_000 });
    await click(RESOLVE_ACTION_ID);
    await row(agentPage, id!).getByText('Resolved', { exact: true }).waitFor({ timeout: 20_000 });
    await expect(row(agentPage, id!).textContent()).resolves.toContain('via Slack');
    await expect(row(agentPage, id!).getByRole('button').count()).resolves.toBe(0);
    const r = await gql<Loose>(product, `{ complaint(id: "${id}") { status resolution { by via } } }`, undefined, VIEWER);
    expect(r.body.data?.complaint).toEqual({ status: 'RESOLVED', resolution: { by: 'U0OPS', via: 'SLACK' } });
    // The Resolved filter lists it (and only resolved ones).
    await searchable(id!, 'RESOLVED');
    await agentPage.getByRole('button', { name: 'Resolved', exact: true }).click();
    await row(agentPage, id!).waitFor();
    // The filtered page may still be replacing the rows: wait for it to settle.
    await expect.poll(async () => (await agentPage.locator('tr[data-complaint-id] .badge').allTextContents()).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    const badges = await agentPage.locator('tr[data-complaint-id] .badge').allTextContents();
    expect(badges.length).toBeGreaterThanOrEqual(2);
    expect(new Set(badges)).toEqual(new Set(['Resolved']));
    await screenshot(agentPage, 'complaints-resolved');
    await expectAccessible(agentPage, 'resolved complaints');
    await agentPage.getByRole('button', { name: 'Open', exact: true }).click();
  });

  it('shows the overview, search and pipeline views', async () => {
    await agentPage.getByRole('link', { name: 'Overview' }).click();
    await agentPage.getByRole('heading', { name: 'Overview' }).waitFor();
    await agentPage.locator('table.stats tbody th').first().waitFor();
    await agentPage.locator('.ticker li').first().waitFor();
    // Today's complaint figures: some were resolved above, so there is a time to resolve.
    const resolveKpi = agentPage.locator('.kpi').filter({ hasText: 'Time to resolve' }).locator('.kpi-value');
    await expect.poll(() => resolveKpi.textContent()).toMatch(/^\d[\d.,]* (s|min|h|d)$/);
    await screenshot(agentPage, 'overview');
    await expectAccessible(agentPage, 'overview');
    await agentPage.emulateMedia({ colorScheme: 'dark' });
    await screenshot(agentPage, 'overview-dark');
    await expectAccessible(agentPage, 'overview, dark');
    await agentPage.emulateMedia({ colorScheme: 'light' });

    await agentPage.getByRole('link', { name: 'Search' }).click();
    await agentPage.getByLabel('Message contains').fill('peanuts');
    await agentPage.getByRole('button', { name: 'Search', exact: true }).click();
    // Every row of the answer matches the text filter (and there are some).
    await expect
      .poll(async () => {
        const messages = await agentPage.locator('td.msg').allTextContents();
        return messages.length > 0 && messages.every((m) => m.includes('peanuts'));
      })
      .toBe(true);
    await agentPage.getByLabel('Message contains').fill('');
    await agentPage.getByRole('button', { name: 'Search', exact: true }).click();
    await agentPage.getByText(/page 1 of/).waitFor();
    const firstPage = await agentPage.locator('tbody tr').first().textContent();
    await agentPage.getByRole('button', { name: 'Next page' }).click();
    await agentPage.getByText(/page 2 of/).waitFor();
    expect(await agentPage.locator('tbody tr').first().textContent()).not.toBe(firstPage);
    await agentPage.getByRole('button', { name: 'Previous page' }).and(agentPage.locator(':enabled')).waitFor();
    await screenshot(agentPage, 'search');
    await expectAccessible(agentPage, 'search');

    await agentPage.getByRole('link', { name: 'Pipeline' }).click();
    await agentPage.getByRole('cell', { name: 'RUNNING' }).first().waitFor();
    await expect(agentPage.getByRole('rowheader').allTextContents()).resolves.toEqual(expect.arrayContaining([expect.stringContaining('enrich-ratings'), expect.stringContaining('sink')]));
    await screenshot(agentPage, 'pipeline');
    await expectAccessible(agentPage, 'pipeline');
  });

  it('shows a viewer key no Acknowledge, Resolve or Snooze button', async () => {
    const [id] = await produce([{ user: 2, stars: 1, message: 'thank you for the upgrade' }]);
    await searchable(id!, 'OPEN');
    const page = await openPage();
    await signIn(page, VIEWER);
    await row(page, id!).waitFor({ timeout: 20_000 });
    for (const name of ['Acknowledge', 'Resolve', 'Snooze']) await expect(page.getByRole('button', { name, exact: true }).count()).resolves.toBe(0);
    await page.goto(`${product.url}/complaints/${id}`);
    await page.getByRole('heading', { name: /Ruthie Brockherst/ }).waitFor();
    for (const name of ['Acknowledge', 'Resolve', 'Snooze']) await expect(page.getByRole('button', { name, exact: true }).count()).resolves.toBe(0);
    await expect(page.getByLabel('Note (optional)').count()).resolves.toBe(0);
    await expect(page.getByLabel('Snooze reminders for').count()).resolves.toBe(0);
  });

  it('made no request off localhost and logged no console error', () => {
    expect(requests.length).toBeGreaterThan(10);
    for (const url of requests) expect(new URL(url).hostname).toBe('127.0.0.1');
    expect(consoleErrors).toEqual([]);
  });
});

describe('the dashboard with open access (embedded default, no API keys)', () => {
  let embedded: ProductProcess;
  beforeAll(async () => {
    embedded = await startProduct({ DEMO_RATINGS_PER_SECOND: '20', JOIN_GRACE_MS: '1000' }, { name: 'embedded' });
  });
  afterAll(async () => {
    await embedded?.stop('SIGTERM');
  });

  it('asks for no key and shows the demo complaints', async () => {
    const page = await openPage();
    await page.goto(`${embedded.url}/complaints`);
    await page.getByText('Open access', { exact: true }).waitFor();
    await expect(page.getByLabel('API key').count()).resolves.toBe(0);
    await page.locator('tr[data-complaint-id]').first().waitFor({ timeout: 30_000 });
    await expect(page.getByRole('button', { name: 'Acknowledge', exact: true }).count()).resolves.toBeGreaterThan(0);
    for (const url of requests) expect(new URL(url).hostname).toBe('127.0.0.1');
    expect(consoleErrors).toEqual([]);
  });
});
