/**
 * Real Kafka and Elasticsearch for tests, benchmarks and `npm run stack`, without Docker:
 * both come from Maven Central (cached in `~/.m2` and `.cache/infra/`), run on free ports
 * of 127.0.0.1 and are removed, data included, when stopped or when this process exits.
 *
 * This file is the public surface of `scripts/infra`; `shared.ts` is internal.
 */
import { startElasticsearch, type ElasticsearchOptions, type ElasticsearchServer } from './elasticsearch.js';
import { startKafka, type KafkaOptions, type KafkaServer } from './kafka.js';

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
}

/** What {@link startInfra} started; a server not asked for is `undefined`. */
export interface Infra {
  readonly kafka: KafkaServer | undefined;
  readonly elasticsearch: ElasticsearchServer | undefined;
  /** Stops everything that was started, in parallel. Idempotent; never rejects. */
  stop(): Promise<void>;
}

/** `false` means "do not start"; `true` or absent means "start with the defaults". */
function optionsFor<T extends object>(value: boolean | T | undefined, defaults: T): T | undefined {
  if (value === false) return undefined;
  return value === true || value === undefined ? defaults : value;
}

/**
 * Starts Kafka and Elasticsearch in parallel (both by default).
 *
 * @throws Error if either cannot start; whatever did start is stopped first, so nothing
 *   is left running. When both fail, the error is an `AggregateError` holding both.
 */
export async function startInfra(options: InfraOptions = {}): Promise<Infra> {
  const kafkaOptions = optionsFor<KafkaOptions>(options.kafka, {});
  const elasticsearchOptions = optionsFor<ElasticsearchOptions>(options.elasticsearch, {});
  const [kafka, elasticsearch] = await Promise.allSettled([
    kafkaOptions ? startKafka(kafkaOptions) : Promise.resolve(undefined),
    elasticsearchOptions ? startElasticsearch(elasticsearchOptions) : Promise.resolve(undefined),
  ]);
  const started = [kafka, elasticsearch].flatMap((result) =>
    result.status === 'fulfilled' && result.value ? [result.value] : [],
  );
  const stop = async (): Promise<void> => {
    await Promise.all(started.map((server) => server.stop()));
  };
  const failures = [kafka, elasticsearch].flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
  if (failures.length > 0) {
    await stop();
    if (failures.length === 1) throw failures[0];
    throw new AggregateError(failures, failures.map((failure) => String(failure)).join('\n\n'));
  }
  return {
    kafka: kafka.status === 'fulfilled' ? kafka.value : undefined,
    elasticsearch: elasticsearch.status === 'fulfilled' ? elasticsearch.value : undefined,
    stop,
  };
}
