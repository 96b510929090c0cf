import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createKafkaEventLog } from '../../src/adapters/kafka/event-log.js';

/** A kafkajs client whose producers refuse their first batch with OUT_OF_ORDER_SEQUENCE_NUMBER `failures` times in all. */
function fakeClient(failures: number): { client: Kafka; producers: number; sent: number } {
  const state = { producers: 0, sent: 0, failuresLeft: failures };
  const client = {
    producer: () => {
      state.producers++;
      return {
        connect: async () => undefined,
        disconnect: async () => undefined,
        sendBatch: async () => {
          if (state.failuresLeft > 0) {
            state.failuresLeft--;
            throw Object.assign(new Error('The broker received an out of order sequence number'), { type: 'OUT_OF_ORDER_SEQUENCE_NUMBER', code: 45, retriable: false });
          }
          state.sent++;
          return [];
        },
      };
    },
  } as unknown as Kafka;
  return Object.assign(state, { client });
}

describe('KafkaEventLog.produce', () => {
  it('replaces an idempotent producer that lost its sequence and sends again', async () => {
    const fake = fakeClient(1);
    const log = createKafkaEventLog({ brokers: ['127.0.0.1:1'], clientId: 't', client: fake.client });
    await log.produce([{ topic: 't', key: 'k', value: 'v' }]);
    expect(fake.producers).toBe(2);
    expect(fake.sent).toBe(1);
  });

  it('gives up after repeated sequence errors with a typed error', async () => {
    const fake = fakeClient(10);
    const log = createKafkaEventLog({ brokers: ['127.0.0.1:1'], clientId: 't', client: fake.client });
    await expect(log.produce([{ topic: 't', key: 'k', value: 'v' }])).rejects.toThrow(/producing to t: .*out of order sequence/);
    expect(fake.producers).toBe(3);
  });
});
