/**
 * Real Kafka, Elasticsearch and (on request) an Apicurio Schema Registry for tests,
 * benchmarks and `npm run stack`, without Docker: all come from Maven Central (cached in
 * `~/.m2` and `.cache/infra/`), run on free ports of 127.0.0.1 and are removed, data
 * included, when stopped or when this process exits.
 *
 * This file is the public surface of `scripts/infra`; `shared.ts` is internal.
 */
import { startApicurio, type ApicurioOptions, type ApicurioServer } from './apicurio.js';
import { startElasticsearch, type ElasticsearchOptions, type ElasticsearchServer } from './elasticsearch.js';
import { startKafka, type KafkaOptions, type KafkaServer } from './kafka.js';

export { CCOMPAT_PATH, DEFAULT_APICURIO_VERSION, fetchApicurio, findApicurioJavaHome, startApicurio, type ApicurioOptions, type ApicurioServer } from './apicurio.js';
export {
  DEFAULT_ELASTICSEARCH_USER,
  DEFAULT_ELASTICSEARCH_VERSION,
  fetchElasticsearch,
  findElasticsearchJavaHome,
  startElasticsearch,
  type ElasticsearchOptions,
  type ElasticsearchServer,
} from './elasticsearch.js';
export { DEFAULT_KAFKA_VERSION, fetchKafka, startKafka, type KafkaOptions, type KafkaServer } from './kafka.js';
export type { KafkaClientSecurity } from './kafka-security.js';
export { StartupError } from './shared.js';

/** Options for {@link startInfra}. */
export interface InfraOptions {
  /** Start Kafka; `true` uses the defaults of `startKafka`. @default true */
  readonly kafka?: boolean | KafkaOptions;
  /** Start Elasticsearch; `true` uses the defaults of `startElasticsearch`. @default true */
  readonly elasticsearch?: boolean | ElasticsearchOptions;
  /**
   * Start an Apicurio Schema Registry; `true` uses the defaults of `startApicurio`. Off by
   * default: only the Avro tests and `stack --cdc` need it.
   * @default false
   */
  readonly apicurio?: boolean | ApicurioOptions;
}

/** What {@link startInfra} started; a server not asked for is `undefined`. */
export interface Infra {
  readonly kafka: KafkaServer | undefined;
  readonly elasticsearch: ElasticsearchServer | undefined;
  readonly apicurio: ApicurioServer | undefined;
  /** Stops everything that was started, in parallel. Idempotent; never rejects. */
  stop(): Promise<void>;
}

/** `false` means "do not start"; `true` or absent means "start with the defaults". */
function optionsFor<T extends object>(value: boolean | T | undefined, defaults: T): T | undefined {
  if (value === false) return undefined;
  return value === true || value === undefined ? defaults : value;
}

/**
 * Starts Kafka and Elasticsearch (both by default) and an Apicurio Schema Registry (when
 * asked), in parallel.
 *
 * @throws Error if one cannot start; whatever did start is stopped first, so nothing is
 *   left running. When several fail, the error is an `AggregateError` holding each.
 */
export async function startInfra(options: InfraOptions = {}): Promise<Infra> {
  const kafkaOptions = optionsFor<KafkaOptions>(options.kafka, {});
  const elasticsearchOptions = optionsFor<ElasticsearchOptions>(options.elasticsearch, {});
  const apicurioOptions = options.apicurio === undefined ? undefined : optionsFor<ApicurioOptions>(options.apicurio, {});
  const [kafka, elasticsearch, apicurio] = await Promise.all([
    settle(kafkaOptions ? startKafka(kafkaOptions) : Promise.resolve(undefined)),
    settle(elasticsearchOptions ? startElasticsearch(elasticsearchOptions) : Promise.resolve(undefined)),
    settle(apicurioOptions ? startApicurio(apicurioOptions) : Promise.resolve(undefined)),
  ]);
  const results = [kafka, elasticsearch, apicurio];
  const started = results.flatMap((result) => (result.status === 'fulfilled' && result.value ? [result.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.all(started.map((server) => server.stop()));
  };
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
  if (failures.length > 0) {
    await stop();
    if (failures.length === 1) throw failures[0];
    throw new AggregateError(failures, failures.map((failure) => String(failure)).join('\n\n'));
  }
  return {
    kafka: kafka.status === 'fulfilled' ? kafka.value : undefined,
    elasticsearch: elasticsearch.status === 'fulfilled' ? elasticsearch.value : undefined,
    apicurio: apicurio.status === 'fulfilled' ? apicurio.value : undefined,
    stop,
  };
}

/** `Promise.allSettled` for one promise, keeping its type (the tuple of mixed types stays typed). */
async function settle<T>(promise: Promise<T>): Promise<PromiseSettledResult<T>> {
  return promise.then(
    (value) => ({ status: 'fulfilled', value }) as const,
    (reason: unknown) => ({ status: 'rejected', reason }) as const,
  );
}
