/**
 * The Slack role over the real adapters: Kafka for the complaints and
 * acknowledgements topics, Elasticsearch as the complaint store (its
 * `if_seq_no`/`if_primary_term` concurrency decides who posts and who
 * acknowledges first), and the Web API recorder standing in for Slack.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElasticsearchSearch, type ElasticsearchSearch } from '../../src/adapters/elasticsearch/search.js';
import { createKafkaEventLog, type KafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import { loadConfig, type Config } from '../../src/config.js';
import { ComplaintStatus, complaintId, enrichedToRecord, type Complaint } from '../../src/domain/index.js';
import { silentLogger } from '../../src/logger.js';
import type { LogRecord } from '../../src/ports/event-log.js';
import { createAcknowledgementService, type AcknowledgementService } from '../../src/services/acknowledgements.js';
import { createSlackRole, type SlackRole } from '../../slack-app/index.js';
import { elasticsearchUrl, kafkaBrokers, uniqueName } from '../support/infra.js';
import { startSlackRecorder, type SlackRecorder } from '../support/slack-recorder.js';
import { blockActionPayload, formPayload, postTo, signedHeaders } from '../support/slack-signing.js';
import { complaintRating, eventually } from '../unit/slack/harness.js';

const SECRET = 'integration-signing-secret';
const CHANNEL = 'C0INTEGRATION';

describe('Slack role with Kafka and Elasticsearch', () => {
  let recorder: SlackRecorder;
  let config: Config;
  let log: KafkaEventLog;
  let search: ElasticsearchSearch;
  let acknowledgements: AcknowledgementService;
  const roles: SlackRole[] = [];
  let server: Server;
  let eventsUrl = '';
  const acks: LogRecord[] = [];

  beforeAll(async () => {
    recorder = await startSlackRecorder();
    const base = uniqueName('t-slack');
    config = loadConfig({
      KAFKA_BROKERS: kafkaBrokers().join(','),
      ELASTICSEARCH_URL: elasticsearchUrl(),
      KAFKA_GROUP_PREFIX: base,
      TOPIC_COMPLAINTS: `${base}-complaints`,
      TOPIC_ACKNOWLEDGEMENTS: `${base}-acks`,
      INDEX_COMPLAINTS: `${base}-complaints`,
      INDEX_RATINGS: `${base}-ratings`,
      INDEX_CUSTOMERS: `${base}-customers`,
      SLACK_BOT_TOKEN: 'xoxb-integration',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_CHANNEL: CHANNEL,
      SLACK_API_URL: recorder.apiUrl,
      // The fixtures are the article's 2018 ratings: post them whatever their age.
      SLACK_POST_MAX_AGE_HOURS: '0',
      DEMO: 'off',
    });
    log = createKafkaEventLog({ brokers: config.kafka!.brokers, clientId: base, retryInitialDelayMs: 50, maxWaitTimeMs: 100 });
    search = createElasticsearchSearch({ url: config.elasticsearch!.url, indices: config.indices });
    await search.ensureIndices();
    await log.ensureTopics([
      { name: config.topics.complaints, partitions: 3 },
      { name: config.topics.acknowledgements, partitions: 3 },
    ]);
    acknowledgements = createAcknowledgementService({ store: search, log, topic: config.topics.acknowledgements, logger: silentLogger });
    await log.tail({ topic: config.topics.acknowledgements, from: 'earliest', onBatch: (records) => void acks.push(...records) });

    // Two instances in one consumer group, and a third in another group that sees every
    // complaint too: only the complaint document decides who posts.
    const make = (instanceId: string, groupPrefix: string): SlackRole =>
      createSlackRole({
        config: { ...config, kafka: { ...config.kafka!, groupPrefix } },
        slack: config.slack!,
        log,
        store: search,
        acknowledgements,
        logger: silentLogger,
        dashboardUrl: null,
        tuning: { instanceId, postIntervalMs: 10, claimPollMs: 50 },
      });
    roles.push(make('a', base), make('b', base), make('c', `${base}-other`));
    server = createServer((req, res) => roles[0]!.httpHandler(req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    eventsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
    await Promise.all(roles.map((r) => r.start()));
  });

  afterAll(async () => {
    await Promise.all(roles.map((r) => r.stop()));
    server?.closeAllConnections();
    server?.close();
    await log?.close();
    await search?.close();
    await recorder?.close();
  });

  const posted = (id: string): Promise<Complaint> =>
    eventually(
      async () => {
        const c = (await search.get(id))?.complaint;
        return c?.slackMessage && !c.slackMessage.ts.startsWith('pending:') ? c : null;
      },
      `complaint ${id} to be posted`,
      60_000,
    );

  it('posts each complaint exactly once across instances, then acknowledges a click and a GraphQL acknowledgement', async () => {
    // Fresh ids: the index is fresh too, but keep them far from other tests' ids.
    const firstId = (Date.now() % 1e9) * 100;
    const ratings = Array.from({ length: 10 }, (_, i) => complaintRating({ ratingId: firstId + i }));
    await log.produce(ratings.map((r) => ({ topic: config.topics.complaints, key: String(r.ratingId), value: JSON.stringify(enrichedToRecord(r)) })));
    const complaints = await Promise.all(ratings.map((r) => posted(complaintId(r))));
    await eventually(async () => (await log.lag(`${config.kafka!.groupPrefix}-slack-poster`, config.topics.complaints)) === 0, 'the poster group to commit', 30_000);
    await eventually(async () => (await log.lag(`${config.kafka!.groupPrefix}-other-slack-poster`, config.topics.complaints)) === 0, 'the other group to commit', 30_000);

    const messages = recorder.messages(CHANNEL);
    expect(messages).toHaveLength(10);
    expect(new Set(messages.map((m) => JSON.stringify(m.metadata))).size).toBe(10);
    for (const c of complaints) expect(messages.map((m) => m.ts)).toContain(c.slackMessage!.ts);

    // A signed click on the first message.
    const [first, second] = complaints as [Complaint, Complaint];
    const body = formPayload(blockActionPayload({ complaintId: first.id, user: { id: 'U0ALICE', username: 'alice' }, channel: CHANNEL, messageTs: first.slackMessage!.ts }));
    expect((await postTo(eventsUrl, body, signedHeaders(body, SECRET))).status).toBe(200);
    await recorder.until((r) => r.okCallsTo('chat.update').length === 1, 'the click update', 30_000);
    expect((await search.get(first.id))!.complaint).toMatchObject({ status: ComplaintStatus.Acknowledged, acknowledgement: { by: 'U0ALICE', via: 'slack' } });
    await eventually(() => acks.some((r) => r.key?.toString() === first.id), 'the acknowledgement on Kafka', 30_000);

    // Acknowledged through GraphQL: the follower updates the second message.
    await acknowledgements.acknowledge({ complaintId: second.id, by: 'key-1', byName: 'Dana', via: 'graphql' });
    // Two follower groups (this deployment's and the third instance's) may both
    // rewrite the message, with the same content; at least one must.
    const secondUpdates = () => recorder.okCallsTo('chat.update').filter((c) => c.body.ts === second.slackMessage!.ts);
    await recorder.until(() => secondUpdates().length >= 1, 'the follower update', 30_000);
    for (const update of secondUpdates()) {
      expect(update.body).toMatchObject({ channel: CHANNEL, ts: second.slackMessage!.ts });
      expect(JSON.stringify(update.body.blocks)).toContain('Acknowledged by *Dana* (via GraphQL)');
    }

    // Every follower group has seen both acknowledgements; nothing else was updated:
    // the clicked message once (the followers skip Slack's own acknowledgements), the
    // second at most once per follower group.
    await eventually(async () => (await log.lag(`${config.kafka!.groupPrefix}-slack-ack-follower`, config.topics.acknowledgements)) === 0, 'the followers to commit', 30_000);
    await eventually(async () => (await log.lag(`${config.kafka!.groupPrefix}-other-slack-ack-follower`, config.topics.acknowledgements)) === 0, 'the other followers to commit', 30_000);
    expect(recorder.okCallsTo('chat.update').filter((c) => c.body.ts === first.slackMessage!.ts)).toHaveLength(1);
    expect(secondUpdates().length).toBeLessThanOrEqual(2);
    expect(recorder.okCallsTo('chat.update').length).toBe(1 + secondUpdates().length);
    expect(recorder.callsTo('chat.postMessage').filter((c) => c.status === 200)).toHaveLength(10);
  }, 120_000);
});
