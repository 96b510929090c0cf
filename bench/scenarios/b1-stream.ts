/**
 * B1: stream layer throughput, ratings in → enriched ratings + complaints out.
 *
 * The input topic (3 partitions) is pre-filled with N ratings of 1,000 known
 * customers (about 1 in 10 a complaint); the customers are in the CDC topic
 * and, already rekeyed, in the table topic, so the join never waits.
 * Product: `node dist/src/main.js` with ROLES=stream, exactly-once on and
 * off, fresh output topics and consumer groups per run. Baseline: a bare
 * kafkajs consume → produce loop over the same topic (bench/baselines/stream-loop.ts).
 * Both are timed by the offsets their group commits on the input topic
 * (bench/lib/progress.ts); runs alternate baseline, product on, product off.
 */
import { startWorker, type Worker } from '../lib/child.js';
import { byId, cdcMessage, isComplaint, makeCustomers, makeRatings, rekeyMessage } from '../lib/data.js';
import { connectBenchKafka, type BenchKafka } from '../lib/kafka.js';
import { productEnv, startProduct } from '../lib/product.js';
import { newGroupOn, watchGroup, type GroupProgress } from '../lib/progress.js';
import { limitRow, ratioRow, type BenchContext, type Row, type Scenario } from '../lib/types.js';
import { errorMessage, median } from '../lib/util.js';

const CUSTOMERS = 1_000;
const SEED = 1;
const PARTITIONS = 3;

interface RunResult extends GroupProgress {
  readonly outputs?: { readonly enriched: number; readonly complaints: number };
}

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
    let loop: Worker | null = null;
    const product: { on: RunResult[]; off: RunResult[] } = { on: [], off: [] };
    const baseline: RunResult[] = [];
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
      const asMessages = (rs: typeof ratings): { key: string; value: string; timestamp: number }[] =>
        rs.map((r) => ({ key: String(r.rating_id), value: JSON.stringify(r), timestamp: r.rating_time }));
      await kafka.fill(topics.input, asMessages(ratings));
      await kafka.fill(topics.warm, asMessages(makeRatings(warmN, customers, { seed: SEED + 1, firstId: n + 1 })));

      loop = await startWorker('baselines/stream-loop.ts', 'b1-loop');
      const runBaseline = async (name: string, input: string, expected: number): Promise<RunResult> => {
        const groupId = `${base}-${name}`;
        const out = { outEnriched: `${groupId}-enriched`, outComplaints: `${groupId}-complaints` };
        await kafka.createTopics([
          { name: out.outEnriched, partitions: PARTITIONS },
          { name: out.outComplaints, partitions: PARTITIONS },
        ]);
        await (loop as Worker).call('start', { brokers: ctx.brokers, input, ...out, groupId, customers: customers.map((c) => [c.id, c.club_status]) });
        try {
          const progress = await watchGroup({ kafka, topic: input, expected, findGroup: () => Promise.resolve(groupId), timeoutMs: 300_000 });
          return { ...progress, outputs: { enriched: await kafka.endOffsets(out.outEnriched), complaints: await kafka.endOffsets(out.outComplaints) } };
        } finally {
          await (loop as Worker).call('stopLoop');
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
        ctx.log(line);
      }
    } finally {
      await loop?.stop();
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
      ratioRow({ scenario: 'B1', what: `ratings/s, exactly-once on (${n.toLocaleString('en-US')} ratings, 3 partitions)`, unit: '/s', product: on, baseline: b, min: 0.5, ...(note !== undefined && { note }) }),
      limitRow({ scenario: 'B1', what: 'ratings/s, exactly-once off', unit: '/s', product: off, baseline: b, target: 'report', check: null, ...(productError !== null && { note: productError }) }),
    ];
    return {
      rows,
      details: { ratings: n, complaints, customers: CUSTOMERS, partitions: PARTITIONS, baseline, productExactlyOnce: product.on, productAtLeastOnce: product.off, productError, retries },
      ...(productError !== null && { status: 'partial' as const, reason: productError }),
    };
  },
};

async function productRun(
  ctx: BenchContext,
  kafka: BenchKafka,
  o: { base: string; name: string; input: string; expected: number; exactlyOnce: boolean; topics: { cdc: string; rekeyed: string; acks: string } },
): Promise<RunResult> {
  const prefix = `${o.base}-${o.name}`;
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
  try {
    const progress = await watchGroup({
      kafka,
      topic: o.input,
      expected: o.expected,
      findGroup: newGroupOn(kafka, o.input, prefix, before),
      timeoutMs: 300_000,
      // The join writes complaints in the same transaction as the enriched ratings: its group is the whole work.
      died: () => {
        const exited = product.process.exited();
        return exited === null ? null : `the product exited (${exited}):\n${product.logTail(10)}`;
      },
    });
    if (progress.firstAt === 0) throw new Error(`the product committed nothing on ${o.input} within 5 minutes:\n${product.logTail(10)}`);
    const outputs = { enriched: await kafka.endOffsets(out.enriched).catch(() => -1), complaints: await kafka.endOffsets(out.complaints).catch(() => -1) };
    return { ...progress, outputs };
  } finally {
    await product.stop();
  }
}
