/**
 * B1: stream layer throughput, ratings in → enriched ratings + complaints out.
 *
 * The input topic (3 partitions) is pre-filled with N ratings of 1,000 known
 * customers (about 1 in 10 a complaint); the customers are in the CDC topic
 * and, already rekeyed, in the table topic, so the join never waits.
 * Product: `node dist/src/main.js` with ROLES=stream, exactly-once on and
 * off, fresh output topics and consumer groups per run. Baseline: a bare
 * kafkajs consume → produce loop over the same topic (bench/baselines/stream-loop.ts),
 * in a new process every run as the product is: a loop process kept across
 * runs warmed up run after run (47,000 → 74,000 → 90,000/s in one bench run)
 * while each product run started cold.
 * Both are timed by the offsets their group commits on the input topic
 * (bench/lib/progress.ts); runs alternate baseline, product on, product off.
 *
 * The peer: the same topology on Kafka Streams with exactly_once_v2
 * (bench/kafka-streams), commit.interval.ms at its default (100 ms under
 * exactly-once, what ksqlDB users get) and at 10 ms, timed the same way.
 * Product (exactly-once) and peer run twice more per run: pre-filled (as
 * above) and in steady state (started on an empty topic, caught up on one
 * sentinel rating, then the same ratings produced by the bench as fast as its
 * producer goes, 4 sends in flight: throughput from the first rating produced
 * to the commit that completes the input). Each side's
 * peak resident memory (VmRSS, sampled every 250 ms) is reported.
 */
import { startWorker, type Worker } from '../lib/child.js';
import { byId, cdcMessage, isComplaint, makeCustomers, makeRatings, rekeyMessage } from '../lib/data.js';
import { connectBenchKafka, type BenchKafka } from '../lib/kafka.js';
import { PEER_HEAP_MB, sampleMax, startPeer } from '../lib/kafka-streams.js';
import { productEnv, startProduct } from '../lib/product.js';
import { newGroupOn, watchGroup, type GroupProgress } from '../lib/progress.js';
import { limitRow, ratioRow, type BenchContext, type Row, type Scenario } from '../lib/types.js';
import { errorMessage, median, rssOf } from '../lib/util.js';

const CUSTOMERS = 1_000;
const SEED = 1;
const PARTITIONS = 3;

interface RunResult extends GroupProgress {
  readonly outputs?: { readonly enriched: number; readonly complaints: number };
  /** Peak VmRSS of the process under test, bytes. */
  readonly peakRss?: number | null;
  /** Steady state: how fast the bench produced the input (ratings/s), the ceiling of that figure. */
  readonly producedPerSecond?: number;
}

/** Kafka Streams commit.interval.ms variants: its default under exactly-once (100 ms) and latency-tuned. */
const PEER_COMMITS = [
  ['ks-default', 'default'],
  ['ks-10ms', 10],
] as const;
type PeerVariant = (typeof PEER_COMMITS)[number][0];
type Mode = 'prefilled' | 'steady';

export const b1: Scenario = {
  id: 'B1',
  title: 'stream layer throughput: ratings in → enriched + complaints out',
  async run(ctx) {
    const n = ctx.quick ? 20_000 : 100_000;
    const warmN = ctx.quick ? 5_000 : 10_000;
    const base = `bench-b1-${ctx.stamp}`;
    const topics = {
      input: `${base}-ratings`,
      warm: `${base}-warm-ratings`,
      cdc: `${base}-customers-cdc`,
      rekeyed: `${base}-customers-rekeyed`,
      acks: `${base}-acks`,
    };
    const customers = makeCustomers(CUSTOMERS);
    const byCustomer = byId(customers);
    const ratings = makeRatings(n, customers, { seed: SEED });
    const complaints = ratings.filter((r) => isComplaint(r, byCustomer)).length;
    const kafka = await connectBenchKafka(ctx.brokers);

    const product: { on: RunResult[]; off: RunResult[] } = { on: [], off: [] };
    const baseline: RunResult[] = [];
    /** Peer runs by variant and mode; product exactly-once in steady state. */
    const peer: Record<Mode, Record<PeerVariant, RunResult[]>> = { prefilled: { 'ks-default': [], 'ks-10ms': [] }, steady: { 'ks-default': [], 'ks-10ms': [] } };
    const productSteady: RunResult[] = [];
    let peerError: string | null = ctx.peerMissing === null ? null : `not run: ${ctx.peerMissing}`;
    const asMessages = (rs: typeof ratings): { key: string; value: string; timestamp: number }[] => rs.map((r) => ({ key: String(r.rating_id), value: JSON.stringify(r), timestamp: r.rating_time }));
    /** Product runs that failed once and were repeated. */
    const retries: string[] = [];
    let productError: string | null = ctx.productMissing === null ? null : `not run: ${ctx.productMissing}`;
    try {
      ctx.log(`B1: pre-filling ${n} + ${warmN} ratings, ${CUSTOMERS} customers`);
      await kafka.createTopics([
        { name: topics.input, partitions: PARTITIONS },
        { name: topics.warm, partitions: PARTITIONS },
        { name: topics.cdc, partitions: PARTITIONS },
        { name: topics.rekeyed, partitions: PARTITIONS, compacted: true },
        { name: topics.acks, partitions: PARTITIONS },
      ]);
      await kafka.fill(topics.cdc, customers.map(cdcMessage));
      await kafka.fill(topics.rekeyed, customers.map(rekeyMessage));
      await kafka.fill(topics.input, asMessages(ratings));
      await kafka.fill(topics.warm, asMessages(makeRatings(warmN, customers, { seed: SEED + 1, firstId: n + 1 })));

      const runBaseline = async (name: string, input: string, expected: number): Promise<RunResult> => {
        const loop: Worker = await startWorker('baselines/stream-loop.ts', `b1-loop-${name}`);
        const groupId = `${base}-${name}`;
        const out = { outEnriched: `${groupId}-enriched`, outComplaints: `${groupId}-complaints` };
        await kafka.createTopics([
          { name: out.outEnriched, partitions: PARTITIONS },
          { name: out.outComplaints, partitions: PARTITIONS },
        ]);
        await loop.call('start', { brokers: ctx.brokers, input, ...out, groupId, customers: customers.map((c) => [c.id, c.club_status]) });
        try {
          const progress = await watchGroup({ kafka, topic: input, expected, findGroup: () => Promise.resolve(groupId), timeoutMs: 300_000 });
          return { ...progress, outputs: { enriched: await kafka.endOffsets(out.outEnriched), complaints: await kafka.endOffsets(out.outComplaints) } };
        } finally {
          await loop.call('stopLoop').catch(() => undefined);
          await loop.stop();
        }
      };
      /** One product run; a run that fails is tried once more (fresh process, topics and groups) before giving up. */
      const runProduct = async (name: string, input: string, expected: number, exactlyOnce: boolean): Promise<RunResult> => {
        try {
          return await productRun(ctx, kafka, { base, name, input, expected, exactlyOnce, topics });
        } catch (e) {
          retries.push(`${name}: ${errorMessage(e).split('\n')[0] ?? ''}`);
          ctx.log(`B1: product run ${name} failed (${errorMessage(e).split('\n')[0] ?? ''}); trying it once more`);
          return productRun(ctx, kafka, { base, name: `${name}-again`, input, expected, exactlyOnce, topics });
        }
      };

      ctx.log('B1: warm-up');
      await runBaseline('warm-base', topics.warm, warmN);
      if (productError === null) {
        try {
          await runProduct('warm-on', topics.warm, warmN, true);
        } catch (e) {
          productError = `failed: ${errorMessage(e)}`;
          ctx.log(`B1: the product failed in the warm-up, measuring the baseline only: ${errorMessage(e)}`);
        }
      }
      const steadyMessages = asMessages(ratings);
      const sentinel = asMessages(makeRatings(1, customers, { seed: SEED + 2, firstId: 10 * n + 1 }));
      const runPeer = async (name: string, variant: PeerVariant, mode: Mode, input: string, expected: number): Promise<RunResult> =>
        peerRun(ctx, kafka, { base, name, variant, mode, input, expected, topics, steady: mode === 'steady' ? { sentinel, messages: steadyMessages } : null });
      if (peerError === null) {
        try {
          await runPeer('ks-warm', 'ks-default', 'prefilled', topics.warm, warmN);
        } catch (e) {
          peerError = `failed: ${errorMessage(e)}`;
          ctx.log(`B1: the Kafka Streams peer failed in the warm-up: ${errorMessage(e)}`);
        }
      }
      for (let i = 1; i <= ctx.runs; i++) {
        const b = await runBaseline(`base-${i}`, topics.input, n);
        baseline.push(b);
        let line = `B1 run ${i}/${ctx.runs}: baseline ${Math.round(b.perSecond)}/s`;
        if (productError === null) {
          try {
            const on = await runProduct(`on-${i}`, topics.input, n, true);
            product.on.push(on);
            const off = await runProduct(`off-${i}`, topics.input, n, false);
            product.off.push(off);
            line += `, product exactly-once on ${Math.round(on.perSecond)}/s, off ${Math.round(off.perSecond)}/s`;
          } catch (e) {
            productError = `failed: ${errorMessage(e)}`;
            line += `, product failed: ${errorMessage(e).split('\n')[0] ?? ''}`;
          }
        }
        if (peerError === null) {
          try {
            for (const [variant] of PEER_COMMITS) {
              const r = await runPeer(`${variant}-${i}`, variant, 'prefilled', topics.input, n);
              peer.prefilled[variant].push(r);
              line += `, ${variant} ${Math.round(r.perSecond)}/s`;
            }
          } catch (e) {
            peerError = `failed: ${errorMessage(e)}`;
            line += `, Kafka Streams failed: ${errorMessage(e).split('\n')[0] ?? ''}`;
          }
        }
        ctx.log(line);
        // Steady state: each side running and caught up before the ratings arrive.
        let steady = `B1 steady ${i}/${ctx.runs}:`;
        if (productError === null) {
          try {
            const r = await productRun(ctx, kafka, {
              base,
              name: `steady-on-${i}`,
              input: `${base}-steady-on-${i}-ratings`,
              expected: n + 1,
              exactlyOnce: true,
              topics,
              steady: { sentinel, messages: steadyMessages },
            });
            productSteady.push(r);
            steady += ` product ${Math.round(r.perSecond)}/s (produced at ${Math.round(r.producedPerSecond ?? 0)}/s)`;
          } catch (e) {
            steady += ` product failed: ${errorMessage(e).split('\n')[0] ?? ''}`;
          }
        }
        if (peerError === null) {
          for (const [variant] of PEER_COMMITS) {
            try {
              const r = await runPeer(`steady-${variant}-${i}`, variant, 'steady', `${base}-steady-${variant}-${i}-ratings`, n + 1);
              peer.steady[variant].push(r);
              steady += `, ${variant} ${Math.round(r.perSecond)}/s (produced at ${Math.round(r.producedPerSecond ?? 0)}/s)`;
            } catch (e) {
              steady += `, ${variant} failed: ${errorMessage(e).split('\n')[0] ?? ''}`;
            }
          }
        }
        ctx.log(steady);
      }
    } finally {
      await kafka.close();
    }

    const b = median(baseline.map((r) => r.perSecond));
    const on = product.on.length > 0 ? median(product.on.map((r) => r.perSecond)) : null;
    const off = product.off.length > 0 ? median(product.off.map((r) => r.perSecond)) : null;
    const incomplete = [...product.on, ...product.off].some((r) => !r.complete);
    const note =
      productError ??
      ([incomplete ? 'a product run did not consume every rating within 5 minutes; its partial rate counts' : '', retries.length > 0 ? `repeated after a failure: ${retries.join('; ')}` : '']
        .filter(Boolean)
        .join('; ') ||
        undefined);
    const rows: Row[] = [
      ratioRow({
        scenario: 'B1',
        what: `ratings/s, exactly-once on (${n.toLocaleString('en-US')} ratings, 3 partitions)`,
        unit: '/s',
        product: on,
        baseline: b,
        // Issue 16: at least 0.6 of the bare loop.
        min: 0.6,
        ...(note !== undefined && { note }),
      }),
      limitRow({ scenario: 'B1', what: 'ratings/s, exactly-once off', unit: '/s', product: off, baseline: b, target: 'report', check: null, ...(productError !== null && { note: productError }) }),
    ];
    const rate = (xs: readonly RunResult[]): number | null => (xs.length > 0 ? median(xs.map((r) => r.perSecond)) : null);
    const mb = (xs: readonly RunResult[]): number | null => {
      const v = xs.map((r) => r.peakRss ?? Number.NaN).filter(Number.isFinite);
      return v.length > 0 ? Math.round(median(v) / 1024 / 1024) : null;
    };
    const steadyOn = rate(productSteady);
    const peerNote = peerError ?? undefined;
    for (const [variant, commit] of [
      ['ks-default', 'default commit (100 ms)'],
      ['ks-10ms', 'commit 10 ms'],
    ] as const) {
      const pre = rate(peer.prefilled[variant]);
      const st = rate(peer.steady[variant]);
      const isDefault = variant === 'ks-default';
      rows.push(
        isDefault
          ? ratioRow({
              scenario: 'B1 KS',
              what: `ratings/s pre-filled, product EOS vs Kafka Streams EOS v2, ${commit}`,
              unit: '/s',
              product: on,
              baseline: pre,
              min: 0.8,
              ...(peerNote !== undefined && { note: peerNote }),
            })
          : limitRow({ scenario: 'B1 KS', what: `ratings/s pre-filled, vs Kafka Streams ${commit}`, unit: '/s', product: on, baseline: pre, target: 'report', check: null }),
        isDefault
          ? ratioRow({
              scenario: 'B1 KS',
              what: `ratings/s steady state, product EOS vs Kafka Streams EOS v2, ${commit}`,
              unit: '/s',
              product: steadyOn,
              baseline: st,
              min: 0.8,
              ...(peerNote !== undefined && { note: peerNote }),
            })
          : limitRow({ scenario: 'B1 KS', what: `ratings/s steady state, vs Kafka Streams ${commit}`, unit: '/s', product: steadyOn, baseline: st, target: 'report', check: null }),
      );
    }
    const produced = [...productSteady, ...peer.steady['ks-default']].map((r) => r.producedPerSecond ?? Number.NaN).filter(Number.isFinite);
    if (produced.length > 0) {
      rows.push(
        limitRow({
          scenario: 'B1 KS',
          what: 'steady state: bench producer rate (the ceiling of the steady figures)',
          unit: '/s',
          product: median(produced),
          baseline: null,
          target: 'report',
          check: null,
        }),
      );
    }
    rows.push(
      limitRow({
        scenario: 'B1 KS',
        what: `peak resident memory, product EOS vs Kafka Streams (JVM heap ${PEER_HEAP_MB} MB fixed)`,
        unit: 'MB',
        product: mb([...product.on, ...productSteady]),
        baseline: mb([...peer.prefilled['ks-default'], ...peer.steady['ks-default']]),
        target: 'report',
        check: null,
      }),
    );
    return {
      rows,
      details: {
        ratings: n,
        complaints,
        customers: CUSTOMERS,
        partitions: PARTITIONS,
        baseline,
        productExactlyOnce: product.on,
        productAtLeastOnce: product.off,
        productSteady,
        peer,
        peerError,
        peerHeapMb: PEER_HEAP_MB,
        productError,
        retries,
      },
      ...(productError !== null && { status: 'partial' as const, reason: productError }),
    };
  },
};

async function productRun(
  ctx: BenchContext,
  kafka: BenchKafka,
  o: {
    base: string;
    name: string;
    input: string;
    expected: number;
    exactlyOnce: boolean;
    topics: { cdc: string; rekeyed: string; acks: string };
    /** Steady state: `input` is created empty, the sentinel sent and awaited, then `messages` produced. */
    steady?: Steady | null;
  },
): Promise<RunResult> {
  const prefix = `${o.base}-${o.name}`;
  if (o.steady) await kafka.createTopics([{ name: o.input, partitions: PARTITIONS }]);
  const before = new Set(await kafka.listGroups());
  const out = { enriched: `${prefix}-enriched`, complaints: `${prefix}-complaints` };
  const product = await startProduct({
    name: `b1-${o.name}`,
    logDir: ctx.logDir,
    cpuProfile: ctx.profile,
    env: productEnv(
      { brokers: ctx.brokers.join(','), esUrl: ctx.esUrl },
      {
        ROLES: 'stream',
        EXACTLY_ONCE: o.exactlyOnce ? 'on' : 'off',
        KAFKA_GROUP_PREFIX: prefix,
        TOPIC_RATINGS: o.input,
        TOPIC_CUSTOMERS_CDC: o.topics.cdc,
        TOPIC_CUSTOMERS_REKEYED: o.topics.rekeyed,
        TOPIC_RATINGS_ENRICHED: out.enriched,
        TOPIC_COMPLAINTS: out.complaints,
        TOPIC_DEAD_LETTERS: `${prefix}-dead-letters`,
        TOPIC_ACKNOWLEDGEMENTS: o.topics.acks,
        INDEX_RATINGS: `${prefix}-ratings`,
        INDEX_COMPLAINTS: `${prefix}-complaints`,
        INDEX_CUSTOMERS: `${prefix}-customers`,
      },
    ),
  });
  const memory = sampleMax(() => rssOf(product.pid));
  try {
    const died = (): string | null => {
      const exited = product.process.exited();
      return exited === null ? null : `the product exited (${exited}):\n${product.logTail(10)}`;
    };
    const findGroup = newGroupOn(kafka, o.input, prefix, before);
    const produced = o.steady ? await produceSteady(kafka, o.input, o.steady, findGroup, died) : undefined;
    const progress = await watchGroup({
      kafka,
      topic: o.input,
      expected: o.expected,
      findGroup,
      timeoutMs: 300_000,
      // The join writes complaints in the same transaction as the enriched ratings: its group is the whole work.
      died,
    });
    if (progress.firstAt === 0) throw new Error(`the product committed nothing on ${o.input} within 5 minutes:\n${product.logTail(10)}`);
    const outputs = { enriched: await kafka.endOffsets(out.enriched).catch(() => -1), complaints: await kafka.endOffsets(out.complaints).catch(() => -1) };
    return { ...progress, outputs, peakRss: memory.max(), ...(produced !== undefined && (await steadyResult(progress, produced))) };
  } finally {
    memory.stop();
    await product.stop();
  }
}

interface Steady {
  readonly sentinel: readonly { key: string; value: string; timestamp: number }[];
  readonly messages: readonly { key: string; value: string; timestamp: number }[];
}

/**
 * Steady state: sends the sentinel rating and waits until a group commits it
 * (the processor runs and is caught up), then starts producing the ratings
 * in the background; resolves at once with a promise of the producer's rate.
 */
async function produceSteady(kafka: BenchKafka, input: string, s: Steady, findGroup: () => Promise<string | null>, died: () => string | null): Promise<{ startedAt: number; rate: Promise<number> }> {
  // A topic created a moment ago may take a while to be served on a loaded broker.
  for (let attempt = 1; ; attempt++) {
    try {
      await kafka.fill(input, s.sentinel);
      break;
    } catch (e) {
      if (attempt >= 6) throw e;
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
  const deadline = Date.now() + 180_000;
  for (;;) {
    const dead = died();
    if (dead) throw new Error(dead);
    if ((await findGroup()) !== null) break;
    if (Date.now() > deadline) throw new Error(`nothing committed the sentinel rating on ${input} within 3 minutes`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const t = Date.now();
  return { startedAt: t, rate: fillFast(kafka, input, s.messages).then(() => (s.messages.length * 1000) / Math.max(1, Date.now() - t)) };
}

/** Produces `messages` in chunks of 2,000 with 4 sends in flight (acks=all), so the bench's producer is rarely the ceiling. */
async function fillFast(kafka: BenchKafka, topic: string, messages: Steady['messages']): Promise<void> {
  const producer = await kafka.producer();
  const CHUNK = 2_000;
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < messages.length) {
      const chunk = messages.slice(next, next + CHUNK).map((m) => ({ key: m.key, value: m.value, timestamp: String(m.timestamp) }));
      next += CHUNK;
      await producer.send({ topic, acks: -1, messages: chunk });
    }
  };
  await Promise.all([lane(), lane(), lane(), lane()]);
}

/** Steady state counts from the moment the bench starts producing to the commit that completes the input. */
async function steadyResult(progress: GroupProgress, produced: { startedAt: number; rate: Promise<number> }): Promise<Pick<RunResult, 'perSecond' | 'producedPerSecond'>> {
  const seconds = (progress.lastAt - produced.startedAt) / 1000;
  return { perSecond: seconds > 0 ? (progress.lastCount - 1) / seconds : Number.NaN, producedPerSecond: await produced.rate };
}

async function peerRun(
  ctx: BenchContext,
  kafka: BenchKafka,
  o: {
    base: string;
    name: string;
    variant: PeerVariant;
    mode: Mode;
    input: string;
    expected: number;
    topics: { cdc: string; rekeyed: string };
    steady: Steady | null;
  },
): Promise<RunResult> {
  const applicationId = `${o.base}-${o.name}`;
  const out = { enriched: `${applicationId}-enriched`, complaints: `${applicationId}-complaints` };
  await kafka.createTopics([{ name: out.enriched, partitions: PARTITIONS }, { name: out.complaints, partitions: PARTITIONS }, ...(o.steady ? [{ name: o.input, partitions: PARTITIONS }] : [])]);
  const commit = PEER_COMMITS.find(([v]) => v === o.variant)?.[1] ?? 'default';
  const peer = startPeer({
    name: `b1-${o.name}`,
    logDir: ctx.logDir,
    brokers: ctx.brokers,
    applicationId,
    topics: { ratings: o.input, cdc: o.topics.cdc, rekeyed: o.topics.rekeyed, ...out },
    commitIntervalMs: commit,
  });
  const memory = sampleMax(() => peer.rss());
  try {
    const died = (): string | null => {
      const exited = peer.process.exited();
      return exited === null ? null : `Kafka Streams exited (${exited}):\n${peer.logTail(10)}`;
    };
    const findGroup = async (): Promise<string | null> => ((await kafka.committed(applicationId, o.input).catch(() => 0)) > 0 ? applicationId : null);
    const produced = o.steady ? await produceSteady(kafka, o.input, o.steady, findGroup, died) : undefined;
    const progress = await watchGroup({ kafka, topic: o.input, expected: o.expected, findGroup, timeoutMs: 300_000, died });
    if (progress.firstAt === 0) throw new Error(`Kafka Streams committed nothing on ${o.input} within 5 minutes:\n${peer.logTail(10)}`);
    const outputs = { enriched: await kafka.endOffsets(out.enriched).catch(() => -1), complaints: await kafka.endOffsets(out.complaints).catch(() => -1) };
    return { ...progress, outputs, peakRss: memory.max(), ...(produced !== undefined && (await steadyResult(progress, produced))) };
  } finally {
    memory.stop();
    await peer.stop();
  }
}
