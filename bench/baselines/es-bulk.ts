/**
 * B5 baseline: a bare bulk-indexing loop. The same Elasticsearch client (the
 * adapter's factory, so the same settings), the same batch size, the same
 * documents (the sink's mapping of the same enriched records); no Kafka, no
 * parsing in the loop. `inFlight` bulk requests at a time: 1 as the sink does,
 * more for the fair baseline (as fast as the same client goes).
 */
import { createElasticsearchClient } from '../../src/adapters/elasticsearch/client.js';
import { ratingToDoc } from '../../src/adapters/elasticsearch/documents.js';
import { BULK_FILTER_PATH } from '../../src/adapters/elasticsearch/search.js';
import { decodeJson, parseEnrichedRecord } from '../../src/domain/index.js';
import { byId, enrichedValue, makeCustomers, makeRatings } from '../lib/data.js';
import { serve } from '../lib/worker.js';

interface RunParams {
  readonly esUrl: string;
  readonly index: string;
  readonly count: number;
  readonly customers: number;
  readonly seed: number;
  readonly batchSize: number;
  /** Bulk requests in flight at once. @default 1 */
  readonly inFlight?: number;
}

export interface BulkRunResult {
  readonly indexed: number;
  readonly errors: number;
  readonly bulkRequests: number;
  readonly firstAt: number;
  readonly firstCount: number;
  readonly lastAt: number;
  readonly docsPerSecond: number;
  /** CPU this process used per second of the measured window (1 = one core busy). */
  readonly cores: number;
}

async function run(p: RunParams): Promise<BulkRunResult> {
  const customers = makeCustomers(p.customers);
  const byCustomer = byId(customers);
  const docs = makeRatings(p.count, customers, { seed: p.seed }).map((r) => {
    const parsed = parseEnrichedRecord(decodeJson(enrichedValue(r, byCustomer)));
    if (!parsed.ok) throw parsed.error;
    return ratingToDoc(parsed.value);
  });
  const client = createElasticsearchClient({ url: p.esUrl });
  let indexed = 0;
  let errors = 0;
  let bulkRequests = 0;
  let firstAt = 0;
  let firstCount = 0;
  let lastAt = 0;
  let cpuAtFirst: NodeJS.CpuUsage | undefined;
  let cpuMicros = 0;
  let next = 0;
  /** One lane: takes the next batch until none is left. */
  const lane = async (): Promise<void> => {
    while (next < docs.length) {
      const i = next;
      next += p.batchSize;
      const operations: unknown[] = [];
      for (const doc of docs.slice(i, i + p.batchSize)) operations.push({ index: { _index: p.index, _id: String(doc.rating_id) } }, doc);
      // The product's request (filter_path included), so the loop is never slower than the product for a cheaper request.
      const res = await client.bulk({ operations, filter_path: BULK_FILTER_PATH }, { maxRetries: 0 });
      bulkRequests++;
      for (const item of res.items ?? []) {
        const status = Object.values(item)[0]?.status ?? 500;
        if (status >= 200 && status < 300) indexed++;
        else errors++;
      }
      const now = Date.now();
      if (firstAt === 0) {
        firstAt = now;
        firstCount = indexed;
        cpuAtFirst = process.cpuUsage();
      }
      lastAt = now;
      const used = process.cpuUsage(cpuAtFirst);
      cpuMicros = used.user + used.system;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, p.inFlight ?? 1) }, lane));
  } finally {
    await client.close();
  }
  const seconds = (lastAt - firstAt) / 1000;
  return {
    indexed,
    errors,
    bulkRequests,
    firstAt,
    firstCount,
    lastAt,
    docsPerSecond: seconds > 0 ? (p.count - firstCount) / seconds : Number.NaN,
    cores: seconds > 0 ? cpuMicros / 1e6 / seconds : Number.NaN,
  };
}

serve({ run: (p) => run(p as RunParams) });
