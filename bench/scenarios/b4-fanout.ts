/**
 * B4: subscription fan-out, 1,000 / 5,000 / 10,000 concurrent
 * `complaintRaised` subscribers on one product process.
 *
 * Product: `node dist/src/main.js` with ROLES=api; complaints are produced
 * straight to its complaints topic by the bench (RATING_TIME = publish time)
 * and reach the subscribers through its live feed. Baseline: a bare `ws`
 * broadcast of the same serialized payload to the same number of sockets
 * (bench/baselines/ws-broadcast.ts). Subscribers: two client processes
 * (bench/workers/ws-clients.ts), one graphql-ws subscription per connection.
 *
 * At each size: memory per connection = growth of the server's resident
 * memory since a primed state (10 subscribers, one event delivered), taken
 * 2 s after the new subscribers attached and before any event, divided by
 * the connections added; every subscriber must then receive a first event
 * (held); then, per round, events one at a time (event-to-last-subscriber
 * latency: publish to the last arrival) and one burst (messages per second
 * delivered; a burst not delivered within 15 s counts what arrived by then).
 */
import { enrichedToRecord } from '../../src/domain/index.js';
import { startWorker, type Worker } from '../lib/child.js';
import { openFilesLimit } from '../lib/limits.js';
import { makeCustomers, toCustomer } from '../lib/data.js';
import { connectBenchKafka, type BenchKafka } from '../lib/kafka.js';
import { createProductTopics, productNames } from '../lib/names.js';
import { productEnv, startProduct, type Product } from '../lib/product.js';
import { limitRow, ratioRow, type BenchContext, type Row, type Scenario } from '../lib/types.js';
import { errorMessage, median, percentile, rssOf, sleep } from '../lib/util.js';

export const SUBSCRIPTION = `subscription BenchComplaints {
  complaintRaised {
    cursor
    raisedAt
    complaint {
      id
      status
      rating { id stars channel message ratedAt }
      customer { fullName email clubStatus }
    }
  }
}`;

const LEVELS = [1_000, 5_000, 10_000, 20_000] as const;
/** Descriptors a level needs beyond its connections (Kafka, Elasticsearch, files, the priming subscribers). */
const SPARE_FILES = 500;
const PRIMER = 10;
/** Events sent one at a time per round, for the latency. */
const LATENCY_EVENTS = 5;
/** An event that has not reached every subscriber by then counts as infinitely late. */
const EVENT_TIMEOUT_MS = 15_000;
/** Messages (events × subscribers) of one burst, for the throughput; at least 3 events. */
const BURST_MESSAGES = 20_000;
const BURST_TIMEOUT_MS = 15_000;
const CLIENT_PROCESSES = 2;

interface Side {
  readonly name: 'product' | 'baseline';
  readonly url: string;
  readonly mode: 'graphql' | 'raw';
  /** Publishes the events now; resolves with each one's publish time. */
  publish(ids: readonly string[]): Promise<number[]>;
  rss(): Promise<number | null>;
}

interface LevelResult {
  readonly level: number;
  readonly held: number;
  readonly connectFailures: number;
  readonly connectErrors: readonly string[];
  readonly rssBytes: number | null;
  readonly bytesPerConnection: number | null;
  /** Publish → last subscriber, one per event sent alone (ms). */
  readonly latencies: number[];
  incompleteEvents: number;
  /** Messages per second of each burst. */
  readonly burstRates: number[];
  readonly burstEvents: number;
  readonly burstDelivered: number[];
  readonly notes: string[];
}

interface SideResult {
  readonly primedRssBytes: number | null;
  readonly rssSource: string;
  readonly levels: LevelResult[];
  readonly closeCodes: [string, number][];
  readonly errors: string[];
  /** The first message a subscriber received, as sent. */
  readonly sample: string | null;
}

type ClientStats = { open: number; events: [string, { count: number; first: number; last: number; published: number }][]; closeCodes: [string, number][]; errors: string[]; complete: boolean };

let eventSeq = 2_000_000_000;

async function collect(
  clients: readonly Worker[],
  ids: readonly string[],
  perWorker: readonly number[],
  timeoutMs: number,
): Promise<{ delivered: Map<string, number>; last: Map<string, number>; complete: boolean; stats: ClientStats[] }> {
  const stats = await Promise.all(clients.map((c, i) => c.call<ClientStats>('waitFor', { ids, perEvent: perWorker[i] ?? 0, timeoutMs }, timeoutMs + 30_000)));
  const delivered = new Map<string, number>();
  const last = new Map<string, number>();
  for (const s of stats) {
    for (const [id, e] of s.events) {
      if (!ids.includes(id)) continue;
      delivered.set(id, (delivered.get(id) ?? 0) + e.count);
      last.set(id, Math.max(last.get(id) ?? 0, e.last));
    }
  }
  return { delivered, last, complete: stats.every((s) => s.complete), stats };
}

async function runSide(ctx: BenchContext, side: Side, levels: readonly number[], rounds: number): Promise<SideResult> {
  const clients: Worker[] = [];
  for (let i = 0; i < CLIENT_PROCESSES; i++) clients.push(await startWorker('workers/ws-clients.ts', `b4-${side.name}-clients-${i + 1}`));
  const open = [0, 0];
  const connect = async (total: number): Promise<{ failed: number; errors: string[] }> => {
    const current = open.reduce((a, b) => a + b, 0);
    const add = total - current;
    const shares = clients.map((_, i) => Math.floor(add / clients.length) + (i < add % clients.length ? 1 : 0));
    const results = await Promise.all(
      clients.map((c, i) =>
        c.call<{ opened: number; failed: number; open: number; errors: string[] }>('connect', { url: side.url, mode: side.mode, count: shares[i], query: SUBSCRIPTION, concurrency: 100 }, 300_000),
      ),
    );
    results.forEach((r, i) => (open[i] = r.open));
    return { failed: results.reduce((s, r) => s + r.failed, 0), errors: results.flatMap((r) => r.errors) };
  };
  const reset = (): Promise<unknown> => Promise.all(clients.map((c) => c.call('reset')));
  const nextIds = (n: number): string[] => Array.from({ length: n }, () => String(++eventSeq));
  /** One event to everybody; resolves with (delivered, publish → last arrival). */
  const oneEvent = async (timeoutMs: number): Promise<{ delivered: number; latency: number; complete: boolean }> => {
    const ids = nextIds(1);
    const [published] = await side.publish(ids);
    const r = await collect(clients, ids, open, timeoutMs);
    const id = ids[0] as string;
    return { delivered: r.delivered.get(id) ?? 0, latency: (r.last.get(id) ?? Number.NaN) - (published ?? 0), complete: r.complete };
  };

  const levelsOut: LevelResult[] = [];
  try {
    // Primed state: a few subscribers, one event through, so lazy start-up (the live tail, JIT) is not counted per connection.
    await connect(PRIMER);
    await reset();
    const primer = await oneEvent(60_000);
    if (primer.delivered < PRIMER) throw new Error(`the primer event reached ${primer.delivered} of ${PRIMER} subscribers within 60 s`);
    await sleep(500);
    const primed = await side.rss();

    for (const level of levels) {
      const connected = await connect(level + PRIMER);
      // Memory of idle, attached subscriptions: measured before any event, so no delivery's garbage counts.
      await sleep(2_000);
      const rss = await side.rss();
      await reset();
      const ready = await oneEvent(120_000);
      const r: LevelResult = {
        level,
        held: Math.min(level, ready.delivered - PRIMER),
        connectFailures: connected.failed,
        connectErrors: connected.errors,
        rssBytes: rss,
        bytesPerConnection: rss !== null && primed !== null ? (rss - primed) / level : null,
        latencies: [],
        incompleteEvents: ready.complete ? 0 : 1,
        burstRates: [],
        burstEvents: Math.max(3, Math.round(BURST_MESSAGES / level)),
        burstDelivered: [],
        notes: [],
      };
      levelsOut.push(r);
      ctx.log(
        `B4 ${side.name} ${level}: ${r.held} subscribers got the first event in ${Math.round(ready.latency)} ms; ${r.bytesPerConnection === null ? '?' : (r.bytesPerConnection / 1024).toFixed(1)} KB per connection`,
      );
      const subscribers = open.reduce((a, b) => a + b, 0);
      for (let round = 1; round <= rounds; round++) {
        await reset();
        // Latency: events one at a time, each after the previous one reached everybody.
        const startedAt = Date.now();
        for (let k = 0; k < LATENCY_EVENTS; k++) {
          const e = await oneEvent(EVENT_TIMEOUT_MS);
          r.latencies.push(e.complete ? e.latency : Number.POSITIVE_INFINITY);
          if (!e.complete) r.incompleteEvents++;
          if (Date.now() - startedAt > 10_000) break; // far over target already: do not spend the suite's time
          await sleep(20);
        }
        // Throughput: a burst of events at once.
        await reset();
        const ids = nextIds(r.burstEvents);
        const times = await side.publish(ids);
        const burst = await collect(clients, ids, open, BURST_TIMEOUT_MS);
        const delivered = [...burst.delivered.values()].reduce((a, b) => a + b, 0);
        const lastArrival = burst.complete ? Math.max(...burst.last.values()) : (times[0] ?? 0) + BURST_TIMEOUT_MS;
        const seconds = (lastArrival - (times[0] ?? 0)) / 1000;
        r.burstRates.push(seconds > 0 ? delivered / seconds : Number.NaN);
        r.burstDelivered.push(delivered);
        if (!burst.complete) r.notes.push(`round ${round}: a burst delivered ${delivered} of ${r.burstEvents * subscribers} messages within ${BURST_TIMEOUT_MS / 1000} s (rate over that time)`);
        ctx.log(
          `B4 ${side.name} ${level} round ${round}/${rounds}: p99 ${percentile(r.latencies, 99).toFixed(0)} ms to the last subscriber, ${Math.round(r.burstRates[r.burstRates.length - 1] ?? 0)} messages/s`,
        );
        if (Date.now() - startedAt > 25_000 && round < rounds) {
          r.notes.push(`${round} round(s) only: a round took over 25 s`);
          break;
        }
      }
    }
    const final = await Promise.all(clients.map((c) => c.call<ClientStats>('stats')));
    return {
      primedRssBytes: primed,
      rssSource: '',
      levels: levelsOut,
      closeCodes: final.flatMap((s) => s.closeCodes),
      errors: final.flatMap((s) => s.errors),
      sample: (await clients[0]?.call<string | null>('sample')) ?? null,
    };
  } finally {
    await Promise.allSettled(clients.map((c) => c.stop()));
  }
}

function complaintRecord(id: string, publishedAt: number): string {
  const [customer] = makeCustomers(2).filter((c) => c.club_status === 'platinum');
  const c = toCustomer(customer ?? makeCustomers(2)[1]!);
  return JSON.stringify(
    enrichedToRecord({ ratingId: Number(id), userId: c.id, stars: 1, routeId: 42, ratingTime: publishedAt, channel: 'iOS', message: 'worst. flight. ever. #neveragain', customer: c }),
  );
}

/** A `next` message of the shape the product sends, for when the product did not run. */
const SYNTHETIC_TEMPLATE = {
  id: '1',
  type: 'next',
  payload: {
    data: {
      complaintRaised: {
        cursor: 'eyJ2IjoxLCJwIjp7IjAiOiIxMjMiLCIxIjoiMTE3IiwiMiI6IjEzMSJ9fQ',
        raisedAt: '2018-06-12T10:09:06.808Z',
        complaint: {
          id: '1',
          status: 'OPEN',
          rating: { id: '1', stars: 1, channel: 'iOS', message: 'worst. flight. ever. #neveragain', ratedAt: '2018-06-12T10:09:06.808Z' },
          customer: { fullName: 'Ruthie Brockherst', email: 'rbrockherst1@ow.ly', clubStatus: 'platinum' },
        },
      },
    },
  },
};

export const b4: Scenario = {
  id: 'B4',
  title: 'subscription fan-out: concurrent complaintRaised subscribers on one process',
  async run(ctx) {
    // A level needs its connections in the product (and half of them in each client process).
    const limit = openFilesLimit();
    const levels: number[] = ctx.quick ? [200, 1_000] : LEVELS.filter((n) => n + SPARE_FILES <= limit);
    if (!ctx.quick && levels.length < LEVELS.length) {
      // The most the limit allows (in thousands), so the memory budget is still checked near 20,000.
      const largest = Math.floor((limit - SPARE_FILES) / 1_000) * 1_000;
      if (largest > (levels[levels.length - 1] ?? 0)) levels.push(largest);
      ctx.log(
        `B4: open-files limit ${limit} leaves out ${LEVELS.filter((n) => !levels.includes(n)).join(', ')} subscribers; the largest level is ${levels[levels.length - 1]?.toLocaleString('en-US')}`,
      );
    }
    const base = `bench-b4-${ctx.stamp}`;
    const names = productNames(base);
    const complaintsTopic = names.TOPIC_COMPLAINTS;
    let productError: string | null = ctx.productMissing === null ? null : `not run: ${ctx.productMissing}`;
    let productResult: SideResult | null = null;
    let baselineResult: SideResult | null;
    let template: unknown = SYNTHETIC_TEMPLATE;
    let templateSource = 'synthetic (the product did not run)';
    const kafka: BenchKafka = await connectBenchKafka(ctx.brokers);
    try {
      if (productError === null) {
        let product: Product | null = null;
        try {
          await createProductTopics(kafka, names);
          product = await startProduct({
            name: 'b4-api',
            logDir: ctx.logDir,
            cpuProfile: ctx.profile,
            env: productEnv(
              { brokers: ctx.brokers.join(','), esUrl: ctx.esUrl },
              {
                ROLES: 'api',
                ...names,
              },
            ),
          });
          await product.waitHttp('/readyz', 90_000);
          const p = product;
          const producer = await kafka.producer();
          let rssSource = '';
          productResult = await runSide(
            ctx,
            {
              name: 'product',
              url: `ws://127.0.0.1:${p.port}/graphql`,
              mode: 'graphql',
              async publish(ids) {
                const now = Date.now();
                await producer.send({ topic: complaintsTopic, acks: 1, messages: ids.map((id) => ({ key: id, value: complaintRecord(id, now), timestamp: String(now) })) });
                return ids.map(() => now);
              },
              async rss() {
                const r = await p.rss();
                rssSource = r.source;
                return r.bytes;
              },
            },
            levels,
            ctx.runs,
          );
          productResult = { ...productResult, rssSource };
          ctx.log(`B4: product subscribers' close codes: ${JSON.stringify(productResult.closeCodes)}`);
        } catch (e) {
          productError = `failed: ${errorMessage(e)}`;
          ctx.log(`B4: the product side failed: ${errorMessage(e)}`);
        } finally {
          await product?.stop();
        }
      }
      // The product's own payload, as its subscribers received it, for the baseline.
      if (productResult?.sample) {
        template = JSON.parse(productResult.sample) as unknown;
        templateSource = 'captured from the product';
      }

      const server = await startWorker('baselines/ws-broadcast.ts', 'b4-broadcast');
      try {
        const { port } = await server.call<{ port: number }>('start');
        baselineResult = await runSide(
          ctx,
          {
            name: 'baseline',
            url: `ws://127.0.0.1:${port}`,
            mode: 'raw',
            publish: (ids) => server.call<number[]>('broadcast', { template, ids }, 120_000),
            rss: () => Promise.resolve(rssOf(server.pid)),
          },
          levels,
          ctx.runs,
        );
      } finally {
        await server.stop();
      }
    } finally {
      await kafka.close();
    }

    const rows: Row[] = [];
    for (const level of levels) {
      const p = productResult?.levels.find((l) => l.level === level) ?? null;
      const b = baselineResult?.levels.find((l) => l.level === level) ?? null;
      const label = level >= 1000 ? `${level / 1000}k` : String(level);
      const notes = [
        productError,
        ...(p?.notes ?? []),
        p && p.incompleteEvents > 0 ? `${p.incompleteEvents} product events did not reach every subscriber within 15 s (counted as infinite)` : null,
      ].filter((x): x is string => x !== null);
      const note = notes.length > 0 ? notes.join('; ') : undefined;
      rows.push(
        ratioRow({
          scenario: `B4 ${label}`,
          what: `messages/s delivered to ${level.toLocaleString('en-US')} subscribers`,
          unit: 'msg/s',
          product: p ? median(p.burstRates) : null,
          baseline: b ? median(b.burstRates) : null,
          min: 0.5,
          ...(note !== undefined && { note }),
        }),
      );
      const pP99 = p && p.latencies.length > 0 ? percentile(p.latencies, 99) : null;
      rows.push(
        limitRow({
          scenario: `B4 ${label}`,
          what: 'p99 event → last subscriber',
          unit: 'ms',
          product: pP99 !== null && Number.isFinite(pP99) ? pP99 : pP99 === null ? null : 15_000,
          baseline: b && b.latencies.length > 0 ? percentile(b.latencies, 99) : null,
          // Issue 16 sets it for 10,000 subscribers; above that it is reported.
          target: level <= 10_000 ? '≤ 250 ms' : 'report',
          check: level <= 10_000 ? (v) => v <= 250 : null,
          ratio: null,
          ...(pP99 !== null && !Number.isFinite(pP99) && { note: 'some events did not reach every subscriber within 15 s; shown as 15,000 ms' }),
          ...(productError !== null && { note: productError }),
        }),
      );
      rows.push(
        limitRow({
          scenario: `B4 ${label}`,
          what: 'memory per connection (resident)',
          unit: 'KB',
          product: p && p.bytesPerConnection !== null ? p.bytesPerConnection / 1024 : null,
          baseline: b && b.bytesPerConnection !== null ? b.bytesPerConnection / 1024 : null,
          // Resident growth divided by the connections: below 10,000 the process's own noise
          // (heap growth, GC timing) dominates, so the budget is checked from 10,000 on.
          target: level >= 10_000 ? '≤ 20 KB' : 'report',
          check: level >= 10_000 ? (v) => v <= 20 : null,
          ratio: null,
          ...(productError !== null && { note: productError }),
        }),
      );
    }
    const top = levels[levels.length - 1] as number;
    const pTop = productResult?.levels.find((l) => l.level === top) ?? null;
    rows.push(
      limitRow({
        scenario: `B4 ${top >= 1000 ? `${top / 1000}k` : top}`,
        what: 'subscribers held (got the first event)',
        unit: '',
        product: pTop ? pTop.held : null,
        baseline: baselineResult?.levels.find((l) => l.level === top)?.held ?? null,
        target: `all ${top.toLocaleString('en-US')}`,
        check: (v) => v >= top,
        ratio: null,
        ...(productError !== null && { note: productError }),
      }),
    );
    return {
      rows,
      details: { levels, subscription: SUBSCRIPTION, clientProcesses: CLIENT_PROCESSES, template: templateSource, product: productResult, baseline: baselineResult, productError },
      ...(productError !== null && { status: 'partial' as const, reason: productError }),
    };
  },
};
