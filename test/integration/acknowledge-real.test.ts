/**
 * acknowledgeComplaint on the real backends, over real HTTP and WebSocket:
 * the API server on Kafka (acknowledgements topic, live feed) and
 * Elasticsearch (complaint documents, optimistic concurrency). 100 agents
 * acknowledge one complaint at once: exactly one wins, the 99 others are told
 * who did; every complaintUpdated subscriber sees one update; one record lands
 * on complaint-acknowledgements; raising the complaint again (a replay of the
 * complaints topic through the sink's write) leaves it acknowledged.
 */
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElasticsearchSearch, type ElasticsearchSearch } from '../../src/adapters/elasticsearch/search.js';
import { createKafkaEventLog, type KafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import { loadConfig } from '../../src/config.js';
import { AckVia, acknowledgementToRecord, openComplaint } from '../../src/domain/index.js';
import { silentLogger } from '../../src/logger.js';
import { createApiServer, type ApiServer, type ListenResult } from '../../src/server/index.js';
import { createAcknowledgementService } from '../../src/services/acknowledgements.js';
import { readToEnd, text, waitFor } from '../support/wait.js';
import { elasticsearchUrl, kafkaBrokers, uniqueName } from '../support/infra.js';
import { collect, customer, gql, rating, until, wsClient } from '../unit/api/harness.js';

const AGENTS = Array.from({ length: 100 }, (_, i) => ({ key: `real-agent-key-${String(i).padStart(4, '0')}`, name: `agent${i}` }));
const ACK = `mutation($id: ID!) { acknowledgeComplaint(id: $id) { outcome acknowledgement { by at } } }`;

describe('acknowledgeComplaint on Kafka and Elasticsearch', () => {
  const run = uniqueName('ackreal');
  const config = loadConfig({
    KAFKA_BROKERS: kafkaBrokers().join(','),
    ELASTICSEARCH_URL: elasticsearchUrl(),
    API_KEYS: AGENTS.map((a) => `${a.key}:agent:${a.name}`).join(','),
    TOPIC_COMPLAINTS: `${run}.UNHAPPY_PLATINUM_CUSTOMERS`,
    TOPIC_RATINGS_ENRICHED: `${run}.ratings-with-customer-data`,
    TOPIC_ACKNOWLEDGEMENTS: `${run}.complaint-acknowledgements`,
    INDEX_RATINGS: `${run}-ratings`,
    INDEX_COMPLAINTS: `${run}-complaints`,
    INDEX_CUSTOMERS: `${run}-customers`,
  });
  let log: KafkaEventLog;
  let search: ElasticsearchSearch;
  let server: ApiServer;
  let api: ListenResult;
  const alice = customer(1);

  beforeAll(async () => {
    log = createKafkaEventLog({ brokers: kafkaBrokers(), clientId: run, logger: silentLogger, maxWaitTimeMs: 100 });
    await log.ensureTopics([{ name: config.topics.complaints }, { name: config.topics.ratingsEnriched }, { name: config.topics.acknowledgements }]);
    search = createElasticsearchSearch({ url: elasticsearchUrl(), requestTimeoutMs: 10_000, indices: config.indices });
    await search.ensureIndices();
    await search.write([
      { kind: 'upsertCustomer', customer: alice },
      { kind: 'upsertRating', rating: rating(7, alice) },
      { kind: 'createComplaint', complaint: openComplaint(rating(7, alice)) },
    ]);
    await search.refresh();
    const acknowledgements = createAcknowledgementService({ store: search, log, topic: config.topics.acknowledgements, logger: silentLogger });
    acknowledgements.start();
    server = createApiServer({ config, logger: silentLogger, eventLog: log, search, acknowledgements, registry: new Registry(), shutdownTimeoutMs: 2_000 });
    api = await server.listen(0, '127.0.0.1');
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await search?.deleteIndices().catch(() => undefined);
    await search?.close();
    await log?.close();
  });

  it('lets exactly one of 100 concurrent agents win; subscribers see one update; a replay keeps it acknowledged', async () => {
    const clients = Array.from({ length: 3 }, (_, i) => wsClient(api, AGENTS[i]!.key));
    const subs = clients.map((c) => collect(c, 'subscription { complaintUpdated { id status acknowledgement { by } } }'));
    await until(() => server.liveFeed.subscriberCount('acknowledgements') === 3, 'subscribers to attach', 20_000);

    const results = await Promise.all(AGENTS.map((a) => gql(api, ACK, { id: '7' }, a.key)));
    for (const r of results) expect(r.body.errors).toBeUndefined();
    const payloads = results.map((r) => r.body.data!.acknowledgeComplaint);
    const winners = payloads.filter((p) => p.outcome === 'ACKNOWLEDGED');
    expect(winners).toHaveLength(1);
    const winner = winners[0].acknowledgement;
    const losers = payloads.filter((p) => p.outcome === 'ALREADY_ACKNOWLEDGED');
    expect(losers).toHaveLength(99);
    for (const l of losers) expect(l.acknowledgement).toEqual(winner);

    for (const s of subs) expect((await s.waitFor(1)).map((r) => r.data)).toEqual([{ complaintUpdated: { id: '7', status: 'ACKNOWLEDGED', acknowledgement: { by: winner.by } } }]);
    // Every call has returned, and each awaited the publish it started: the
    // topic up to its end is all that was published.
    const published = await readToEnd(log, config.topics.acknowledgements);
    expect(published.map((r) => text(r.key))).toEqual(['7']);

    // The complaints topic replayed into the index: created again, never reset.
    await search.write([{ kind: 'createComplaint', complaint: openComplaint(rating(7, alice)) }]);
    await search.refresh();
    await waitFor(async () => (await search.getComplaint('7'))?.status === 'ACKNOWLEDGED', 'still acknowledged');
    expect((await search.getComplaint('7'))?.acknowledgement?.by).toBe(winner.by);
    // Every subscriber saw that one update and nothing more: an acknowledgement
    // of another complaint on every partition comes after anything published
    // for complaint 7, and is all that arrives after it.
    const partitions = (await log.offsets(config.topics.acknowledgements)).map((o) => o.partition);
    const sentinelIds = partitions.map((p) => String(9_000 + p));
    await search.write(sentinelIds.map((id) => ({ kind: 'createComplaint' as const, complaint: openComplaint(rating(Number(id), alice)) })));
    await search.refresh();
    await log.produce(
      partitions.map((partition, i) => ({
        topic: config.topics.acknowledgements,
        partition,
        key: sentinelIds[i]!,
        value: JSON.stringify(acknowledgementToRecord({ complaintId: sentinelIds[i]!, by: 'sentinel', byName: null, at: new Date().toISOString(), via: AckVia.GraphQL, note: null })),
      })),
    );
    for (const s of subs) {
      const got = (await s.waitFor(1 + partitions.length)).map((r) => (r.data as { complaintUpdated: { id: string } }).complaintUpdated.id);
      expect(got.sort()).toEqual(['7', ...sentinelIds].sort());
    }
    await Promise.all(clients.map((c) => c.dispose()));
  }, 90_000);
});
