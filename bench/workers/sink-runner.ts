/**
 * B5 product side: the product's own sink (src/sink/sink.ts) with its
 * Kafka event log and Elasticsearch adapter, wired as the composition root
 * wires them from src/config.ts, in this child process. The writer is
 * wrapped only to timestamp each bulk request as it completes.
 *
 * run({ env, groupId, expected }) → bulk completion timeline; the rate is
 * counted from the first completed bulk request to the one that completes
 * `expected` documents, so consumer start-up is not part of it.
 */
import { loadConfig } from '../../src/config.js';
import { createElasticsearchSearch } from '../../src/adapters/elasticsearch/search.js';
import { createKafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import { silentLogger } from '../../src/logger.js';
import type { SearchWriter } from '../../src/ports/search.js';
import { createSink } from '../../src/sink/sink.js';
import { serve } from '../lib/worker.js';

interface RunParams {
  /** Product variables: KAFKA_BROKERS, ELASTICSEARCH_URL, TOPIC_*, INDEX_*, SINK_*. */
  readonly env: Record<string, string>;
  readonly groupId: string;
  readonly expected: number;
  readonly timeoutMs: number;
}

export interface SinkRunResult {
  readonly indexed: number;
  readonly failed: number;
  readonly bulkRequests: number;
  readonly firstAt: number;
  readonly firstCount: number;
  readonly lastAt: number;
  readonly startedAt: number;
  readonly docsPerSecond: number;
  readonly batchSize: number;
  readonly flushMs: number;
  /** CPU the sink's process used per second of the measured window (1 = one core busy). */
  readonly cores: number;
}

const cpuTotal = (u: NodeJS.CpuUsage): number => u.user + u.system;

async function run(p: RunParams): Promise<SinkRunResult> {
  const config = loadConfig(p.env);
  if (!config.kafka || !config.elasticsearch) throw new Error('sink-runner needs KAFKA_BROKERS and ELASTICSEARCH_URL');
  const log = createKafkaEventLog({ brokers: config.kafka.brokers, clientId: config.kafka.clientId, partitions: config.kafka.partitions, logger: silentLogger });
  const search = createElasticsearchSearch({ url: config.elasticsearch.url, requestTimeoutMs: config.elasticsearch.requestTimeoutMs, indices: config.indices, logger: silentLogger });
  let indexed = 0;
  let failed = 0;
  let bulkRequests = 0;
  /** CPU time this process spent between the first completed bulk request and the last (the measured window). */
  let cpuAtFirst: NodeJS.CpuUsage | undefined;
  let cpuMicros = 0;
  let firstAt = 0;
  let firstCount = 0;
  let lastAt = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((res) => (done = res));
  const writer: SearchWriter = {
    ensureIndices: () => search.ensureIndices(),
    refresh: () => search.refresh(),
    async write(ops) {
      const results = await search.write(ops);
      const now = Date.now();
      bulkRequests++;
      for (const r of results)
        if (r.ok) indexed++;
        else failed++;
      if (firstAt === 0) {
        firstAt = now;
        cpuAtFirst = process.cpuUsage();
        firstCount = indexed;
      }
      if (indexed >= p.expected && lastAt === 0) {
        lastAt = now;
        cpuMicros = cpuTotal(process.cpuUsage(cpuAtFirst));
        done();
      }
      return results;
    },
  };
  const sink = createSink({
    log,
    writer,
    topics: config.topics,
    groupId: p.groupId,
    batchSize: config.sink.batchSize,
    flushMs: config.sink.flushMs,
    maxInFlight: config.sink.maxInFlight,
    maxBufferedRecords: config.sink.maxBufferedRecords,
    logger: silentLogger,
  });
  const startedAt = Date.now();
  try {
    await sink.start();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      finished,
      new Promise<never>((_, rej) => {
        timer = setTimeout(() => rej(new Error(`the sink indexed ${indexed} of ${p.expected} documents within ${p.timeoutMs} ms (failed ${failed})`)), p.timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  } finally {
    await sink.stop().catch(() => undefined);
    await Promise.allSettled([log.close(), search.close()]);
  }
  const seconds = (lastAt - firstAt) / 1000;
  return {
    indexed,
    failed,
    bulkRequests,
    firstAt,
    firstCount,
    lastAt,
    startedAt,
    docsPerSecond: seconds > 0 ? (p.expected - firstCount) / seconds : Number.NaN,
    batchSize: config.sink.batchSize,
    flushMs: config.sink.flushMs,
    cores: lastAt > firstAt ? cpuMicros / 1000 / (lastAt - firstAt) : Number.NaN,
  };
}

serve({ run: (p) => run(p as RunParams) });
