/**
 * Join readiness on real Kafka when the customers table is fed by this same
 * application: on a fresh deploy with a CDC backlog and a ratings backlog, the
 * join waits until rekey-customers has re-keyed the CDC backlog and the table
 * has read the result, so no rating of a known customer is dropped as
 * unmatched even with no grace period at all.
 */
import { describe, expect, it } from 'vitest';
import { createKafkaStreamRuntime } from '../../stream/runtime/kafka-runtime.js';
import { DEFAULT_COMPLAINT_RULE } from '../../src/domain/index.js';
import type { TopicNames } from '../../src/topics.js';
import { createStreamLayer } from '../../stream/pipeline.js';
import { collect, eventually, text } from '../contract/helpers.js';
import { uniqueName } from '../support/infra.js';
import { prefixedTopics, streamTestBed } from './kafka-stream-support.js';

describe('join readiness on Kafka', () => {
  // Small fetches: re-keying the backlog takes many transactions, so a join that did not wait would run ahead.
  const { log, runtimes, layers, logger } = streamTestBed(10_000, 8_192);

  it('joins no rating before rekey-customers re-keyed the CDC backlog and the table read it: 2,000 ratings, grace 0, none unmatched', async () => {
    const id = uniqueName('ready');
    const topics: TopicNames = prefixedTopics(id);
    const COUNT = 2_000;
    await log.ensureTopics(Object.values(topics).map((name) => ({ name, ...(name === topics.customersRekeyed ? { compacted: true } : {}) })));
    const cdc = Array.from({ length: COUNT }, (_, i) => ({
      topic: topics.customersCdc,
      key: JSON.stringify({ id: 10_000 + i }),
      value: JSON.stringify({ id: 10_000 + i, first_name: 'F', last_name: `L${i}`, email: `c${i}@example.com`, gender: 'Female', club_status: 'gold', comments: null }),
    }));
    await Promise.all(Array.from({ length: COUNT / 40 }, (_, i) => log.produce(cdc.slice(i * 40, i * 40 + 40))));
    await log.produce(
      Array.from({ length: COUNT }, (_, i) => ({
        topic: topics.ratings,
        key: String(i + 1),
        value: JSON.stringify({ rating_id: i + 1, user_id: 10_000 + i, stars: 4, route_id: 7, rating_time: 1_528_800_000_000 + i, channel: 'web', message: 'ok' }),
      })),
    );

    const runtime = createKafkaStreamRuntime({ log, groupPrefix: id, statusIntervalMs: 0, retryInitialDelayMs: 50, logger });
    const layer = createStreamLayer({ runtime, topics, rule: DEFAULT_COMPLAINT_RULE, joinGraceMs: 0, logger, pendingTopic: `${id}-join-pending` });
    runtimes.push(runtime);
    layers.push(layer);
    await layer.start();
    const join = async () => (await layer.status()).find((s) => s.name === 'enrich-ratings');
    // The CDC backlog is not re-keyed yet: the join waits, and says so.
    expect((await join())?.state).toBe('BOOTSTRAPPING');
    expect(layer.ready()).toBe(false);

    await eventually(async () => (await join())?.totalMessages === COUNT, 'all ratings consumed', 90_000, 200);
    expect(await join()).toMatchObject({ unmatchedMessages: 0, failedMessages: 0, state: 'RUNNING' });
    expect(layer.ready()).toBe(true);
    const enriched = await collect(log, topics.ratingsEnriched);
    await enriched.atLeast(COUNT, 60_000);
    await enriched.stop();
    const ids = enriched.records.map((r) => (JSON.parse(text(r.value)!) as { RATING_ID: number }).RATING_ID);
    expect(new Set(ids).size).toBe(COUNT);
  }, 150_000);
});
