/** The Kafka adapters' public surface, for the composition root. */
export { createKafkaEventLog, KafkaEventLog, type KafkaEventLogOptions } from './event-log.js';
export { createKafkaStreamRuntime, KafkaStreamRuntime, DEFAULT_STATUS_TOPIC, type KafkaStreamRuntimeOptions, type CommitHookInfo } from './stream-runtime.js';
export { createKafkaPipelineStatusSource, aggregateReports, parseStatusReport, type KafkaPipelineStatusSource, type StatusReport } from './pipeline-status.js';
export { translateKafkaError, isFencedError, isConnectionError, isKafkaJsError } from './errors.js';
