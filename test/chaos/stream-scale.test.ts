/**
 * Chaos (npm run chaos): scale out and in while 50,000 ratings flow. One stream
 * process (`node dist/src/main.js`, ROLES=stream) runs the join; a second joins
 * the group at about a fifth of the flood (a rebalance: partitions move to it,
 * each fenced by its new owner) and leaves again with SIGTERM at about 70 %
 * (a second rebalance), both while ratings are still being produced. Every rating must be joined (no stall) and every
 * output be there exactly once, read by kafkajs and by librdkafka (kcat),
 * read_committed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createKafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import { silentLogger } from '../../src/logger.js';
import { readToEnd, waitFor as eventually } from '../support/wait.js';
import { expectExactlyOnce, expectExactlyOnceByKcat } from '../integration/kafka-stream-support.js';
import { kafkaBrokers } from '../support/infra.js';
import { startProduct, type ProductProcess } from '../support/product-process.js';
import { assignedPartitionsOf, streamRun, type StreamRun } from './stream-processes.js';

const RATINGS = 50_000;

describe('a second stream process joining during a flood and leaving again', () => {
  const processes: ProductProcess[] = [];
  let s: StreamRun | undefined;
  const log = createKafkaEventLog({ brokers: kafkaBrokers(), clientId: 'scale', logger: silentLogger, maxWaitTimeMs: 100 });
  afterAll(async () => {
    for (const p of processes) await p.stop('SIGKILL');
    await s?.close();
    await log.close();
  });

  it('joins every rating exactly once across the scale-out and the scale-in', async () => {
    const r = (s = await streamRun('scale'));
    const first = await startProduct(r.env, { name: 'stream-1' });
    processes.push(first);
    // About 1,000 ratings a second: the flood lasts about 50 s, so both rebalances land inside it.
    let flooded = false;
    const flowing = r.flood(RATINGS, 1_000).finally(() => (flooded = true));

    await eventually(async () => (await r.ratingsDone()) >= 0.2 * RATINGS, '20 % joined', 240_000, 50);
    const second = await startProduct(r.env, { name: 'stream-2' });
    processes.push(second);
    const outAt = await r.ratingsDone();
    // The second process was given partitions of the ratings (a real scale-out) ...
    await eventually(() => assignedPartitionsOf(second.logs(), r.topics.ratings).some((a) => a.length > 0), 'stream-2 assigned ratings partitions', 120_000, 100);
    const outDuringFlood = !flooded;
    await eventually(async () => (await r.ratingsDone()) >= 0.7 * RATINGS, '70 % joined', 240_000, 50);
    const inAt = await r.ratingsDone();
    const inDuringFlood = !flooded;
    const stopped = await second.stop('SIGTERM');
    const expectedComplaints = await flowing;
    const t0 = Date.now();
    await eventually(async () => (await r.ratingsDone()) >= RATINGS, 'every rating joined after the scale-in', 240_000, 200);
    console.log(
      `fault-figures scale scaleOutAt=${outAt} scaleInAt=${inAt} duringFlood=${outDuringFlood}/${inDuringFlood} stream2Exit=${stopped.code} drainAfterFloodSeconds=${Math.round((Date.now() - t0) / 100) / 10}`,
    );
    expect(outAt).toBeLessThan(RATINGS);
    expect(inAt).toBeLessThan(RATINGS);
    // Both rebalances happened while ratings were still being produced.
    expect([outDuringFlood, inDuringFlood]).toEqual([true, true]);

    const enriched = await readToEnd(log, r.topics.enriched, { timeoutMs: 120_000 });
    const complaints = await readToEnd(log, r.topics.complaints, { timeoutMs: 60_000 });
    expectExactlyOnce(enriched, RATINGS, complaints, expectedComplaints);
    await expectExactlyOnceByKcat(kafkaBrokers(), { enriched: r.topics.enriched, complaints: r.topics.complaints }, RATINGS, expectedComplaints, 'scale-out-in');
  }, 600_000);
});
