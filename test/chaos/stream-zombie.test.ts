/**
 * Chaos (npm run chaos): a real zombie. A stream process (`node dist/src/main.js`,
 * ROLES=stream) joining a flood of ratings is frozen with SIGSTOP, past its
 * session timeout (6 s), while a second process takes all its partitions (and
 * fences their transactional ids); then SIGCONT. The frozen process wakes up
 * mid-way through whatever it was doing: an open transaction is fenced (the new
 * owner's InitProducerId aborted it), its consumer finds itself out of the group
 * and rejoins. Nothing may be duplicated or lost (kafkajs and librdkafka, read_committed).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createKafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import { silentLogger } from '../../src/logger.js';
import { readToEnd, waitFor as eventually } from '../support/wait.js';
import { expectExactlyOnce, expectExactlyOnceByKcat } from '../integration/kafka-stream-support.js';
import { kafkaBrokers } from '../support/infra.js';
import { startProduct, type ProductProcess } from '../support/product-process.js';
import { assignedPartitionsOf, streamRun, type StreamRun } from './stream-processes.js';

const RATINGS = 30_000;

describe('a stream process frozen past its session timeout, then resumed', () => {
  const processes: ProductProcess[] = [];
  let s: StreamRun | undefined;
  const log = createKafkaEventLog({ brokers: kafkaBrokers(), clientId: 'zombie', logger: silentLogger, maxWaitTimeMs: 100 });
  afterAll(async () => {
    for (const p of processes) {
      p.child.kill('SIGCONT');
      await p.stop('SIGKILL');
    }
    await s?.close();
    await log.close();
  });

  it('is fenced and duplicates nothing', async () => {
    const r = (s = await streamRun('zombie'));
    const zombie = await startProduct(r.env, { name: 'zombie' });
    processes.push(zombie);
    let flooded = false;
    const flowing = r.flood(RATINGS, 2_500).finally(() => (flooded = true));

    await eventually(async () => (await r.ratingsDone()) >= 0.2 * RATINGS, '20 % joined', 240_000, 20);
    zombie.child.kill('SIGSTOP');
    const frozenDuringFlood = !flooded;
    const frozenAt = await r.ratingsDone();
    const heir = await startProduct(r.env, { name: 'heir' });
    processes.push(heir);
    // The heir owns every ratings partition once the frozen member's session expired ...
    await eventually(() => assignedPartitionsOf(heir.logs(), r.topics.ratings).some((a) => a.length === 3), 'the heir to take all three ratings partitions', 180_000, 100);
    // ... and commits past where the zombie stopped.
    await eventually(async () => (await r.ratingsDone()) > frozenAt + 1_000, 'the heir to make progress', 180_000, 100);
    const linesBefore = zombie.lines.length;
    zombie.child.kill('SIGCONT');
    // The zombie wakes, finds itself out of the group, and rejoins: a new assignment in its log.
    const assignmentsBefore = assignedPartitionsOf(zombie.logs(), r.topics.ratings).length;
    await eventually(() => assignedPartitionsOf(zombie.logs(), r.topics.ratings).length > assignmentsBefore, 'the zombie to rejoin the group', 180_000, 100);

    const expectedComplaints = await flowing;
    await eventually(async () => (await r.ratingsDone()) >= RATINGS, 'every rating joined', 240_000, 200);
    // Woken, the zombie goes on with the batch it held (or fetches one more) on its old producer, whose
    // transactional ids the heir initialised: the broker fences it (the runtime logs it) before it rejoins.
    const fenced = zombie.lines.slice(linesBefore).filter((l) => l.includes('fenced') || l.includes('PRODUCER_FENCED') || l.includes('INVALID_PRODUCER_EPOCH'));
    console.log(`fault-figures zombie frozenAt=${frozenAt} fencedLogLines=${fenced.length} first=${fenced[0]?.slice(0, 300) ?? 'none'}`);
    expect(frozenAt).toBeLessThan(RATINGS);
    expect(frozenDuringFlood).toBe(true);
    expect(fenced.length).toBeGreaterThan(0);

    const enriched = await readToEnd(log, r.topics.enriched, { timeoutMs: 120_000 });
    const complaints = await readToEnd(log, r.topics.complaints, { timeoutMs: 60_000 });
    expectExactlyOnce(enriched, RATINGS, complaints, expectedComplaints);
    await expectExactlyOnceByKcat(kafkaBrokers(), { enriched: r.topics.enriched, complaints: r.topics.complaints }, RATINGS, expectedComplaints, 'zombie');
  }, 600_000);
});
