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
import { createKafkaPipelineStatusSource, type KafkaPipelineStatusSource } from '../stream/runtime/status-topic.js';
import { createKafkaStreamRuntime } from '../stream/runtime/kafka-runtime.js';
import { createMemoryEventLog, type MemoryEventLog } from './adapters/memory/event-log.js';
import { createMemorySearch, type MemorySearch } from './adapters/memory/search-index.js';
import { createMemoryStreamRuntime } from '../stream/runtime/memory-runtime.js';
import { createSchemaRegistry } from './adapters/schema-registry/client.js';
import { DEFAULT_GROUP_PREFIX, redactUrl, type Config, type ElasticsearchConfig, type Role } from './config.js';
import { EVENT_TIME_TOPIC_RETENTION_MS, internalTopics } from './topics.js';
import type { AccessFailure } from './adapters/elasticsearch/client.js';
import { ConfigError } from './errors.js';
import type { Logger } from './logger.js';
import type { Complaint } from './domain/index.js';
import type { EventLog } from './ports/event-log.js';
import type { PipelineStatusSource, StreamRuntime } from './ports/stream-runtime.js';
import { createOpsServer, type OpsServer } from './server/ops-server.js';
import { collectProcessMetrics } from './server/metrics.js';
import { createApiServer, registerStreamMetrics, sinkStatusSource, type ApiServer, type ListenResult, type ReadinessCheck } from './server/index.js';
import { createAcknowledgementService } from './services/acknowledgements.js';
import { createDemoGenerator, type DemoGenerator } from './services/demo-generator.js';
import { createMariaDbCustomerDatabase } from './adapters/mariadb/customer-database.js';
import { createEnrichedEncoder, createRatingEncoder, createRecordDecoder } from './services/record-codec.js';
import { createSink, type Sink } from './sink/sink.js';
import { createSlackRole, type SlackRole } from '../slack-app/index.js';
import { createStreamLayer, type StreamLayer } from '../stream/index.js';

export interface Product {
  /** Starts every role of this process; resolves when the API listens (if it runs here). */
  start(): Promise<void>;
  /** Idempotent ordered shutdown. */
  stop(): Promise<void>;
  /** Where the API listens, once started (null without the api role). */
  readonly address: ListenResult | null;
  /** Where the operator's listener (GET /healthz, /readyz, /metrics) listens in a process without the api role, once started; null otherwise. */
  readonly opsUrl: string | null;
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
  const groupPrefix = config.kafka?.groupPrefix ?? DEFAULT_GROUP_PREFIX;
  const registry = new Registry();
  // Internal topics are named after the group prefix, so two deployments (or
  // test runs) sharing one Kafka never read each other's join state or status.
  const { joinPending: pendingTopic, pipelineStatus: statusTopic } = internalTopics(groupPrefix);

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
      sasl: config.kafka.sasl,
      ssl: config.kafka.ssl,
      heartbeatIntervalMs: Math.max(1_000, Math.floor(config.kafka.sessionTimeoutMs / 10)),
      logger: logger.child({ component: 'kafka' }),
    });
    log = kafkaLog;
  } else {
    memoryLog = createMemoryEventLog({ maxRecordsPerPartition: config.memoryRetentionRecords, logger: logger.child({ component: 'event-log' }) });
    log = memoryLog;
  }
  const search: ElasticsearchSearch | MemorySearch = config.elasticsearch
    ? createElasticsearchSearch({
        url: config.elasticsearch.url,
        requestTimeoutMs: config.elasticsearch.requestTimeoutMs,
        auth: config.elasticsearch.auth,
        ca: config.elasticsearch.ca,
        caFingerprint: config.elasticsearch.caFingerprint,
        indices: config.indices,
        logger: logger.child({ component: 'elasticsearch' }),
      })
    : createMemorySearch();

  // Record formats: JSON, or Avro through a Confluent-compatible Schema Registry.
  const schemaRegistry = config.schemaRegistry ? createSchemaRegistry({ ...config.schemaRegistry, logger: logger.child({ component: 'schema-registry' }) }) : null;
  const codecs = {
    ratings: createRecordDecoder({ format: config.formats.ratings, registry: schemaRegistry, setting: 'RATINGS_FORMAT' }),
    customers: createRecordDecoder({ format: config.formats.customers, registry: schemaRegistry, setting: 'CUSTOMERS_FORMAT' }),
    enriched: createEnrichedEncoder({ format: config.formats.enriched, registry: schemaRegistry, topic: config.topics.ratingsEnriched }),
  };
  /** Readers of the enriched topic (sink, live feed) recognise Avro by its magic byte, whatever ENRICHED_FORMAT says now. */
  const enrichedDecoder = createRecordDecoder({ format: 'auto', registry: schemaRegistry, setting: 'ENRICHED_FORMAT' });

  // Stream layer.
  let runtime: StreamRuntime | null = null;
  let stream: StreamLayer | null = null;
  if (has('stream')) {
    runtime = kafkaLog
      ? createKafkaStreamRuntime({ log: kafkaLog, groupPrefix, statusTopic, exactlyOnce: config.kafka?.exactlyOnce ?? true, logger: logger.child({ component: 'stream-runtime' }) })
      : createMemoryStreamRuntime({ log: memoryLog as MemoryEventLog, groupPrefix, logger: logger.child({ component: 'stream-runtime' }) });
    stream = createStreamLayer({ runtime, topics: config.topics, rule: config.complaintRule, joinGraceMs: config.joinGraceMs, logger, pendingTopic, codecs });
    // Per-processor totals, failed (dead-lettered) and unmatched (dropped joins) in GET /metrics.
    registerStreamMetrics(registry, runtime);
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
    ? createSink({
        log,
        writer: search,
        topics: config.topics,
        groupId: `${groupPrefix}-sink`,
        batchSize: config.sink.batchSize,
        maxInFlight: config.sink.maxInFlight,
        maxBufferedRecords: config.sink.maxBufferedRecords,
        maxBufferedBytes: config.sink.maxBufferedBytes,
        flushMs: config.sink.flushMs,
        decoder: enrichedDecoder,
        logger: logger.child({ component: 'sink' }),
      })
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
      slack = createSlackRole({ config, slack: config.slack, log, store: search, acknowledgements, logger, dashboardUrl: config.dashboardUrl, registry });
    } else {
      logger.info('Slack role off: set SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_CHANNEL to post complaints to Slack');
    }
  }

  // Readiness of this process's roles: GET /readyz of the API server, or of the operator's
  // listener in a process without the api role.
  const checks: ReadinessCheck[] = [{ name: log.kind === 'kafka' ? 'kafka' : 'event-log', check: () => log.ping() }];
  if (has('api') || has('sink') || has('slack')) checks.push({ name: config.elasticsearch ? 'elasticsearch' : 'search-index', check: () => search.ping() });
  if (stream) {
    const s = stream;
    checks.push({ name: 'customers-table', check: async () => s.ready() });
    // A processor in ERROR (e.g. a broker that cannot run transactions) fails readiness with its reason.
    checks.push({
      name: 'stream',
      check: async () => {
        const failing = s.failing();
        if (failing.length > 0) throw new Error(failing.map((f) => `${f.name}: ${f.lastError ?? 'ERROR'}`).join('; '));
      },
    });
  }

  let api: ApiServer | null = null;
  let ops: OpsServer | null = null;
  if (!has('api')) {
    collectProcessMetrics(registry);
    ops = createOpsServer({
      registry,
      readinessChecks: checks,
      metricsToken: config.api.metricsToken,
      production: config.production,
      logger: logger.child({ component: 'ops-http' }),
      // Slack in HTTP mode reaches the role on this process's one port, as it would the API's.
      ...(slack ? { slack: { handler: slack.httpHandler, maxBodyBytes: config.api.slackMaxBodyBytes, rateLimit: config.api.slackRateLimit } } : {}),
    });
  } else {
    api = createApiServer({
      config,
      logger,
      eventLog: log,
      search,
      acknowledgements,
      registry,
      readinessChecks: checks,
      enrichedDecoder,
      ...(pipeline ? { pipeline } : {}),
      sink: sink ? sinkStatusSource(sink, [config.indices.ratings, config.indices.complaints, config.indices.customers]) : null,
      ...(slack ? { slackHandler: slack.httpHandler } : {}),
    });
    const feed = api.liveFeed;
    recentComplaint = (id) => feed.recentComplaint(id);
  }

  // DEMO_DB_URL: customer changes go into the article's MariaDB and reach Kafka through Debezium.
  const customerDb = config.demo.enabled && config.demo.dbUrl ? createMariaDbCustomerDatabase(config.demo.dbUrl) : null;
  const demo: DemoGenerator | null = config.demo.enabled
    ? createDemoGenerator({
        log,
        topics: config.topics,
        dataDir: config.demo.dataDir || defaultDataDir(),
        logger: logger.child({ component: 'demo' }),
        ratingsPerSecond: config.demo.ratingsPerSecond,
        ...(customerDb ? { customerDb } : {}),
        // With a schema registry (as `npm run stack -- --cdc` sets up), ratings are Avro, as the article's were.
        ...(schemaRegistry && config.formats.ratings !== 'json' ? { encodeRating: createRatingEncoder(schemaRegistry, config.topics.ratings) } : {}),
      })
    : null;

  let address: ListenResult | null = null;
  let opsUrl: string | null = null;
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
    await step('ops-http', ops ? () => ops.close() : undefined);
    await step('acknowledgements', () => acknowledgements.stop());
    await step('demo', demo ? () => demo.stop() : undefined);
    await step('demo-db', customerDb ? () => customerDb.close() : undefined);
    await step('slack', slack ? () => slack.stop() : undefined);
    await step('sink', sink ? () => sink.stop() : undefined);
    await step('stream', stream ? () => stream.stop() : undefined);
    await step('stream-runtime', runtime ? () => runtime.close() : undefined);
    await step('pipeline-status', remoteStatus ? () => remoteStatus.stop() : undefined);
    await step('event-log', () => log.close());
    await step('search', () => search.close());
  }

  return {
    get opsUrl() {
      return opsUrl;
    },
    get address() {
      return address;
    },
    async start() {
      if (started) return;
      started = true;
      // Wrong credentials or TLS stop start-up here (AccessError) rather than in endless retries.
      if (kafkaLog) await kafkaLog.checkAccess();
      // Wrong credentials or an untrusted certificate stop start-up with one line naming the variable;
      // an Elasticsearch that is merely unreachable does not (the sink waits, readiness says so).
      if (config.elasticsearch && 'checkAccess' in search && (has('sink') || has('api') || has('slack'))) {
        const failure = await search.checkAccess();
        if (failure) throw elasticsearchAccessError(failure, config.elasticsearch);
      }
      if (stream) await stream.start();
      // Publishes acknowledgements stored but not published (failed publish, crash),
      // in the processes that acknowledge.
      if (has('api') || has('slack')) acknowledgements.start();
      // The sink waits for Elasticsearch itself; the API must not wait for it.
      if (sink) sink.start().catch((err: unknown) => logger.error({ err }, 'sink failed to start'));
      // An API process without the stream role tails these; create them if this is the first process up.
      if (api) {
        await log.ensureTopics([
          { name: config.topics.complaints, retentionMs: EVENT_TIME_TOPIC_RETENTION_MS },
          { name: config.topics.ratingsEnriched, retentionMs: EVENT_TIME_TOPIC_RETENTION_MS },
          { name: config.topics.acknowledgements },
          { name: config.topics.transitions },
        ]);
      }
      if (remoteStatus) await remoteStatus.start();
      if (slack) {
        // The reminder search needs the complaints index's mapping (keyword status, date next_reminder_at),
        // and the poster may create a complaint document before the sink has: the templates must exist
        // first, or Elasticsearch auto-creates the index with dynamic mappings (status as text, never
        // matched by the OPEN filter). The sink starts without being awaited, so do it here too (idempotent).
        await search.ensureIndices().catch((err: unknown) => logger.warn({ err }, 'could not create the Elasticsearch indices yet; the sink will'));
      }
      if (slack) await slack.start();
      if (api) address = await api.listen(config.port, config.host);
      if (ops) opsUrl = (await ops.listen(config.port, config.host)).url;
      if (demo) await demo.start();
      const roles = [...config.roles].join(',');
      logger.info(
        {
          dashboard: address ? `${config.publicUrl ?? address.url}/` : null,
          graphql: address?.graphqlUrl ?? null,
          websocket: address?.wsUrl ?? null,
          ...(opsUrl ? { health: `${opsUrl}/readyz`, metrics: `${opsUrl}/metrics` } : {}),
          roles,
          eventLog: config.kafka ? `kafka ${config.kafka.brokers.join(',')}` : 'in-memory',
          search: config.elasticsearch ? `elasticsearch ${redactUrl(config.elasticsearch.url)}` : 'in-memory',
          formats: `ratings ${config.formats.ratings}, customers ${config.formats.customers}, enriched ${config.formats.enriched}`,
          schemaRegistry: config.schemaRegistry ? redactUrl(config.schemaRegistry.url) : 'none',
          slack: slack ? `${slack.mode} (channel ${config.slack?.channel})` : 'off',
          demo: demo ? `${config.demo.ratingsPerSecond} ratings/s${customerDb ? `, customers in ${redactUrl(config.demo.dbUrl ?? '')}` : ''}` : 'off',
          auth: config.apiKeys.length > 0 ? `${config.apiKeys.length} API keys` : 'open (no API_KEYS)',
        },
        address
          ? `feedback gateway ready: dashboard ${config.publicUrl ?? address.url}/, GraphQL ${address.graphqlUrl} (WebSocket ${address.wsUrl}), roles ${roles}, ${config.mode === 'embedded' ? 'embedded in-memory backends' : 'Kafka + Elasticsearch'}`
          : `feedback gateway running roles ${roles}${opsUrl ? `; health and metrics at ${opsUrl}/readyz and ${opsUrl}/metrics` : ''}`,
      );
    },
    stop() {
      stopping ??= stopAll();
      return stopping;
    },
  };
}

/** The one line for a cluster that refuses this client: what failed, and which variable to fix. */
export function elasticsearchAccessError(failure: AccessFailure, es: ElasticsearchConfig): ConfigError {
  const at = `Elasticsearch at ${redactUrl(es.url)}`;
  if (failure.kind === 'tls') {
    if (es.caFingerprint)
      return new ConfigError('ELASTICSEARCH_CA_FINGERPRINT', `${at}: TLS failed (${failure.reason}): check ELASTICSEARCH_CA_FINGERPRINT (SHA-256 of the CA that signed the cluster's certificate)`);
    if (es.ca)
      return new ConfigError(
        'ELASTICSEARCH_CA_FILE',
        `${at}: TLS failed (${failure.reason}): check ELASTICSEARCH_CA_FILE (the CA that signed the cluster's certificate) and the host name in ELASTICSEARCH_URL`,
      );
    return new ConfigError('ELASTICSEARCH_CA_FILE', `${at}: TLS failed (${failure.reason}): set ELASTICSEARCH_CA_FILE or ELASTICSEARCH_CA_FINGERPRINT to the CA that signed the cluster's certificate`);
  }
  const what = failure.status === 401 ? 'authentication failed (401)' : 'access denied (403: the credentials lack a privilege)';
  const detail = `${at}: ${what}: ${failure.reason}`;
  if (es.auth && 'apiKey' in es.auth) return new ConfigError('ELASTICSEARCH_API_KEY', `${detail}: check ELASTICSEARCH_API_KEY`);
  if (es.auth) return new ConfigError('ELASTICSEARCH_USERNAME', `${detail}: check ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD`);
  if (/\/\/[^/]*@/.test(es.url)) return new ConfigError('ELASTICSEARCH_URL', `${detail}: check the credentials in ELASTICSEARCH_URL`);
  return new ConfigError('ELASTICSEARCH_API_KEY', `${detail}: the cluster requires credentials: set ELASTICSEARCH_API_KEY (or ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD)`);
}
