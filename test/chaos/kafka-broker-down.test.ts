/**
 * Chaos (npm run chaos): the broker restarted gracefully mid-stream (SIGTERM,
 * controlled shutdown, as a rolling restart does), and the broker down for 20 s
 * mid-stream, longer than kafkajs' own retries (the processors' consumers crash
 * and are rebuilt by the supervisor), then back on the same ports with its data.
 * On a broker of its own. The layer must recover by itself and the outputs hold
 * every record exactly once, read by kafkajs and by librdkafka (kcat),
 * read_committed. The recovery time (broker back to the first new output) is
 * printed for docs/fault-matrix.md, never asserted.
 * (The broker killed with SIGKILL: test/integration/stream-broker-bounce.test.ts.)
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startKafka, type KafkaServer } from '../../scripts/infra/kafka.js';
import { closeBounceResources, runAcrossBrokerFault, type BounceResources } from '../integration/stream-bounce-run.js';

describe('the stream layer across a graceful broker restart and a 20 s outage', () => {
  let server: KafkaServer | undefined;
  const resources: BounceResources[] = [];

  beforeAll(async () => {
    server = await startKafka({ heap: '384m', properties: { 'log.retention.ms': -1 } });
  }, 180_000);
  afterAll(async () => {
    for (const r of resources) await closeBounceResources(r);
    await server?.stop();
  }, 60_000);

  it('leaves every output exactly once across a graceful restart (SIGTERM, controlled shutdown)', async () => {
    const r: BounceResources = {};
    resources.push(r);
    await runAcrossBrokerFault(server!, 'broker-graceful', (b) => b.restart(1_000, { graceful: true }), r);
    await closeBounceResources(r);
  }, 420_000);

  it('recovers by itself from 20 s without a broker and leaves every output exactly once', async () => {
    const r: BounceResources = {};
    resources.push(r);
    await runAcrossBrokerFault(server!, 'broker-down-20s', (b) => b.restart(20_000, { graceful: true }), r);
    await closeBounceResources(r);
  }, 420_000);
});
