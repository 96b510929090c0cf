/**
 * The composition root: builds the product from configuration. Roles
 * (`stream`, `sink`, `api`, `slack`) decide which parts run in this process;
 * the mode decides the backends: Kafka + Elasticsearch, or the in-memory event
 * log and search index of the embedded default (same ports, same contract
 * tests). Start order: stream layer, sink, Slack, API, demo. Stop order is the
 * reverse: stop accepting and complete subscriptions first, then consumers
 * (after committing), then clients.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { createElasticsearchSearch, type ElasticsearchSearch } from './adapters/elasticsearch/search.js';
import { createKafkaEventLog, type KafkaEventLog } from './adapters/kafka/event-log.js';
import { createKafkaPipelineStatusSource, type KafkaPipelineStatusSource } from './adapters/kafka/pipeline-status.js';
import { createKafkaStreamRuntime } from './adapters/kafka/stream-runtime.js';
import { createMemoryEventLog, type MemoryEventLog } from './adapters/memory/event-log.js';
import { createMemorySearch, type MemorySearch } from './adapters/memory/search-index.js';
import { createMemoryStreamRuntime } from './adapters/memory/stream-runtime.js';
import { redactUrl, type Config, type Role } from './config.js';
import type { Logger } from './logger.js';
import type { Complaint } from './domain/index.js';
import type { EventLog } from './ports/event-log.js';
import type { PipelineStatusSource, StreamRuntime } from './ports/stream-runtime.js';
import { createApiServer, sinkStatusSource, type ApiServer, type ListenResult, type ReadinessCheck } from './server/index.js';
import { createAcknowledgementService } from './services/acknowledgements.js';
import { createDemoGenerator, type DemoGenerator } from './services/demo-generator.js';
import { createSink, type Sink } from './services/sink.js';
import { createSlackRole, type SlackRole } from '../slack-app/index.js';
import { createStreamLayer, type StreamLayer } from '../stream/index.js';

export interface Product {
  /** Starts every role of this process; resolves when the API listens (if it runs here). */
  start(): Promise<void>;
  /** Idempotent ordered shutdown. */
  stop(): Promise<void>;
  /** Where the API listens, once started (null without the api role). */
  readonly address: ListenResult | null;
}

/** The demo data folder: DEMO_DATA_DIR, or `data/` at the package root (from src/ or dist/src/). */
export function defaultDataDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'data', 'customers.jsonl'))) return join(dir, 'data');
    dir = resolve(dir, '..');
  }
  return resolve('data');
}

export async function createProduct(config: Config, logger: Logger): Promise<Product> {
  const has = (r: Role): boolean => config.roles.has(r);
  const groupPrefix = config.kafka?.groupPrefix ?? 'feedback-gateway';
  const registry = new Registry();
  // Internal topics are named after the group prefix, so two deployments (or
  // test runs) sharing one Kafka never read each other's join state or status.
  const pendingTopic = `_${groupPrefix}-join-pending`;
  const statusTopic = `_${groupPrefix}-pipeline-status`;

  // Backends.
  let kafkaLog: KafkaEventLog | null = null;
  let memoryLog: MemoryEventLog | null = null;
  let log: EventLog;
  if (config.kafka) {
    kafkaLog = createKafkaEventLog({
      brokers: config.kafka.brokers,
      clientId: config.kafka.clientId,
      partitions: config.kafka.partitions,
      replicationFactor: config.kafka.replicationFactor,
      sessionTimeoutMs: config.kafka.sessionTimeoutMs,
      heartbeatIntervalMs: Math.max(1_000, Math.floor(config.kafka.sessionTimeoutMs / 10)),
      logger: logger.child({ component: 'kafka' }),
    });
    log = kafkaLog;
  } else {
    memoryLog = createMemoryEventLog({ maxRecordsPerPartition: config.memoryRetentionRecords, logger: logger.child({ component: 'event-log' }) });
    log = memoryLog;
  }
  const search: ElasticsearchSearch | MemorySearch = config.elasticsearch
    ? createElasticsearchSearch({ url: config.elasticsearch.url, requestTimeoutMs: config.elasticsearch.requestTimeoutMs, indices: config.indices, logger: logger.child({ component: 'elasticsearch' }) })
    : createMemorySearch();

  // Stream layer.
  let runtime: StreamRuntime | null = null;
  let stream: StreamLayer | null = null;
  if (has('stream')) {
    runtime = kafkaLog
      ? createKafkaStreamRuntime({ log: kafkaLog, groupPrefix, statusTopic, exactlyOnce: config.kafka?.exactlyOnce ?? true, logger: logger.child({ component: 'stream-runtime' }) })
      : createMemoryStreamRuntime({ log: memoryLog as MemoryEventLog, groupPrefix, logger: logger.child({ component: 'stream-runtime' }) });
    stream = createStreamLayer({ runtime, topics: config.topics, rule: config.complaintRule, joinGraceMs: config.joinGraceMs, logger, pendingTopic });
  }

  // Pipeline status for Query.pipeline: local in one process, from the status topic across processes.
  let remoteStatus: KafkaPipelineStatusSource | null = null;
  let pipeline: PipelineStatusSource | undefined;
  if (has('api')) {
    if (kafkaLog) {
      remoteStatus = createKafkaPipelineStatusSource({ log: kafkaLog, topic: statusTopic, logger: logger.child({ component: 'pipeline-status' }) });
      pipeline = remoteStatus;
    } else if (runtime) {
      pipeline = runtime;
    }
  }

  const sink: Sink | null = has('sink')
    ? createSink({ log, writer: search, topics: config.topics, groupId: `${groupPrefix}-sink`, batchSize: config.sink.batchSize, flushMs: config.sink.flushMs, logger: logger.child({ component: 'sink' }) })
    : null;

  // Bound once the API exists: its live feed remembers complaints raised but maybe not indexed yet.
  let recentComplaint: (id: string) => Complaint | null = () => null;
  const acknowledgements = createAcknowledgementService({
    store: search,
    log,
    topic: config.topics.acknowledgements,
    transitionsTopic: config.topics.transitions,
    registry,
    logger: logger.child({ component: 'acknowledgements' }),
    recentComplaint: (id) => recentComplaint(id),
  });

  let slack: SlackRole | null = null;
  if (has('slack')) {
    if (config.slack) {
      slack = createSlackRole({ config, slack: config.slack, log, store: search, acknowledgements, logger: logger.child({ component: 'slack' }), dashboardUrl: config.dashboardUrl });
    } else {
      logger.info('Slack role off: set SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_CHANNEL to post complaints to Slack');
    }
  }

  let api: ApiServer | null = null;
  if (has('api')) {
    const checks: ReadinessCheck[] = [
      { name: log.kind === 'kafka' ? 'kafka' : 'event-log', check: () => log.ping() },
      { name: config.elasticsearch ? 'elasticsearch' : 'search-index', check: () => search.ping() },
    ];
    if (stream) {
      const s = stream;
      checks.push({ name: 'customers-table', check: async () => s.ready() });
    }
    api = createApiServer({
      config,
      logger,
      eventLog: log,
      search,
      acknowledgements,
      registry,
      readinessChecks: checks,
      ...(pipeline ? { pipeline } : {}),
      sink: sink ? sinkStatusSource(sink, [config.indices.ratings, config.indices.complaints, config.indices.customers]) : null,
      ...(slack ? { slackHandler: slack.httpHandler } : {}),
    });
    const feed = api.liveFeed;
    recentComplaint = (id) => feed.recentComplaint(id);
  }

  const demo: DemoGenerator | null = config.demo.enabled
    ? createDemoGenerator({ log, topics: config.topics, dataDir: config.demo.dataDir || defaultDataDir(), logger: logger.child({ component: 'demo' }), ratingsPerSecond: config.demo.ratingsPerSecond })
    : null;

  let address: ListenResult | null = null;
  let started = false;
  let stopping: Promise<void> | null = null;

  async function stopAll(): Promise<void> {
    const step = async (name: string, fn: (() => Promise<void>) | undefined): Promise<void> => {
      if (!fn) return;
      try {
        await fn();
      } catch (err) {
        logger.warn({ err, component: name }, 'error while stopping');
      }
    };
    await step('api', api ? () => api.close() : undefined);
    await step('acknowledgements', () => acknowledgements.stop());
    await step('demo', demo ? () => demo.stop() : undefined);
    await step('slack', slack ? () => slack.stop() : undefined);
    await step('sink', sink ? () => sink.stop() : undefined);
    await step('stream', stream ? () => stream.stop() : undefined);
    await step('stream-runtime', runtime ? () => runtime.close() : undefined);
    await step('pipeline-status', remoteStatus ? () => remoteStatus.stop() : undefined);
    await step('event-log', () => log.close());
    await step('search', () => search.close());
  }

  return {
    get address() {
      return address;
    },
    async start() {
      if (started) return;
      started = true;
      if (stream) await stream.start();
      // Publishes acknowledgements stored but not published (failed publish, crash),
      // in the processes that acknowledge.
      if (has('api') || has('slack')) acknowledgements.start();
      // The sink waits for Elasticsearch itself; the API must not wait for it.
      if (sink) sink.start().catch((err: unknown) => logger.error({ err }, 'sink failed to start'));
      // An API process without the stream role tails these; create them if this is the first process up.
      if (api) await log.ensureTopics([{ name: config.topics.complaints }, { name: config.topics.ratingsEnriched }, { name: config.topics.acknowledgements }, { name: config.topics.transitions }]);
      if (remoteStatus) await remoteStatus.start();
      if (slack && !sink) {
        // The reminder search needs the complaints index's mapping (keyword status, date next_reminder_at);
        // without a sink in this process nothing else creates the templates before the poster writes.
        await search.ensureIndices().catch((err: unknown) => logger.warn({ err }, 'could not create the Elasticsearch indices yet; the sink will'));
      }
      if (slack) await slack.start();
      if (api) address = await api.listen(config.port, config.host);
      if (demo) await demo.start();
      const roles = [...config.roles].join(',');
      logger.info(
        {
          graphql: address?.graphqlUrl ?? null,
          websocket: address?.wsUrl ?? null,
          roles,
          eventLog: config.kafka ? `kafka ${config.kafka.brokers.join(',')}` : 'in-memory',
          search: config.elasticsearch ? `elasticsearch ${redactUrl(config.elasticsearch.url)}` : 'in-memory',
          slack: slack ? `${slack.mode} (channel ${config.slack?.channel})` : 'off',
          demo: demo ? `${config.demo.ratingsPerSecond} ratings/s` : 'off',
          auth: config.apiKeys.length > 0 ? `${config.apiKeys.length} API keys` : 'open (no API_KEYS)',
        },
        address
          ? `feedback gateway ready: GraphQL ${address.graphqlUrl} (WebSocket ${address.wsUrl}), roles ${roles}, ${config.mode === 'embedded' ? 'embedded in-memory backends' : 'Kafka + Elasticsearch'}`
          : `feedback gateway running roles ${roles}`,
      );
    },
    stop() {
      stopping ??= stopAll();
      return stopping;
    },
  };
}
