/**
 * Join semantics (issue 17, fault 5): a rating whose customer never arrives is
 * dropped after JOIN_GRACE_MS and counted, in `pipeline` and in Prometheus
 * (`stream_processor_unmatched_messages_total{processor="enrich-ratings"}`).
 * Nothing reaches ratings-with-customer-data for it, like the article's
 * `WHERE C.FIRST_NAME IS NOT NULL`.
 */
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryEventLog, type MemoryEventLog } from '../../../src/adapters/memory/event-log.js';
import { createMemoryStreamRuntime, type MemoryStreamRuntime } from '../../../stream/runtime/memory-runtime.js';
import { DEFAULT_COMPLAINT_RULE } from '../../../src/domain/index.js';
import { silentLogger } from '../../../src/logger.js';
import { registerStreamMetrics } from '../../../src/server/index.js';
import { DEFAULT_TOPICS as topics } from '../../../src/topics.js';
import { createStreamLayer, type StreamLayer } from '../../../stream/pipeline.js';
import { eventually } from '../../contract/helpers.js';

const sample = (text: string, name: string, processor: string): number | null => {
  const m = new RegExp(`^${name}\\{processor="${processor}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : null;
};

describe('unmatched joins in metrics', () => {
  let log: MemoryEventLog;
  let runtime: MemoryStreamRuntime;
  let layer: StreamLayer;
  afterEach(async () => {
    await layer?.stop();
    await runtime?.close();
  });

  it('drops a rating whose customer never arrives after the grace period, counts it in pipeline and in /metrics, and joins the others', async () => {
    log = createMemoryEventLog();
    await log.produce([
      {
        topic: topics.customersCdc,
        key: JSON.stringify({ id: 1 }),
        value: JSON.stringify({ id: 1, first_name: 'Rica', last_name: 'Blaisdell', email: null, gender: null, club_status: 'bronze', comments: null }),
      },
    ]);
    const rating = (id: number, user: number) => ({
      topic: topics.ratings,
      key: null,
      value: JSON.stringify({ rating_id: id, user_id: user, stars: 4, route_id: 1, rating_time: 1_528_800_000_000 + id, channel: 'web', message: 'ok' }),
    });
    // Two ratings of a customer who never arrives, one of a known customer, then a sentinel of the known customer.
    await log.produce([rating(1, 424_242), rating(2, 1), rating(3, 424_242), rating(4, 1)]);
    runtime = createMemoryStreamRuntime({ log, groupPrefix: 'unmatched-metrics' });
    const registry = new Registry();
    registerStreamMetrics(registry, runtime);
    layer = createStreamLayer({ runtime, topics, rule: DEFAULT_COMPLAINT_RULE, joinGraceMs: 200, logger: silentLogger });
    await layer.start();
    const join = async () => (await layer.status()).find((s) => s.name === 'enrich-ratings')!;
    await eventually(async () => (await join()).unmatchedMessages === 2, 'both ratings of the missing customer counted unmatched', 30_000, 50);
    expect(await join()).toMatchObject({ unmatchedMessages: 2, failedMessages: 0 });
    // Only the known customer's ratings were joined; the orphans were dropped.
    const enriched = log.records(topics.ratingsEnriched).map((r) => JSON.parse(String(r.value)) as { RATING_ID: number });
    expect(enriched.map((e) => e.RATING_ID).sort()).toEqual([2, 4]);
    const text = await registry.metrics();
    expect(sample(text, 'stream_processor_unmatched_messages_total', 'enrich-ratings')).toBe(2);
    expect(sample(text, 'stream_processor_failed_messages_total', 'enrich-ratings')).toBe(0);
    expect(sample(text, 'stream_processor_messages_total', 'enrich-ratings')).toBeGreaterThanOrEqual(4);
    expect(text).toMatch(/# TYPE stream_processor_unmatched_messages_total counter/);
  });
});
