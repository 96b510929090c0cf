/**
 * Join readiness on the in-memory runtime when CUSTOMERS_SRC_REKEY is filled
 * by this application's rekey-customers: the join waits for the CDC backlog
 * to be re-keyed and read (the Kafka version: test/integration/stream-join-readiness.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryEventLog, type MemoryEventLog } from '../../../src/adapters/memory/event-log.js';
import { createMemoryStreamRuntime, type MemoryStreamRuntime } from '../../../stream/runtime/memory-runtime.js';
import { DEFAULT_COMPLAINT_RULE } from '../../../src/domain/index.js';
import { silentLogger } from '../../../src/logger.js';
import { DEFAULT_TOPICS as topics } from '../../../src/topics.js';
import { createStreamLayer, type StreamLayer } from '../../../stream/pipeline.js';
import { eventually } from '../../contract/helpers.js';

describe('join readiness (in memory)', () => {
  let log: MemoryEventLog;
  let runtime: MemoryStreamRuntime;
  let layer: StreamLayer;
  afterEach(async () => {
    await layer?.stop();
    await runtime?.close();
  });

  it('joins no rating before rekey-customers re-keyed the CDC backlog and the table read it', async () => {
    // Small batches: re-keying takes many rounds, so a join that did not wait would run ahead of it.
    log = createMemoryEventLog({ maxBatchSize: 5 });
    const COUNT = 2_000;
    await log.produce(
      Array.from({ length: COUNT }, (_, i) => ({
        topic: topics.customersCdc,
        key: JSON.stringify({ id: 10_000 + i }),
        value: JSON.stringify({ id: 10_000 + i, first_name: 'F', last_name: `L${i}`, email: null, gender: null, club_status: 'gold', comments: null }),
      })),
    );
    await log.produce(
      Array.from({ length: COUNT }, (_, i) => ({
        topic: topics.ratings,
        key: null,
        value: JSON.stringify({ rating_id: i + 1, user_id: 10_000 + i, stars: 4, route_id: 1, rating_time: 1_528_800_000_000 + i, channel: 'web', message: 'ok' }),
      })),
    );
    runtime = createMemoryStreamRuntime({ log, groupPrefix: 'test', maxBatchSize: 5 });
    layer = createStreamLayer({ runtime, topics, rule: DEFAULT_COMPLAINT_RULE, joinGraceMs: 0, logger: silentLogger });
    await layer.start();
    const join = async () => (await layer.status()).find((s) => s.name === 'enrich-ratings')!;
    expect((await join()).state).toBe('BOOTSTRAPPING');
    expect(layer.ready()).toBe(false);
    await eventually(async () => (await join()).totalMessages === COUNT, 'all ratings consumed', 30_000);
    expect(await join()).toMatchObject({ unmatchedMessages: 0, state: 'RUNNING' });
    expect(log.records(topics.ratingsEnriched)).toHaveLength(COUNT);
    expect(layer.ready()).toBe(true);
  });
});
