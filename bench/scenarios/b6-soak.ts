/**
 * B6: soak. `node dist/src/main.js` with every role (stream, api, sink,
 * slack; exactly-once on; the Slack poster against the tests' Slack stand-in
 * in a process of its own) for `--minutes=N` (default 30) at 500 ratings/s,
 * with 1,000 graphql-ws `complaintRaised` subscribers (one client process).
 *
 * Complaints are 0.1 % of the ratings (0.5/s): the Slack poster posts at most
 * one message per second per channel (slack-app/constants.ts
 * DEFAULT_POST_INTERVAL_MS), so more would be a growing Slack backlog by
 * design, not a leak.
 *
 * Every few seconds: the product's resident memory (/proc VmRSS), the lag of
 * its consumer groups (end offset − committed, summed over the topics each
 * group commits), the event-loop delay p99 of /metrics
 * (nodejs_eventloop_lag_p99_seconds) and the error lines of its log. Targets:
 * memory growth after the warm-up ≤ 10 % (median of the last tenth of the run
 * against the median of the tenth after the warm-up), lag flat (the last
 * third's median at most one second of input above the first third's after
 * warm-up), no error logged. Writes bench/results/b6-<stamp>.png (memory, lag
 * and event-loop delay over time). Not part of the default run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot, startWorker, type Worker } from '../lib/child.js';
import { cdcMessage, makeCustomers, rekeyMessage } from '../lib/data.js';
import { connectBenchKafka, type BenchKafka } from '../lib/kafka.js';
import { createProductTopics, productNames } from '../lib/names.js';
import { chart } from '../lib/png.js';
import { productEnv, startProduct, type Product } from '../lib/product.js';
import { limitRow, type Row, type Scenario } from '../lib/types.js';
import { errorMessage, median, rssOf, sleep } from '../lib/util.js';
import { SUBSCRIPTION } from './b4-fanout.js';

const RATE = 500;
const SUBSCRIBERS = 1_000;
const COMPLAINT_SHARE = 0.001;
const CUSTOMERS = 1_000;

export interface SoakSample {
  /** Minutes since the load started. */
  readonly t: number;
  readonly rssMb: number | null;
  readonly lag: number | null;
  readonly loopP99Ms: number | null;
  readonly errors: number;
}

/** Sum over the groups whose name starts with `prefix` of (end offset − committed) on every topic they committed. */
async function lagOf(kafka: BenchKafka, prefix: string): Promise<number> {
  const groups = (await kafka.listGroups()).filter((g) => g.startsWith(prefix));
  const ends = new Map<string, number>();
  let lag = 0;
  for (const groupId of groups) {
    for (const t of await kafka.admin.fetchOffsets({ groupId })) {
      if (!ends.has(t.topic)) {
        const offsets = await kafka.admin.fetchTopicOffsets(t.topic);
        for (const o of offsets) ends.set(`${t.topic}/${o.partition}`, Number(o.high));
        ends.set(t.topic, 1);
      }
      for (const p of t.partitions) {
        const committed = Number(p.offset);
        if (committed >= 0) lag += Math.max(0, (ends.get(`${t.topic}/${p.partition}`) ?? committed) - committed);
      }
    }
  }
  return lag;
}

const errorLines = (logFile: string): number => {
  try {
    return readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((l) => /^\{"level":(50|60),/.test(l)).length;
  } catch {
    return 0;
  }
};

export const b6: Scenario = {
  id: 'B6',
  title: 'soak: every role, 500 ratings/s, 1,000 subscribers, memory / lag / event-loop delay over time',
  async run(ctx) {
    const minutes = ctx.soakMinutes ?? (ctx.quick ? 2 : 30);
    const durationMs = Math.round(minutes * 60_000);
    const warmMin = Math.min(5, Math.max(0.5, minutes * 0.2));
    const everyMs = minutes <= 10 ? 5_000 : 15_000;
    const base = `bench-b6-${ctx.stamp}`;
    const names = productNames(base);
    const customers = makeCustomers(CUSTOMERS);
    const kafka = await connectBenchKafka(ctx.brokers);
    const samples: SoakSample[] = [];
    let app: Product | null = null;
    let slack: Worker | null = null;
    let clients: Worker | null = null;
    let producer: Worker | null = null;
    let delivered = { messages: 0, open: 0, closeCodes: [] as [string, number][] };
    let slackStats = { calls: 0, posted: 0, failed: 0 };
    let sent = { sent: 0, complaints: 0 };
    let error: string | null = ctx.productMissing === null ? null : `not run: ${ctx.productMissing}`;
    try {
      if (error !== null) throw new Error(error);
      await createProductTopics(kafka, names);
      await kafka.fill(names.TOPIC_CUSTOMERS_CDC, customers.map(cdcMessage));
      await kafka.fill(names.TOPIC_CUSTOMERS_REKEYED, customers.map(rekeyMessage));
      slack = await startWorker('workers/slack-recorder.ts', 'b6-slack');
      const { apiUrl } = await slack.call<{ apiUrl: string }>('start');
      app = await startProduct({
        name: 'b6-all-roles',
        logDir: ctx.logDir,
        cpuProfile: ctx.profile,
        env: productEnv(
          { brokers: ctx.brokers.join(','), esUrl: ctx.esUrl },
          {
            ROLES: 'stream,api,sink,slack',
            EXACTLY_ONCE: 'on',
            SLACK_BOT_TOKEN: 'xoxb-bench-soak',
            SLACK_SIGNING_SECRET: 'bench-soak-signing-secret',
            SLACK_CHANNEL: 'CBENCHSOAK1',
            SLACK_API_URL: apiUrl,
            ...names,
          },
        ),
      });
      await app.waitHttp('/readyz', 180_000);
      clients = await startWorker('workers/ws-clients.ts', 'b6-subscribers');
      const c = await clients.call<{ opened: number; errors: string[] }>('connect', { url: `ws://127.0.0.1:${app.port}/graphql`, mode: 'graphql', count: SUBSCRIBERS, query: SUBSCRIPTION }, 300_000);
      if (c.opened !== SUBSCRIBERS) throw new Error(`only ${c.opened} of ${SUBSCRIBERS} subscribers connected: ${c.errors.slice(0, 3).join('; ')}`);
      producer = await startWorker('workers/rating-producer.ts', 'b6-producer');
      const customerStatus = customers.map((x) => [x.id, x.club_status.toLowerCase()] as const);
      ctx.log(`B6: ${minutes} min at ${RATE} ratings/s, ${SUBSCRIBERS} subscribers, sampling every ${everyMs / 1000} s`);
      const started = Date.now();
      let done = false;
      const load = producer
        .call<{ sent: number; complaints: number }>(
          'run',
          { brokers: ctx.brokers, topic: names.TOPIC_RATINGS, rate: RATE, durationMs, customers: customerStatus, complaintShare: COMPLAINT_SHARE, firstId: 1, seed: 6 },
          durationMs + 120_000,
        )
        .finally(() => (done = true));
      const a = app;
      while (!done) {
        await sleep(everyMs);
        const t = (Date.now() - started) / 60_000;
        const rss = rssOf(a.pid);
        const lag = await lagOf(kafka, base).catch(() => null);
        const loop = await a
          .metrics()
          .then((m) => m.get('nodejs_eventloop_lag_p99_seconds'))
          .catch(() => undefined);
        const sample: SoakSample = { t, rssMb: rss === null ? null : rss / 1024 / 1024, lag, loopP99Ms: loop === undefined ? null : loop * 1000, errors: errorLines(a.process.logFile) };
        samples.push(sample);
        if (samples.length % Math.max(1, Math.round(60_000 / everyMs)) === 0) {
          ctx.log(`B6 ${t.toFixed(1)} min: RSS ${sample.rssMb?.toFixed(0)} MB, lag ${sample.lag}, event-loop p99 ${sample.loopP99Ms?.toFixed(1)} ms, ${sample.errors} error lines`);
        }
        const exited = a.process.exited();
        if (exited !== null) throw new Error(`the product exited (${exited}):\n${a.logTail(10)}`);
      }
      sent = await load;
      const st = await clients.call<{ messages: number; open: number; closeCodes: [string, number][] }>('stats');
      delivered = { messages: st.messages, open: st.open, closeCodes: st.closeCodes };
      slackStats = await slack.call('stats');
    } catch (e) {
      error ??= `failed: ${errorMessage(e)}`;
      ctx.log(`B6 failed: ${errorMessage(e)}`);
    } finally {
      await Promise.allSettled([producer?.stop(), clients?.stop()]);
      await app?.stop();
      await slack?.stop();
      await kafka.close();
    }

    // Figures.
    const after = samples.filter((s) => s.t >= warmMin);
    const tenth = Math.max(1, Math.round(after.length / 10));
    const rssOfAll = (xs: readonly SoakSample[]): number => median(xs.map((s) => s.rssMb ?? Number.NaN));
    const rssStart = after.length > 0 ? rssOfAll(after.slice(0, tenth)) : Number.NaN;
    const rssEnd = after.length > 0 ? rssOfAll(after.slice(-tenth)) : Number.NaN;
    const growth = Number.isFinite(rssStart) && rssStart > 0 ? (100 * (rssEnd - rssStart)) / rssStart : null;
    const third = Math.max(1, Math.round(after.length / 3));
    const lagStart = median(after.slice(0, third).map((s) => s.lag ?? Number.NaN));
    const lagEnd = median(after.slice(-third).map((s) => s.lag ?? Number.NaN));
    const lagDrift = Number.isFinite(lagStart) && Number.isFinite(lagEnd) ? lagEnd - lagStart : null;
    const loops = samples.map((s) => s.loopP99Ms ?? Number.NaN).filter(Number.isFinite);
    const errors = samples.length > 0 ? (samples[samples.length - 1] as SoakSample).errors : null;

    let plot: string | undefined;
    if (samples.length > 1) {
      plot = join(projectRoot, 'bench', 'results', `b6-${ctx.stamp}.png`);
      const series = (pick: (s: SoakSample) => number | null): [number, number][] => samples.flatMap((s) => (pick(s) === null ? [] : [[s.t, pick(s) as number] as [number, number]]));
      writeFileSync(
        plot,
        chart(
          [
            { title: 'resident memory (MB)', points: series((s) => s.rssMb), color: [30, 90, 200], markerX: warmMin },
            { title: 'consumer lag (records)', points: series((s) => s.lag), color: [200, 40, 40], markerX: warmMin },
            { title: 'event-loop delay p99 (ms)', points: series((s) => s.loopP99Ms), color: [20, 140, 60], markerX: warmMin },
          ],
          { xLabel: 'minutes' },
        ),
      );
      ctx.log(`B6: plot written to ${plot}`);
    }

    const note = error ?? undefined;
    const rows: Row[] = [
      limitRow({
        scenario: 'B6',
        what: `resident memory growth after ${warmMin.toFixed(1)} min warm-up (${minutes} min, ${RATE} ratings/s, ${SUBSCRIBERS} subscribers)`,
        unit: '%',
        product: growth,
        baseline: null,
        target: '≤ 10 %',
        check: (v) => v <= 10,
        ...(note !== undefined && { note }),
      }),
      limitRow({
        scenario: 'B6',
        what: 'resident memory after the warm-up → at the end',
        unit: 'MB',
        product: Number.isFinite(rssEnd) ? rssEnd : null,
        baseline: null,
        target: 'report',
        check: null,
        ...(Number.isFinite(rssStart) && { note: `from ${rssStart.toFixed(0)} MB` }),
      }),
      limitRow({
        scenario: 'B6',
        what: 'consumer lag drift (median of the last third − first third after warm-up)',
        unit: 'records',
        product: lagDrift,
        baseline: null,
        target: `flat (≤ ${RATE}, one second of input)`,
        check: (v) => v <= RATE,
        ...(Number.isFinite(lagEnd) && { note: `lag median ${Math.round(lagStart)} → ${Math.round(lagEnd)}` }),
      }),
      limitRow({
        scenario: 'B6',
        what: 'event-loop delay p99 (median of samples; max in note)',
        unit: 'ms',
        product: loops.length > 0 ? median(loops) : null,
        baseline: null,
        target: 'report',
        check: null,
        ...(loops.length > 0 && { note: `max ${Math.max(...loops).toFixed(0)} ms` }),
      }),
      limitRow({ scenario: 'B6', what: 'error lines logged', unit: '', product: errors, baseline: null, target: 'none', check: (v) => v === 0, ratio: null }),
    ];
    return {
      rows,
      details: { minutes, rate: RATE, subscribers: SUBSCRIBERS, complaintShare: COMPLAINT_SHARE, warmMinutes: warmMin, samples, sent, delivered, slack: slackStats, plot, error },
      ...(error !== null && { status: 'partial' as const, reason: error }),
    };
  },
};
