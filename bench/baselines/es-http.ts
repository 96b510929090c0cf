/**
 * B3 baseline: a bare Node.js HTTP handler issuing the same Elasticsearch
 * requests as the product does for the two B3 queries, with the same client
 * settings and the same request bodies (the adapter's query builders), and
 * answering the same JSON as the GraphQL response. No GraphQL, no schema,
 * no DataLoader, no auth, no limits.
 *
 * POST / with `{"op":"ratings","filter":{...},"first":20}` → one search (size
 * first+1, total hits tracked, NEWEST sort) and one mget of the page's
 * customers; `{"op":"stats","filter":{...},"groupBy":"CLUB_STATUS"}` → one
 * aggregation search.
 */
import { createServer, type Server } from 'node:http';
import type { estypes } from '@elastic/elasticsearch';
import { createElasticsearchClient } from '../../src/adapters/elasticsearch/client.js';
import { RATING_SORTS, ratingFilterQuery, statsAggregation, toEsSort } from '../../src/adapters/elasticsearch/queries.js';
import { encodeCursor } from '../../src/adapters/page-cursor.js';
import type { RatingDimension, RatingFilter } from '../../src/ports/search.js';
import { serve } from '../lib/worker.js';

interface StartParams {
  readonly esUrl: string;
  readonly indices: { readonly ratings: string; readonly customers: string };
}

interface CustomerSource {
  id: number;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  club_status: string | null;
}

interface RatingSource {
  rating_id: number;
  stars: number;
  channel: string;
  message: string;
  rating_time: number;
  customer: CustomerSource;
}

type Body = { op: 'ratings'; filter?: RatingFilter; first?: number } | { op: 'stats'; filter?: RatingFilter; groupBy: RatingDimension };

let server: Server | null = null;

async function start(p: StartParams): Promise<{ port: number }> {
  const client = createElasticsearchClient({ url: p.esUrl });
  const searchOpts = { ignore_unavailable: true, allow_no_indices: true } as const;
  const customerJson = (c: CustomerSource): Record<string, unknown> => ({
    id: String(c.id),
    fullName: [c.first_name, c.last_name].filter(Boolean).join(' '),
    email: c.email,
    clubStatus: c.club_status,
  });

  async function ratings(filter: RatingFilter | undefined, first: number): Promise<unknown> {
    const res = await client.search<RatingSource>({
      ...searchOpts,
      index: p.indices.ratings,
      query: ratingFilterQuery(filter),
      sort: toEsSort(RATING_SORTS.NEWEST),
      size: first + 1,
      track_total_hits: true,
    });
    const hits = res.hits.hits.slice(0, first);
    const ids = [...new Set(hits.map((h) => (h._source as RatingSource).customer.id))];
    const customers = new Map<number, CustomerSource>();
    if (ids.length > 0) {
      const m = await client.mget<CustomerSource>({ index: p.indices.customers, ids: ids.map(String) });
      for (const d of m.docs) if ('found' in d && d.found && d._source) customers.set(d._source.id, d._source);
    }
    const total = typeof res.hits.total === 'number' ? res.hits.total : (res.hits.total?.value ?? 0);
    const edges = hits.map((h) => {
      const r = h._source as RatingSource;
      return {
        cursor: encodeCursor('NEWEST', h.sort ?? []),
        node: {
          id: String(r.rating_id),
          stars: r.stars,
          channel: r.channel,
          message: r.message,
          ratedAt: new Date(r.rating_time).toISOString(),
          customer: customerJson(customers.get(r.customer.id) ?? r.customer),
        },
      };
    });
    return { data: { ratings: { totalCount: total, pageInfo: { hasNextPage: res.hits.hits.length > first, endCursor: edges[edges.length - 1]?.cursor ?? null }, edges } } };
  }

  async function stats(filter: RatingFilter | undefined, groupBy: RatingDimension): Promise<unknown> {
    const res = await client.search({ ...searchOpts, index: p.indices.ratings, size: 0, query: ratingFilterQuery(filter), aggs: statsAggregation(groupBy) });
    const agg = res.aggregations?.groups as estypes.AggregationsStringTermsAggregate | undefined;
    const buckets = (agg?.buckets ?? []) as Array<{ key: string | number; doc_count: number; avg_stars?: { value: number | null } }>;
    return { data: { ratingStats: buckets.map((b) => ({ key: String(b.key), count: b.doc_count, averageStars: b.avg_stars?.value ?? null })) } };
  }

  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Body;
          const result = body.op === 'ratings' ? await ratings(body.filter, body.first ?? 20) : await stats(body.filter, body.groupBy);
          const text = JSON.stringify(result);
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
          res.end(text);
        } catch (e) {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(e instanceof Error ? e.message : String(e));
        }
      })();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((res) => server?.listen(0, '127.0.0.1', () => res()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port };
}

serve({ start: (p) => start(p as StartParams) }, () => new Promise<void>((res) => (server ? server.close(() => res()) : res())));
