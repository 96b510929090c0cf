/**
 * B2: complaint latency, rating produced → `complaintRaised` delivered to a
 * graphql-ws client, at 1,000 ratings per second (a quarter of them
 * complaints).
 *
 * Product: `node dist/src/main.js` with ROLES=stream,api and exactly-once on
 * (the path is ratings → enrich-ratings, which writes the enriched rating and
 * the complaint in one transaction → complaints topic → live feed →
 * WebSocket; the issue's baseline keeps KSQL's two hops); one graphql-ws subscriber in its own
 * process measures now − ratedAt for every complaint. Baseline: a bare
 * two-hop kafkajs chain (bench/baselines/two-hop.ts) over the same rate and
 * the same share of complaints. The load generator is a third process
 * (bench/workers/rating-producer.ts).
 *
 * The peer: the same topology on Kafka Streams with exactly_once_v2
 * (bench/kafka-streams), commit.interval.ms at its default (100 ms under
 * exactly-once) and at 10 ms, at the same rate: rating → complaints topic,
 * read read_committed by the same probe that times the product's hop.
 *
 * Segments of the product's path (p99 of each cumulative point; differences
 * of p99s are indicative, not additive): the complaints topic (probe,
 * read_committed); a lean subscriber (`complaintRaised { cursor raisedAt }`:
 * the live feed's tail, GraphQL execution and the socket); the full
 * subscriber (B4's subscription: the complaint, its rating and customer, which
 * live events answer from the record since December 2026, so the two should
 * match; before, it read the complaint's indexed state). Per complaint, topic →
 * socket is the full subscriber's time minus the probe's.
 */
import { startWorker, type Worker } from '../lib/child.js';
import { cdcMessage, makeCustomers, rekeyMessage } from '../lib/data.js';
import { connectBenchKafka } from '../lib/kafka.js';
import { createProductTopics, productNames } from '../lib/names.js';
import { PEER_HEAP_MB, sampleMax, startPeer } from '../lib/kafka-streams.js';
import { productEnv, startProduct, type Product } from '../lib/product.js';
import { limitRow, type Row, type Scenario } from '../lib/types.js';
import { errorMessage, median, percentiles, rssOf, sleep, type Percentiles } from '../lib/util.js';
import { SUBSCRIPTION } from './b4-fanout.js';

const RATE = 1_000;
const CUSTOMERS = 1_000;
const COMPLAINT_SHARE = 0.25;
/** How long after its run a complaint may still arrive before it counts as not delivered. */
const MISSING_WAIT_MS = 15_000;
/** The lean subscriber: no `complaint`, so no lookup of its indexed state; raisedAt is the record timestamp (the rating time). */
const LEAN_SUBSCRIPTION = 'subscription BenchLean { complaintRaised { cursor raisedAt } }';
const PEER_COMMITS = [
  ['ks-default', 'default'],
  ['ks-10ms', 10],
] as const;

export const b2: Scenario = {
  id: 'B2',
  title: 'complaint latency: rating produced → complaintRaised delivered, at 1,000 ratings/s',
  async run(ctx) {
    const durationMs = ctx.quick ? 4_000 : 10_000;
    const warmMs = ctx.quick ? 2_000 : 4_000;
    const base = `bench-b2-${ctx.stamp}`;
    const customers = makeCustomers(CUSTOMERS);
    const customerStatus = customers.map((c) => [c.id, c.club_status.toLowerCase()] as const);
    const names = productNames(base);
    const topics = {
      ratings: names.TOPIC_RATINGS,
      cdc: names.TOPIC_CUSTOMERS_CDC,
      rekeyed: names.TOPIC_CUSTOMERS_REKEYED,
      middle: `${base}-baseline-complaints`,
      baselineInput: `${base}-baseline-ratings`,
    };
    const kafka = await connectBenchKafka(ctx.brokers);
    let producer: Worker | null = null;
    let firstId = 1;
    const load = async (topic: string, ms: number): Promise<{ sent: number; complaints: number }> =>
      (producer as Worker).call(
        'run',
        { brokers: ctx.brokers, topic, rate: RATE, durationMs: ms, customers: customerStatus, complaintShare: COMPLAINT_SHARE, firstId: (firstId += 1_000_000), seed: firstId },
        ms + 60_000,
      );

    /**
     * Runs the load, then waits until `count()` reaches the complaints sent (or
     * 15 s more). Percentiles are over the complaints delivered; what was not
     * delivered is counted separately (and fails the target).
     */
    const measure = async (
      topic: string,
      ms: number,
      count: () => Promise<number>,
      samples: () => Promise<number[]>,
    ): Promise<{ p: Percentiles; sent: number; expected: number; received: number }> => {
      const { sent, complaints } = await load(topic, ms);
      const deadline = Date.now() + MISSING_WAIT_MS;
      while ((await count()) < complaints && Date.now() < deadline) await sleep(50);
      const xs = await samples();
      return { p: percentiles(xs), sent, expected: complaints, received: xs.length };
    };

    const product: { p: Percentiles; sent: number; expected: number; received: number }[] = [];
    const baseline: { p: Percentiles; sent: number; expected: number; received: number }[] = [];
    /** Per product run: latency to each intermediate topic (read_committed), by topic. */
    const hops: Record<string, Percentiles>[] = [];
    /** Lean subscriber (no index lookup) and per-complaint topic → socket, per product run. */
    const lean: Percentiles[] = [];
    /** As deployed: the stream role and the API in separate processes, one full subscriber. */
    const split: typeof product = [];
    let splitError: string | null = null;
    const topicToSocket: Percentiles[] = [];
    /** Kafka Streams: rating → complaints topic (read_committed) per variant, and peak RSS. */
    const peer: Record<string, { runs: { p: Percentiles; expected: number; received: number }[]; peakRss: number | null }> = {};
    let peerError: string | null = ctx.peerMissing === null ? null : `not run: ${ctx.peerMissing}`;
    let productRss: number | null = null;
    /** Close codes of the subscriber's connections that the product closed. */
    const disconnects: string[] = [];
    let productError: string | null = ctx.productMissing === null ? null : `not run: ${ctx.productMissing}`;
    try {
      await createProductTopics(kafka, names);
      await kafka.createTopics([
        { name: topics.middle, partitions: 3 },
        { name: topics.baselineInput, partitions: 3 },
      ]);
      await kafka.fill(topics.cdc, customers.map(cdcMessage));
      await kafka.fill(topics.rekeyed, customers.map(rekeyMessage));
      producer = await startWorker('workers/rating-producer.ts', 'b2-producer');

      // Baseline first: it needs no build, and it warms the broker for both.
      const chain = await startWorker('baselines/two-hop.ts', 'b2-two-hop');
      try {
        await chain.call('start', { brokers: ctx.brokers, input: topics.baselineInput, middle: topics.middle, groupPrefix: `${base}-baseline`, customers: customerStatus });
        ctx.log('B2 baseline: warm-up');
        await load(topics.baselineInput, warmMs);
        await sleep(1_000);
        for (let i = 1; i <= ctx.runs; i++) {
          await chain.call('reset');
          const r = await measure(
            topics.baselineInput,
            durationMs,
            () => chain.call<number>('count'),
            () => chain.call<number[]>('samples'),
          );
          baseline.push(r);
          ctx.log(`B2 baseline run ${i}/${ctx.runs}: p50 ${r.p.p50} ms, p95 ${r.p.p95} ms, p99 ${r.p.p99} ms (${r.received}/${r.expected} complaints)`);
        }
      } finally {
        await chain.stop();
      }

      // The Kafka Streams peer, each commit interval in a process of its own, fresh topics.
      for (const [variant, commit] of PEER_COMMITS) {
        if (peerError !== null) break;
        const appId = `${base}-${variant}`;
        const t = { ratings: `${appId}-ratings`, enriched: `${appId}-enriched`, complaints: `${appId}-complaints` };
        await kafka.createTopics(Object.values(t).map((name) => ({ name, partitions: 3 })));
        const app = startPeer({
          name: `b2-${variant}`,
          logDir: ctx.logDir,
          brokers: ctx.brokers,
          applicationId: appId,
          topics: { ...t, cdc: topics.cdc, rekeyed: topics.rekeyed },
          commitIntervalMs: commit,
        });
        const memory = sampleMax(() => app.rss());
        let probe: Worker | null = null;
        const runs: { p: Percentiles; expected: number; received: number }[] = [];
        try {
          await app.waitRunning(120_000);
          // A loaded machine can take more than the default 30 s to start a tsx worker.
          probe = await startWorker('workers/topic-probe.ts', `b2-${variant}-probe`, { startTimeoutMs: 120_000 });
          const pr = probe;
          await pr.call('start', { brokers: ctx.brokers, topics: [t.complaints], groupId: `${appId}-probe` });
          const count = async (): Promise<number> => (await pr.call<Record<string, number>>('counts'))[t.complaints] ?? 0;
          ctx.log(`B2 Kafka Streams ${variant}: warm-up`);
          await load(t.ratings, warmMs);
          await sleep(1_000);
          for (let i = 1; i <= ctx.runs; i++) {
            await pr.call('reset');
            const { complaints } = await load(t.ratings, durationMs);
            const deadline = Date.now() + MISSING_WAIT_MS;
            while ((await count()) < complaints && Date.now() < deadline) await sleep(50);
            const p = (await pr.call<Record<string, Percentiles>>('percentiles'))[t.complaints] ?? percentiles([]);
            runs.push({ p, expected: complaints, received: p.count });
            ctx.log(`B2 Kafka Streams ${variant} run ${i}/${ctx.runs}: rating → complaints topic p50 ${p.p50} ms, p95 ${p.p95} ms, p99 ${p.p99} ms (${p.count}/${complaints})`);
          }
        } catch (e) {
          peerError = `failed: ${errorMessage(e)}`;
          ctx.log(`B2: the Kafka Streams peer failed: ${errorMessage(e)}`);
        } finally {
          memory.stop();
          await probe?.stop();
          await app.stop();
        }
        peer[variant] = { runs, peakRss: memory.max() };
      }

      if (productError === null) {
        let app: Product | null = null;
        let subscriber: Worker | null = null;
        let probe: Worker | null = null;
        let leanSubscriber: Worker | null = null;
        let memory: { max(): number | null; stop(): void } | null = null;
        try {
          app = await startProduct({
            name: 'b2-stream-api',
            logDir: ctx.logDir,
            cpuProfile: ctx.profile,
            env: productEnv(
              { brokers: ctx.brokers.join(','), esUrl: ctx.esUrl },
              {
                ROLES: 'stream,api',
                EXACTLY_ONCE: 'on',
                ...names,
              },
            ),
          });
          await app.waitHttp('/readyz', 120_000);
          const appPid = app.pid;
          memory = sampleMax(() => rssOf(appPid));
          // Where the latency comes from: the same clock read at the intermediate topics.
          probe = await startWorker('workers/topic-probe.ts', 'b2-probe');
          await probe.call('start', { brokers: ctx.brokers, topics: [names.TOPIC_RATINGS_ENRICHED, names.TOPIC_COMPLAINTS], groupId: `${base}-probe` });
          subscriber = await startWorker('workers/ws-clients.ts', 'b2-subscriber');
          const s = subscriber;
          const wsUrl = `ws://127.0.0.1:${app.port}/graphql`;
          /** (Re)connects the one subscriber; the product closes it (1013) when it falls 1,000 complaints behind. */
          const ensureSubscribed = async (): Promise<void> => {
            const st = await s.call<{ open: number; closeCodes: [string, number][] }>('stats');
            if (st.open > 0) return;
            const c = await s.call<{ opened: number; errors: string[] }>('connect', { url: wsUrl, mode: 'graphql', count: 1, query: SUBSCRIPTION });
            if (c.opened !== 1) throw new Error(`the subscriber could not connect: ${c.errors.join('; ')}`);
            await sleep(500);
          };
          await ensureSubscribed();
          leanSubscriber = await startWorker('workers/ws-clients.ts', 'b2-lean-subscriber', { startTimeoutMs: 120_000 });
          const ls = leanSubscriber;
          const lc = await ls.call<{ opened: number; errors: string[] }>('connect', { url: wsUrl, mode: 'graphql', count: 1, query: LEAN_SUBSCRIPTION });
          if (lc.opened !== 1) throw new Error(`the lean subscriber could not connect: ${lc.errors.join('; ')}`);
          ctx.log('B2 product: warm-up');
          await s.call('reset', { keepSamples: true });
          const warm = await measure(
            topics.ratings,
            warmMs,
            async () => (await s.call<number[]>('samples')).length,
            () => s.call<number[]>('samples'),
          );
          if (warm.received === 0) {
            const st = await s.call<{ errors: string[]; closeCodes: [string, number][] }>('stats');
            throw new Error(`no complaint reached the subscriber in the warm-up (${warm.expected} sent); errors ${JSON.stringify(st.errors)}, close codes ${JSON.stringify(st.closeCodes)}`);
          }
          await sleep(1_000);
          for (let i = 1; i <= ctx.runs; i++) {
            await ensureSubscribed();
            await s.call('reset', { keepSamples: true });
            await ls.call('reset', { keepSamples: true });
            await probe.call('reset');
            const r = await measure(
              topics.ratings,
              durationMs,
              async () => (await s.call<number[]>('samples')).length,
              () => s.call<number[]>('samples'),
            );
            product.push(r);
            hops.push(await probe.call<Record<string, Percentiles>>('percentiles'));
            lean.push(percentiles(await ls.call<number[]>('samples')));
            // Per complaint: when the subscriber got it minus when the probe read it from the topic.
            const atTopic = new Map(await probe.call<[string, number][]>('seen', { topic: names.TOPIC_COMPLAINTS }));
            const got = (await s.call<{ events: [string, { first: number }][] }>('stats')).events;
            topicToSocket.push(percentiles(got.flatMap(([id, e]) => (atTopic.has(id) ? [e.first - (atTopic.get(id) as number)] : []))));
            if (i === ctx.runs) {
              // Every connection the product closed during the runs (the worker keeps count).
              const st = await s.call<{ closeCodes: [string, number][] }>('stats');
              disconnects.push(...st.closeCodes.map(([code, n]) => `${n}× ${code}`));
            }
            ctx.log(`B2 product run ${i}/${ctx.runs}: p50 ${r.p.p50} ms, p95 ${r.p.p95} ms, p99 ${r.p.p99} ms (${r.received}/${r.expected} complaints)`);
          }
        } catch (e) {
          productError = `failed: ${errorMessage(e)}`;
          ctx.log(`B2: the product side failed: ${errorMessage(e)}`);
        } finally {
          productRss = memory?.max() ?? null;
          memory?.stop();
          await Promise.allSettled([subscriber?.stop(), leanSubscriber?.stop(), probe?.stop()]);
          await app?.stop();
        }
      }
      if (productError === null) {
        // As deployed: the stream role and the API in separate processes, on the same topics
        // (the stream processors resume from the one-process run's committed offsets).
        let streamApp: Product | null = null;
        let apiApp: Product | null = null;
        let sub: Worker | null = null;
        try {
          const env = (roles: string) => productEnv({ brokers: ctx.brokers.join(','), esUrl: ctx.esUrl }, { ROLES: roles, EXACTLY_ONCE: 'on', ...names });
          streamApp = await startProduct({ name: 'b2-stream', logDir: ctx.logDir, cpuProfile: ctx.profile, env: env('stream') });
          apiApp = await startProduct({ name: 'b2-api', logDir: ctx.logDir, cpuProfile: ctx.profile, env: env('api') });
          // A stream-only process serves GET /readyz too (src/server/ops-server.ts).
          await Promise.all([streamApp.waitHttp('/readyz', 120_000), apiApp.waitHttp('/readyz', 120_000)]);
          sub = await startWorker('workers/ws-clients.ts', 'b2-split-subscriber');
          const s = sub;
          const c = await s.call<{ opened: number; errors: string[] }>('connect', { url: `ws://127.0.0.1:${apiApp.port}/graphql`, mode: 'graphql', count: 1, query: SUBSCRIPTION });
          if (c.opened !== 1) throw new Error(`the subscriber could not connect: ${c.errors.join('; ')}`);
          ctx.log('B2 split (stream and api processes): warm-up');
          const count = async (): Promise<number> => (await s.call<number[]>('samples')).length;
          const samples = (): Promise<number[]> => s.call<number[]>('samples');
          await s.call('reset', { keepSamples: true });
          const warm = await measure(topics.ratings, warmMs, count, samples);
          if (warm.received === 0) throw new Error(`no complaint reached the subscriber in the warm-up (${warm.expected} sent)`);
          for (let i = 1; i <= ctx.runs; i++) {
            await s.call('reset', { keepSamples: true });
            const r = await measure(topics.ratings, durationMs, count, samples);
            split.push(r);
            ctx.log(`B2 split run ${i}/${ctx.runs}: p50 ${r.p.p50} ms, p95 ${r.p.p95} ms, p99 ${r.p.p99} ms (${r.received}/${r.expected} complaints)`);
          }
        } catch (e) {
          splitError = `failed: ${errorMessage(e)}`;
          ctx.log(`B2: the split product failed: ${errorMessage(e)}`);
        } finally {
          await sub?.stop();
          await Promise.allSettled([apiApp?.stop(), streamApp?.stop()]);
        }
      }
    } finally {
      await producer?.stop();
      await kafka.close();
    }

    const med = (xs: typeof product, k: keyof Percentiles): number | null => (xs.length > 0 ? median(xs.map((x) => x.p[k])) : null);
    const b99 = med(baseline, 'p99');
    const p99 = med(product, 'p99');
    const lost = product.reduce((s, r) => s + Math.max(0, r.expected - r.received), 0);
    const expected = product.reduce((s, r) => s + r.expected, 0);
    const delivered = (xs: typeof product): number | null => {
      const e = xs.reduce((s, r) => s + r.expected, 0);
      return e > 0 ? (100 * xs.reduce((s, r) => s + Math.min(r.expected, r.received), 0)) / e : null;
    };
    const lossNote =
      productError ??
      ([
        lost > 0 ? `${lost} of ${expected} complaints never reached the subscriber (percentiles are over those delivered)` : '',
        disconnects.length > 0 ? `the product closed the subscriber's connection: ${disconnects.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ') ||
        undefined);
    const rows: Row[] = [
      limitRow({
        scenario: 'B2',
        what: 'p99 rating → complaintRaised at 1,000 ratings/s',
        unit: 'ms',
        product: p99,
        baseline: b99,
        target: '≤ 3 × baseline and < 50 ms',
        check: (v) => b99 !== null && v <= 3 * b99 && v < 50 && lost === 0,
        ...(lossNote !== undefined && { note: lossNote }),
      }),
      limitRow({ scenario: 'B2', what: 'p95', unit: 'ms', product: med(product, 'p95'), baseline: med(baseline, 'p95'), target: 'report', check: null }),
      limitRow({ scenario: 'B2', what: 'p50', unit: 'ms', product: med(product, 'p50'), baseline: med(baseline, 'p50'), target: '< 15 ms', check: (v) => v < 15 }),
      limitRow({
        scenario: 'B2 split',
        what: 'p99 rating → complaintRaised, stream and API in separate processes',
        unit: 'ms',
        product: med(split, 'p99'),
        baseline: b99,
        target: '< 50 ms',
        check: (v) => v < 50,
        ...(splitError !== null && { note: splitError }),
      }),
      limitRow({ scenario: 'B2 split', what: 'p50, separate processes', unit: 'ms', product: med(split, 'p50'), baseline: med(baseline, 'p50'), target: '< 15 ms', check: (v) => v < 15 }),
      limitRow({
        scenario: 'B2',
        what: 'complaints delivered',
        unit: '%',
        product: product.length > 0 ? delivered(product) : null,
        baseline: delivered(baseline),
        target: 'all',
        check: () => lost === 0,
        ratio: null,
      }),
    ];
    // Where it goes: p99 from the rating to each intermediate topic, read_committed (no baseline figure).
    for (const [label, topic] of [
      ['p99 rating → enriched topic', names.TOPIC_RATINGS_ENRICHED],
      ['p99 rating → complaints topic (same transaction as enriched)', names.TOPIC_COMPLAINTS],
    ] as const) {
      const xs = hops.map((h) => h[topic]?.p99).filter((v): v is number => v !== undefined && Number.isFinite(v));
      if (xs.length > 0) rows.push(limitRow({ scenario: 'B2', what: label, unit: 'ms', product: median(xs), baseline: null, target: 'report', check: null }));
    }
    // Segments of the product's path, and the peer's hop to the complaints topic.
    const medP99 = (xs: readonly Percentiles[]): number | null => {
      const v = xs.map((x) => x.p99).filter(Number.isFinite);
      return v.length > 0 ? median(v) : null;
    };
    const atTopic = medP99(hops.map((h) => h[names.TOPIC_COMPLAINTS]).filter((x): x is Percentiles => x !== undefined));
    const leanP99 = medP99(lean);
    const peerP99 = (variant: string): number | null => medP99((peer[variant]?.runs ?? []).map((r) => r.p));
    const ksDefault = peerP99('ks-default');
    const ks10 = peerP99('ks-10ms');
    const peerNote = peerError ?? undefined;
    rows.push(
      limitRow({
        scenario: 'B2 KS',
        what: 'p99 rating → complaints topic (read_committed), product EOS vs Kafka Streams EOS v2, commit 10 ms',
        unit: 'ms',
        product: atTopic,
        baseline: ks10,
        target: '≤ Kafka Streams 10 ms',
        check: (v) => ks10 !== null && v <= ks10,
        ...(peerNote !== undefined && { note: peerNote }),
      }),
      limitRow({
        scenario: 'B2 KS',
        what: 'p99 rating → complaints topic, vs Kafka Streams default commit (100 ms)',
        unit: 'ms',
        product: atTopic,
        baseline: ksDefault,
        target: 'report',
        check: null,
      }),
      limitRow({
        scenario: 'B2 seg',
        what: 'p99 topic → socket per complaint (subscriber time − probe time)',
        unit: 'ms',
        product: medP99(topicToSocket),
        baseline: null,
        target: 'report',
        check: null,
      }),
      limitRow({ scenario: 'B2 seg', what: 'p99 rating → lean subscriber (tail + GraphQL + socket, no index lookup)', unit: 'ms', product: leanP99, baseline: null, target: 'report', check: null }),
      limitRow({
        scenario: 'B2 seg',
        what: 'p99 difference full − lean subscriber (the complaint, its rating and customer: answered from the record since December 2026)',
        unit: 'ms',
        product: p99 !== null && leanP99 !== null ? p99 - leanP99 : null,
        baseline: null,
        target: 'report',
        check: null,
      }),
      limitRow({
        scenario: 'B2 KS',
        what: `peak resident memory, product (stream,api) vs Kafka Streams (JVM heap ${PEER_HEAP_MB} MB fixed)`,
        unit: 'MB',
        product: productRss === null ? null : Math.round(productRss / 1024 / 1024),
        baseline: peer['ks-default']?.peakRss ? Math.round(peer['ks-default'].peakRss / 1024 / 1024) : null,
        target: 'report',
        check: null,
      }),
    );
    return {
      rows,
      details: {
        peer,
        peerError,
        lean,
        topicToSocket,
        productRss,
        rate: RATE,
        complaintShare: COMPLAINT_SHARE,
        durationMs,
        product,
        productHops: hops,
        disconnects,
        baseline,
        productError,
        subscription: SUBSCRIPTION,
      },
      ...(productError !== null && { status: 'partial' as const, reason: productError }),
    };
  },
};
