/**
 * The stream layer on real Kafka: exactly-once across a crash, dead letters
 * inside the transaction, the join's grace period, and the table bootstrap.
 * Outputs are read the way downstream consumers read them: read_committed.
 */
import { describe, expect, it } from 'vitest';
import { createKafkaStreamRuntime, type CommitHookInfo, type KafkaStreamRuntime } from '../../stream/runtime/kafka-runtime.js';
import { DEFAULT_COMPLAINT_RULE, customerToRekeyRecord, type Customer } from '../../src/domain/index.js';
import type { OutRecord } from '../../src/ports/event-log.js';
import { DeadLetterHeader, type TopicNames } from '../../src/topics.js';
import { createStreamLayer, type StreamLayer } from '../../stream/pipeline.js';
import { collect, deferred, eventually, text } from '../contract/helpers.js';
import { uniqueName } from '../support/infra.js';
import { expectExactlyOnce, prefixedTopics, streamTestBed } from './kafka-stream-support.js';

const STATUSES = ['bronze', 'silver', 'gold', 'platinum'];

function names(): { topics: TopicNames; pending: string; prefix: string } {
  const id = uniqueName('eos');
  return {
    topics: prefixedTopics(id),
    pending: `${id}-join-pending`,
    prefix: id,
  };
}

const cdcRow = (id: number): Record<string, unknown> => ({
  id,
  first_name: `First${id}`,
  last_name: `Last${id}`,
  email: `c${id}@example.com`,
  gender: 'Female',
  club_status: STATUSES[id % STATUSES.length],
  comments: null,
  create_ts: '2018-06-12T11:47:30Z',
  update_ts: '2018-06-12T11:47:30Z',
});

const ratingRecord = (topic: string, ratingId: number, userId: number, stars: number, message = 'meh'): OutRecord => ({
  topic,
  key: String(ratingId),
  value: JSON.stringify({ rating_id: ratingId, user_id: userId, stars, route_id: 7, rating_time: 1_528_800_000_000 + ratingId, channel: 'android', message }),
});

describe('the stream layer on Kafka', () => {
  // Short sessions so a crashed member's partitions move quickly; small fetches so a run is many transactions.
  const { log, runtimes, layers, logger } = streamTestBed(6_000, 8_192);

  function layer(n: ReturnType<typeof names>, joinGraceMs: number, beforeCommit?: (info: CommitHookInfo) => Promise<void> | void): { runtime: KafkaStreamRuntime; layer: StreamLayer } {
    const runtime = createKafkaStreamRuntime({ log, groupPrefix: n.prefix, statusIntervalMs: 0, retryInitialDelayMs: 50, logger, ...(beforeCommit ? { beforeCommit } : {}) });
    const l = createStreamLayer({ runtime, topics: n.topics, rule: DEFAULT_COMPLAINT_RULE, joinGraceMs, logger, pendingTopic: n.pending });
    runtimes.push(runtime);
    layers.push(l);
    return { runtime, layer: l };
  }

  it('delivers each rating exactly once downstream although the runtime crashes mid-way', async () => {
    const n = names();
    const CUSTOMERS = 60;
    const RATINGS = 1_500;
    await log.ensureTopics(Object.values(n.topics).map((name) => ({ name })));
    await log.produce(Array.from({ length: CUSTOMERS }, (_, i) => ({ topic: n.topics.customersCdc, key: JSON.stringify({ id: i + 1 }), value: JSON.stringify(cdcRow(i + 1)) })));
    const ratings = Array.from({ length: RATINGS }, (_, i) => ({ id: i + 1, user: 1 + (i % CUSTOMERS), stars: 1 + (i % 5) }));
    // Many small produce calls: many record batches, so many fetches and transactions.
    for (let i = 0; i < RATINGS; i += 50) await log.produce(ratings.slice(i, i + 50).map((r) => ratingRecord(n.topics.ratings, r.id, r.user, r.stars)));
    const expectedComplaints = ratings.filter((r) => r.stars < 3 && STATUSES[r.user % STATUSES.length] === 'platinum').length;

    // First run: crash inside the 8th transaction of the join that carries records, after they were sent.
    const crashed = deferred<CommitHookInfo>();
    let joins = 0;
    const first = layer(n, 60_000, async (info) => {
      if (info.processor !== 'enrich-ratings' || info.records === 0) return;
      if (++joins === 8) {
        crashed.resolve(info);
        await new Promise(() => undefined); // held open until the crash
      }
    });
    await first.layer.start();
    const atCrash = await crashed.promise;
    await first.runtime.kill();
    expect(atCrash.records).toBeGreaterThan(0);

    // Second run, same application: fences the open transaction (aborting it) and carries on from the committed offsets.
    const second = layer(n, 60_000);
    await second.layer.start();
    const enriched = await collect(log, n.topics.ratingsEnriched);
    const complaints = await collect(log, n.topics.complaints);
    const rekeyed = await collect(log, n.topics.customersRekeyed);
    await enriched.atLeast(RATINGS, 90_000);
    await complaints.atLeast(expectedComplaints, 30_000);
    await rekeyed.atLeast(CUSTOMERS, 30_000);
    await eventually(async () => (await second.layer.status()).every((s) => s.consumerLag === 0), 'every processor caught up', 60_000, 200);
    // Anything still in flight would show up now.
    const endEnriched = await log.offsets(n.topics.ratingsEnriched);
    await eventually(async () => {
      const positions = await log.offsets(n.topics.ratingsEnriched);
      return JSON.stringify(positions) === JSON.stringify(endEnriched);
    }, 'a quiet output topic');
    await Promise.all([enriched.stop(), complaints.stop(), rekeyed.stop()]);

    expectExactlyOnce(enriched.records, RATINGS, complaints.records, expectedComplaints);
    expect(rekeyed.records).toHaveLength(CUSTOMERS);
    const status = await second.layer.status();
    expect(status.find((s) => s.name === 'enrich-ratings')).toMatchObject({ failedMessages: 0, unmatchedMessages: 0 });
  }, 180_000);

  it('dead-letters a poison record in the transaction and goes on; joins a customer arriving within the grace period; counts the rest unmatched', async () => {
    const n = names();
    await log.ensureTopics(Object.values(n.topics).map((name) => ({ name })));
    await log.produce(Array.from({ length: 5 }, (_, i) => ({ topic: n.topics.customersCdc, key: JSON.stringify({ id: i + 1 }), value: JSON.stringify(cdcRow(i + 1)) })));
    const { layer: l } = layer(n, 3_000);
    await l.start();
    await log.produce([
      ratingRecord(n.topics.ratings, 1, 1, 4, 'before the poison'),
      { topic: n.topics.ratings, key: 'poison', value: Buffer.from([0x7b, 0xff, 0x00, 0x22]) },
      ratingRecord(n.topics.ratings, 2, 2, 4, 'after the poison'),
      ratingRecord(n.topics.ratings, 3, 500, 1, 'customer comes later'),
      ratingRecord(n.topics.ratings, 4, 600, 1, 'customer never comes'),
      ratingRecord(n.topics.ratings, 5, -1, 1, 'anonymous'),
    ]);
    const dead = await collect(log, n.topics.deadLetters);
    const [d] = await dead.atLeast(1);
    await dead.stop();
    expect(text(d!.key)).toBe('poison');
    expect(d!.value).toEqual(Buffer.from([0x7b, 0xff, 0x00, 0x22]));
    expect(d!.headers).toMatchObject({
      [DeadLetterHeader.errorCode]: 'INVALID_RECORD',
      [DeadLetterHeader.errorField]: '',
      [DeadLetterHeader.topic]: n.topics.ratings,
      [DeadLetterHeader.processor]: 'enrich-ratings',
    });
    expect(d!.headers[DeadLetterHeader.error]).toMatch(/not JSON/);
    expect(d!.headers[DeadLetterHeader.partition]).toMatch(/^\d+$/);
    expect(d!.headers[DeadLetterHeader.offset]).toMatch(/^\d+$/);
    expect(Date.parse(d!.headers[DeadLetterHeader.time]!)).not.toBeNaN();

    // The late customer arrives well within the 3 s grace period.
    await log.produce([{ topic: n.topics.customersCdc, key: JSON.stringify({ id: 500 }), value: JSON.stringify({ ...cdcRow(500), club_status: 'platinum' }) }]);
    const enriched = await collect(log, n.topics.ratingsEnriched);
    await enriched.atLeast(3);
    await eventually(async () => (await l.status()).find((s) => s.name === 'enrich-ratings')?.unmatchedMessages === 2, 'anonymous and never-known unmatched', 30_000, 100);
    await enriched.stop();
    expect(enriched.records.map((r) => (JSON.parse(text(r.value)!) as { MESSAGE: string }).MESSAGE).sort()).toEqual(['after the poison', 'before the poison', 'customer comes later']);
    const join = (await l.status()).find((s) => s.name === 'enrich-ratings');
    expect(join).toMatchObject({ failedMessages: 1, unmatchedMessages: 2 });
    // Six ratings, plus those that went round the pending topic.
    expect(join!.totalMessages).toBeGreaterThanOrEqual(6);
    const complaints = await collect(log, n.topics.complaints);
    const [c] = await complaints.atLeast(1);
    await complaints.stop();
    expect(text(c!.key)).toBe('3');
  }, 60_000);

  it('reads the customers table to its end before joining: a rating produced before start is enriched, never unmatched', async () => {
    const n = names();
    await log.ensureTopics(Object.values(n.topics).map((name) => ({ name, ...(name === n.topics.customersRekeyed ? { compacted: true } : {}) })));
    // Enough customers in small record batches that reading them takes longer than the join takes to start:
    // a join that did not wait for the table would find customers missing.
    const COUNT = 4_000;
    const customers: Customer[] = Array.from({ length: COUNT }, (_, i) => ({
      id: 10_000 + i,
      firstName: 'F',
      lastName: 'L',
      email: null,
      gender: null,
      clubStatus: 'gold',
      comments: null,
      createTs: null,
      updateTs: null,
    }));
    const rekeyed = customers.map((c) => ({ topic: n.topics.customersRekeyed, key: String(c.id), value: JSON.stringify(customerToRekeyRecord(c)) }));
    await Promise.all(Array.from({ length: COUNT / 40 }, (_, i) => log.produce(rekeyed.slice(i * 40, i * 40 + 40))));
    await log.produce(customers.map((c, i) => ratingRecord(n.topics.ratings, i + 1, c.id, 4)));
    const { layer: l } = layer(n, 0);
    expect(l.ready()).toBe(false);
    await l.start();
    await eventually(async () => (await l.status()).find((s) => s.name === 'enrich-ratings')?.totalMessages === COUNT, 'all ratings consumed', 60_000);
    expect((await l.status()).find((s) => s.name === 'enrich-ratings')?.unmatchedMessages).toBe(0);
    expect(l.ready()).toBe(true);
    const enriched = await collect(log, n.topics.ratingsEnriched);
    await enriched.atLeast(COUNT, 60_000);
    await enriched.stop();
    expect(enriched.records).toHaveLength(COUNT);
  }, 90_000);
});
