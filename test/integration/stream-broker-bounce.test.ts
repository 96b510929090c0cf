/**
 * docs/exactly-once.md: "A restart, a rebalance or a broker bounce must leave no
 * duplicate and no gap in the output topics." The restart and the crash of the
 * stream process are covered by stream-eos.test.ts; this file bounces the broker
 * itself while the stream layer is mid-way, on a broker of its own (the shared
 * test broker serves the other files meanwhile), killed (SIGKILL: the broker
 * recovers its logs and transaction state at start-up). The outputs are read
 * the way downstream consumers do, read_committed, from the beginning, by
 * kafkajs and by librdkafka (kcat). A graceful restart (SIGTERM, controlled
 * shutdown) and a broker down for 20 s: test/chaos/kafka-broker-down.test.ts
 * (npm run chaos). Figures: docs/fault-matrix.md.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startKafka, type KafkaServer } from '../../scripts/infra/kafka.js';
import { closeBounceResources, runAcrossBrokerFault, type BounceResources } from './stream-bounce-run.js';

describe('the stream layer across a broker bounce', () => {
  let server: KafkaServer | undefined;
  const resources: BounceResources[] = [];

  beforeAll(async () => {
    server = await startKafka({ heap: '384m', properties: { 'log.retention.ms': -1 } });
  }, 180_000);
  afterAll(async () => {
    for (const r of resources) await closeBounceResources(r);
    await server?.stop();
  }, 60_000);

  it('leaves no duplicate and no gap in the enriched and complaint topics when the broker is killed', async () => {
    const r: BounceResources = {};
    resources.push(r);
    // Killed, not stopped: whatever transaction was open dies with it, and the broker recovers at start-up.
    await runAcrossBrokerFault(server!, 'bounce-kill', (b) => b.restart(1_000, { graceful: false }), r);
    await closeBounceResources(r);
  }, 300_000);
});
