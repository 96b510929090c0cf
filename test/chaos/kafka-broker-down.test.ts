/**
 * Chaos (npm run chaos): the broker down for 20 s mid-stream, longer than kafkajs'
 * own retries (the processors' consumers crash and are rebuilt by the
 * supervisor), then back on the same ports with its data. The layer must
 * recover by itself and the outputs hold every record exactly once, read by
 * kafkajs and by librdkafka (kcat), read_committed. The recovery time (broker
 * back to the first new output) is printed for docs/fault-matrix.md.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startKafka, type KafkaServer } from '../../scripts/infra/kafka.js';
import { closeBounceResources, runAcrossBrokerFault, type BounceResources } from '../integration/stream-bounce-run.js';

describe('the stream layer with the broker down for 20 s', () => {
  let server: KafkaServer | undefined;
  const r: BounceResources = {};

  beforeAll(async () => {
    server = await startKafka({ heap: '384m', properties: { 'log.retention.ms': -1 } });
  }, 180_000);
  afterAll(async () => {
    await closeBounceResources(r);
    await server?.stop();
  }, 60_000);

  it('recovers by itself and leaves every output exactly once', async () => {
    await runAcrossBrokerFault(server!, 'broker-down-20s', (b) => b.restart(20_000, { graceful: true }), r);
  }, 420_000);
});
