/**
 * B3: GraphQL query throughput and latency under autocannon.
 *
 * Elasticsearch holds 20,000 enriched ratings and 1,000 customers (written
 * with the product's adapter, so with its mappings). Two queries:
 * - a filtered `ratings` page of 20 with each rating's customer (one search
 *   and one batched customers mget per request);
 * - `ratingStats` grouped by club status (one aggregation).
 * Product: `node dist/src/main.js` with ROLES=api (open access). Baseline: a
 * bare Node.js HTTP handler issuing the same Elasticsearch requests
 * (bench/baselines/es-http.ts). autocannon runs in its own process: first
 * as fast as answers come (requests/s), then at half that rate (p99).
 */
import { createElasticsearchSearch } from '../../src/adapters/elasticsearch/search.js';
import type { WriteOp } from '../../src/ports/search.js';
import type { RatingFilter } from '../../src/ports/search.js';
import { startWorker, type Worker } from '../lib/child.js';
import { byId, makeCustomers, makeRatings, toCustomer, toRating } from '../lib/data.js';
import { connectBenchKafka } from '../lib/kafka.js';
import { createProductTopics, productNames } from '../lib/names.js';
import { productEnv, startProduct, type Product } from '../lib/product.js';
import { limitRow, ratioRow, type Row, type Scenario } from '../lib/types.js';
import { errorMessage, median } from '../lib/util.js';
import type { LoadResult } from '../workers/autocannon.js';

const RATINGS = 20_000;
const CUSTOMERS = 1_000;
const CONNECTIONS = 16;

const RATINGS_QUERY = `query BenchRatings($filter: RatingFilter) {
  ratings(filter: $filter, first: 20) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id stars channel message ratedAt customer { id fullName email clubStatus } } }
  }
}`;
const STATS_QUERY = `query BenchStats($filter: RatingFilter) {
  ratingStats(filter: $filter, groupBy: CLUB_STATUS) { key count averageStars }
}`;

/** The same filter, as GraphQL variables and as the port's RatingFilter (what the resolvers turn it into). */
const RATINGS_FILTER = { starsMax: 3, channels: ['iOS', 'android', 'web'], clubStatuses: ['platinum', 'gold'] };
const RATINGS_PORT_FILTER: RatingFilter = { starsMax: 3, channels: ['iOS', 'android', 'web'], clubStatuses: ['platinum', 'gold'] };
const STATS_FILTER = { starsMin: 1, channels: ['iOS', 'ios', 'android', 'web'] };
const STATS_PORT_FILTER: RatingFilter = { starsMin: 1, channels: ['iOS', 'ios', 'android', 'web'] };

interface QuerySpec {
  readonly key: 'ratings' | 'stats';
  readonly label: string;
  readonly productBody: string;
  readonly baselineBody: string;
  /** Checks one answer; returns what is wrong, or null. */
  readonly check: (body: unknown) => string | null;
}

const QUERIES: readonly QuerySpec[] = [
  {
    key: 'ratings',
    label: 'filtered `ratings` page of 20 with customers',
    productBody: JSON.stringify({ query: RATINGS_QUERY, variables: { filter: RATINGS_FILTER } }),
    baselineBody: JSON.stringify({ op: 'ratings', filter: RATINGS_PORT_FILTER, first: 20 }),
    check: (b) => {
      const r = (b as { data?: { ratings?: { edges?: { node?: { customer?: { fullName?: string } } }[] } }; errors?: unknown[] }) ?? {};
      if (r.errors) return `errors: ${JSON.stringify(r.errors).slice(0, 300)}`;
      const edges = r.data?.ratings?.edges ?? [];
      if (edges.length !== 20) return `expected 20 edges, got ${edges.length}`;
      if (!edges.every((e) => typeof e.node?.customer?.fullName === 'string')) return 'a rating came without its customer';
      return null;
    },
  },
  {
    key: 'stats',
    label: '`ratingStats` by club status',
    productBody: JSON.stringify({ query: STATS_QUERY, variables: { filter: STATS_FILTER } }),
    baselineBody: JSON.stringify({ op: 'stats', filter: STATS_PORT_FILTER, groupBy: 'CLUB_STATUS' }),
    check: (b) => {
      const r = (b as { data?: { ratingStats?: unknown[] }; errors?: unknown[] }) ?? {};
      if (r.errors) return `errors: ${JSON.stringify(r.errors).slice(0, 300)}`;
      return (r.data?.ratingStats?.length ?? 0) >= 4 ? null : `expected 4 club statuses, got ${JSON.stringify(r.data).slice(0, 200)}`;
    },
  },
];

interface SideRuns {
  max: LoadResult[];
  half: LoadResult[];
}

export const b3: Scenario = {
  id: 'B3',
  title: 'GraphQL query throughput and latency (autocannon)',
  async run(ctx) {
    const durationS = ctx.quick ? 2 : 4;
    const base = `bench-b3-${ctx.stamp}`;
    const names = productNames(base);
    const indices = { ratings: names.INDEX_RATINGS, complaints: names.INDEX_COMPLAINTS, customers: names.INDEX_CUSTOMERS };
    const es = createElasticsearchSearch({ url: ctx.esUrl, indices });
    let product: Product | null = null;
    let baselineServer: Worker | null = null;
    let cannon: Worker | null = null;
    const runs: Record<string, { product: SideRuns; baseline: SideRuns }> = {};
    let productError: string | null = ctx.productMissing === null ? null : `not run: ${ctx.productMissing}`;
    try {
      ctx.log(`B3: indexing ${RATINGS} ratings and ${CUSTOMERS} customers`);
      await es.ensureIndices();
      const customers = makeCustomers(CUSTOMERS);
      const byCustomer = byId(customers);
      const ops: WriteOp[] = [
        ...customers.map((c): WriteOp => ({ kind: 'upsertCustomer', customer: toCustomer(c) })),
        ...makeRatings(RATINGS, customers, { seed: 3, startTime: Date.now() - RATINGS * 1_000 }).map((r): WriteOp => ({
          kind: 'upsertRating',
          rating: { ...toRating(r), customer: toCustomer(byCustomer.get(r.user_id) ?? customers[0]!) },
        })),
      ];
      for (let i = 0; i < ops.length; i += 2_000) {
        const results = await es.write(ops.slice(i, i + 2_000));
        const bad = results.find((r) => !r.ok);
        if (bad && !bad.ok) throw new Error(`indexing the B3 data failed: ${bad.reason}`);
      }
      await es.refresh();

      baselineServer = await startWorker('baselines/es-http.ts', 'b3-baseline');
      const { port } = await baselineServer.call<{ port: number }>('start', { esUrl: ctx.esUrl, indices });
      const baselineUrl = `http://127.0.0.1:${port}/`;
      cannon = await startWorker('workers/autocannon.ts', 'b3-autocannon');

      if (productError === null) {
        try {
          const kafka = await connectBenchKafka(ctx.brokers);
          await createProductTopics(kafka, names).finally(() => kafka.close());
          product = await startProduct({
            name: 'b3-api',
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
        } catch (e) {
          productError = `failed: ${errorMessage(e)}`;
          ctx.log(`B3: the product did not start, measuring the baseline only: ${errorMessage(e)}`);
        }
      }
      const productUrl = product ? `${product.url}/graphql` : null;

      for (const q of QUERIES) {
        const checkOnce = async (url: string, body: string, side: string): Promise<void> => {
          const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
          const text = await res.text();
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = null;
          }
          const wrong = res.status !== 200 ? `HTTP ${res.status}: ${text.slice(0, 300)}` : q.check(parsed);
          if (wrong) throw new Error(`B3 ${q.key}: the ${side} answered wrongly: ${wrong}`);
        };
        await checkOnce(baselineUrl, q.baselineBody, 'baseline');
        if (productUrl && productError === null) {
          try {
            await checkOnce(productUrl, q.productBody, 'product');
          } catch (e) {
            productError = `failed: ${errorMessage(e)}`;
          }
        }
        const sides: { name: 'product' | 'baseline'; url: string; body: string }[] = [
          { name: 'baseline', url: baselineUrl, body: q.baselineBody },
          ...(productUrl && productError === null ? [{ name: 'product' as const, url: productUrl, body: q.productBody }] : []),
        ];
        const load = (url: string, body: string, seconds: number, rate?: number): Promise<LoadResult> =>
          (cannon as Worker).call<LoadResult>(
            'run',
            { url, body, connections: CONNECTIONS, durationS: seconds, ...(rate !== undefined && { overallRate: Math.max(1, Math.round(rate)) }) },
            (seconds + 30) * 1_000,
          );
        ctx.log(`B3 ${q.key}: warm-up`);
        for (const s of sides) await load(s.url, s.body, ctx.quick ? 1 : 3);
        const r = { product: { max: [], half: [] } as SideRuns, baseline: { max: [], half: [] } as SideRuns };
        runs[q.key] = r;
        for (let i = 1; i <= ctx.runs; i++) {
          const parts: string[] = [];
          for (const s of sides) {
            const max = await load(s.url, s.body, durationS);
            const half = await load(s.url, s.body, durationS, max.requestsPerSecond / 2);
            r[s.name].max.push(max);
            r[s.name].half.push(half);
            parts.push(`${s.name} ${Math.round(max.requestsPerSecond)} req/s (p99 ${half.p99} ms at half${max.non2xx + max.errors > 0 ? `, ${max.non2xx} non-2xx, ${max.errors} errors` : ''})`);
          }
          ctx.log(`B3 ${q.key} run ${i}/${ctx.runs}: ${parts.join('; ')}`);
        }
      }
    } finally {
      await product?.stop();
      await Promise.allSettled([baselineServer?.stop(), cannon?.stop()]);
      await es.deleteIndices().catch(() => undefined);
      await es.close();
    }

    const rows: Row[] = [];
    for (const q of QUERIES) {
      const r = runs[q.key];
      if (!r) continue;
      const p = r.product.max.length > 0 ? median(r.product.max.map((x) => x.requestsPerSecond)) : null;
      const b = median(r.baseline.max.map((x) => x.requestsPerSecond));
      const failures = [...r.product.max, ...r.product.half].reduce((s, x) => s + x.non2xx + x.errors, 0);
      const note = productError ?? (failures > 0 ? `${failures} product requests failed (non-2xx or errors)` : undefined);
      rows.push(ratioRow({ scenario: 'B3', what: `${q.label}: requests/s`, unit: 'req/s', product: p, baseline: b, min: 0.6, ...(note !== undefined && { note }) }));
      rows.push(
        limitRow({
          scenario: 'B3',
          what: `${q.label}: p99 at half the maximum rate`,
          unit: 'ms',
          product: r.product.half.length > 0 ? median(r.product.half.map((x) => x.p99)) : null,
          baseline: median(r.baseline.half.map((x) => x.p99)),
          target: 'report',
          check: null,
          ...(productError !== null && { note: productError }),
        }),
      );
    }
    return {
      rows,
      details: { ratings: RATINGS, customers: CUSTOMERS, connections: CONNECTIONS, durationS, queries: { ratings: RATINGS_QUERY, stats: STATS_QUERY }, runs, productError },
      ...(productError !== null && { status: 'partial' as const, reason: productError }),
    };
  },
};
