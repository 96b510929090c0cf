import { Client } from '@elastic/elasticsearch';
import { Kafka, Partitioners, logLevel, type Consumer, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elasticsearchUrl, kafkaBrokers, uniqueName } from '../support/infra.js';

describe('test infrastructure', () => {
  describe('Kafka', () => {
    const kafka = new Kafka({ clientId: 'infra-test', brokers: kafkaBrokers(), logLevel: logLevel.WARN });
    let producer: Producer;
    let consumer: Consumer;

    beforeAll(async () => {
      producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      consumer = kafka.consumer({ groupId: uniqueName('infra-test-group') });
      await Promise.all([producer.connect(), consumer.connect()]);
    });

    afterAll(async () => {
      await Promise.all([producer.disconnect(), consumer.disconnect()]);
    });

    it('creates a topic, then delivers a produced message to a consumer', async () => {
      const topic = uniqueName('infra-test');
      const admin = kafka.admin();
      await admin.connect();
      try {
        expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true })).toBe(true);
        const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
        expect(metadata?.partitions).toHaveLength(3);
      } finally {
        await admin.disconnect();
      }

      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const received = new Promise<{ key: string; value: string }>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            resolve({ key: message.key?.toString() ?? '', value: message.value?.toString() ?? '' });
          },
        });
      });
      await producer.send({ topic, messages: [{ key: 'customer-1', value: 'hello kafka' }] });

      await expect(received).resolves.toEqual({ key: 'customer-1', value: 'hello kafka' });
    });
  });

  describe('Elasticsearch', () => {
    const client = new Client({ node: elasticsearchUrl() });

    afterAll(async () => {
      await client.close();
    });

    it('runs version 9', async () => {
      // Not client.info() (GET /): the integ-test-zip distribution lacks the rest-root module.
      const info = await client.nodes.info({ node_id: '_local', metric: 'settings' });
      const versions = Object.values(info.nodes).map((node) => node.version);
      expect(versions).toHaveLength(1);
      expect(versions[0]).toMatch(/^9\./);
    });

    it('indexes a document and gets it back', async () => {
      const index = uniqueName('infra-test');
      const document = { rating: 2, message: 'the app crashed' };
      await client.index({ index, id: 'r-1', document, refresh: true });

      const fetched = await client.get<typeof document>({ index, id: 'r-1' });
      expect(fetched.found).toBe(true);
      expect(fetched._source).toEqual(document);

      const search = await client.search<typeof document>({ index, query: { match: { message: 'crashed' } } });
      expect(search.hits.hits.map((hit) => hit._id)).toEqual(['r-1']);

      await client.indices.delete({ index });
    });
  });
});
