/**
 * Why Elasticsearch refused one bulk item: the document itself (its content
 * will never fit: dead-letter it) or the state of the cluster (a write
 * block, a closed or missing index, security, load, a shard down: retry it,
 * the document is fine). The sink loses documents if it gets this wrong in
 * the content direction, and stalls a partition if it gets it wrong in the
 * other, so the content side is a closed list and everything unknown that
 * is not a plain 400 is retried.
 */
import type { EsErrorCause } from './client.js';

export type RejectionKind = 'content' | 'infrastructure';

/**
 * Error types that say the cluster, not the document, is at fault, wherever
 * they appear in the `caused_by` chain.
 */
const INFRASTRUCTURE_TYPES = new Set([
  // index.blocks.write (shrink, split, clone), read_only, read_only_allow_delete (flood stage)
  'cluster_block_exception',
  'index_closed_exception',
  'index_not_found_exception',
  'security_exception',
  'es_rejected_execution_exception',
  'circuit_breaking_exception',
  'unavailable_shards_exception',
  'no_shard_available_action_exception',
  'primary_missing_action_exception',
  'shard_not_found_exception',
  'illegal_index_shard_state_exception',
  'index_shard_closed_exception',
  'node_closed_exception',
  'node_not_connected_exception',
  'node_disconnected_exception',
  'connect_transport_exception',
  'receive_timeout_transport_exception',
  'no_node_available_exception',
  'process_cluster_event_timeout_exception',
  'timeout_exception',
  'master_not_discovered_exception',
  'not_master_exception',
]);

/** Error types that say the document does not fit the index (mapping, parsing, a bad value for a field). */
const CONTENT_TYPES = new Set([
  'mapper_parsing_exception',
  'document_parsing_exception',
  'strict_dynamic_mapping_exception',
  'mapper_exception',
  'illegal_argument_exception',
  'json_parse_exception',
  'x_content_parse_exception',
  'parse_exception',
  'number_format_exception',
  'document_source_missing_exception',
  // only with external versions, which the sink does not use: never worth repeating
  'version_conflict_engine_exception',
]);

function types(error: EsErrorCause | undefined): string[] {
  const out: string[] = [];
  for (let e = error, depth = 0; e && depth < 10; e = e.caused_by, depth++) if (e.type) out.push(e.type);
  return out;
}

/**
 * Classifies one failed bulk item (`status` and `error` of the item):
 * - infrastructure: 401/403 (security, an index write block), 404 (index
 *   missing), 408, 429, any 5xx, or an infrastructure error type anywhere in
 *   the cause chain (`cluster_block_exception`, `index_closed_exception`...);
 * - content: a mapping or parsing error type (`document_parsing_exception`,
 *   `mapper_parsing_exception`, `illegal_argument_exception` on a field...),
 *   or any other 400;
 * - anything else: infrastructure (better to stall and say so than to drop).
 */
export function classifyItemRejection(status: number, error: EsErrorCause | undefined): RejectionKind {
  const chain = types(error);
  if (chain.some((t) => INFRASTRUCTURE_TYPES.has(t))) return 'infrastructure';
  if (status === 401 || status === 403 || status === 404 || status === 408 || status === 429 || status >= 500) return 'infrastructure';
  if (chain.some((t) => CONTENT_TYPES.has(t))) return 'content';
  if (status === 400) return 'content';
  return 'infrastructure';
}
