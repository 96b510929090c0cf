import { KafkaJSProtocolError, type Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createKafkaEventLog } from '../../../../src/adapters/kafka/event-log.js';

/** kafkajs builds protocol errors from the broker's error description (its typings say `Error | string`). */
function protocolError(d: { type: string; code: number; retriable: boolean; message: string }): KafkaJSProtocolError {
  return new KafkaJSProtocolError(d as unknown as Error);
}

/**
 * A kafkajs client whose admin behaves like a broker right after a create:
 * metadata answers UNKNOWN_TOPIC_OR_PARTITION `unknown` times, then a
 * partition without a leader `leaderless` times, then the real thing.
 */
function fakeAdmin(o: { unknown: number; leaderless: number; protocolError?: string }) {
  const state = { created: [] as string[], metadataCalls: 0, topics: new Set<string>() };
  let unknown = o.unknown;
  let leaderless = o.leaderless;
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    listTopics: async () => [...state.topics],
    createTopics: async ({ topics }: { topics: { topic: string }[] }) => {
      for (const t of topics) {
        state.created.push(t.topic);
        state.topics.add(t.topic);
      }
      return true;
    },
    fetchTopicMetadata: async ({ topics }: { topics: string[] }) => {
      state.metadataCalls++;
      if (o.protocolError) throw protocolError({ type: o.protocolError, code: 29, retriable: false, message: 'Not authorized to access topics' });
      if (unknown-- > 0) throw protocolError({ type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true, message: 'This server does not host this topic-partition' });
      const noLeader = leaderless-- > 0;
      return { topics: topics.map((name) => ({ name, partitions: [{ partitionId: 0, leader: noLeader ? -1 : 1, replicas: [1], isr: [1], offlineReplicas: [] }] })) };
    },
  };
  const client = { admin: () => admin } as unknown as Kafka;
  return Object.assign(state, { client });
}

describe('KafkaEventLog.ensureTopics', () => {
  it('creates a missing topic once and waits through UNKNOWN_TOPIC_OR_PARTITION and a missing leader', async () => {
    const fake = fakeAdmin({ unknown: 2, leaderless: 1 });
    const log = createKafkaEventLog({ brokers: ['127.0.0.1:1'], clientId: 't', client: fake.client });
    await log.ensureTopics([{ name: 'a' }, { name: 'b', partitions: 1 }]);
    expect(fake.created).toEqual(['a', 'b']);
    expect(fake.metadataCalls).toBe(4);
  });

  it('does not retry an authorization failure, and names the topics in the error', async () => {
    const fake = fakeAdmin({ unknown: 0, leaderless: 0, protocolError: 'TOPIC_AUTHORIZATION_FAILED' });
    const log = createKafkaEventLog({ brokers: ['127.0.0.1:1'], clientId: 't', client: fake.client });
    await expect(log.ensureTopics([{ name: 'a' }])).rejects.toThrow(/denied access while creating topics a/);
    expect(fake.metadataCalls).toBe(1);
  });
});
