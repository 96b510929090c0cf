import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createKafkaEventLog } from '../../../../src/adapters/kafka/event-log.js';

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

  it('keeps a broken producer connected until the sends in flight on it are done, then sends those again on the new one', async () => {
    let producers = 0;
    let sent = 0;
    const client = {
      producer: () => {
        const id = ++producers;
        let connected = true;
        let calls = 0;
        return {
          connect: async () => undefined,
          disconnect: async () => {
            connected = false;
          },
          sendBatch: async () => {
            const n = ++calls;
            await new Promise((r) => setTimeout(r, n === 1 ? 5 : 30));
            // kafkajs fails a send on a disconnected producer with an internal TypeError.
            if (!connected) throw new TypeError("Cannot set properties of undefined (setting 'nodeId')");
            // The first producer's sequence is broken: every send on it is refused.
            if (id === 1) throw Object.assign(new Error('The broker received an out of order sequence number'), { type: 'OUT_OF_ORDER_SEQUENCE_NUMBER', code: 45, retriable: false });
            sent++;
            return [];
          },
        };
      },
    } as unknown as Kafka;
    const log = createKafkaEventLog({ brokers: ['127.0.0.1:1'], clientId: 't', client });
    await Promise.all(Array.from({ length: 5 }, (_, i) => log.produce([{ topic: 't', key: `k${i}`, value: 'v' }])));
    expect(sent).toBe(5);
    expect(producers).toBe(2);
  });

  it('loses no batch when kafkajs hands a timed-out request’s sequence numbers back while other sends wait', async () => {
    // A broker partition with idempotence, as Kafka keeps it: a batch whose sequence range equals one it
    // already wrote is a duplicate, acknowledged as a success and not written again.
    const written: string[] = [];
    const ranges: [number, number][] = [];
    const broker = (first: number, values: string[]): void => {
      const last = first + values.length - 1;
      if (ranges.some(([f, l]) => f === first && l === last)) return;
      if (first !== (ranges.at(-1)?.[1] ?? -1) + 1) throw Object.assign(new Error('out of order sequence number'), { type: 'OUT_OF_ORDER_SEQUENCE_NUMBER', code: 45 });
      ranges.push([first, last]);
      written.push(...values);
    };
    // kafkajs 2.2.4's sendMessages: sequence numbers taken under the broker lock; when the request throws
    // they are handed back (updateSequence(-n)) and the lock released before the retrier tries again.
    let timeouts = 1;
    const client = {
      producer: () => {
        let sequence = 0;
        return {
          connect: async () => undefined,
          disconnect: async () => undefined,
          sendBatch: async ({ topicMessages }: { topicMessages: { messages: { value: string }[] }[] }) => {
            const values = topicMessages.flatMap((t) => t.messages.map((m) => m.value));
            for (;;) {
              const first = sequence;
              sequence += values.length;
              broker(first, values);
              if (timeouts-- <= 0) return [];
              // Written by the broker, but the answer timed out: kafkajs hands the numbers back and retries later.
              sequence -= values.length;
              await new Promise((r) => setTimeout(r, 5));
            }
          },
        };
      },
    } as unknown as Kafka;
    const log = createKafkaEventLog({ brokers: ['127.0.0.1:1'], clientId: 't', client });
    await Promise.all([log.produce([{ topic: 't', key: 'a', value: 'a' }]), log.produce([{ topic: 't', key: 'b', value: 'b' }])]);
    expect(written.sort()).toEqual(['a', 'b']);
  });
});
