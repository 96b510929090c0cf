/**
 * The classification of failed bulk items, on item shapes as Elasticsearch 9
 * answers them (captured from a real cluster, or copied from its sources for
 * security and load, which the test distribution cannot produce).
 */
import { describe, expect, it } from 'vitest';
import type { EsErrorCause } from '../../../../src/adapters/elasticsearch/client.js';
import { classifyItemRejection } from '../../../../src/adapters/elasticsearch/rejections.js';

const item = (status: number, error: EsErrorCause): [number, EsErrorCause] => [status, error];

const INFRASTRUCTURE: Record<string, [number, EsErrorCause]> = {
  'index write block (shrink, split, clone)': item(403, { type: 'cluster_block_exception', reason: 'index [ratings] blocked by: [FORBIDDEN/8/index write (api)];' }),
  'flood-stage read-only-allow-delete block': item(429, {
    type: 'cluster_block_exception',
    reason:
      'index [ratings] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block; for more information, see https://ela.st/es-req-flood-stage];',
  }),
  'closed index': item(400, { type: 'index_closed_exception', reason: 'closed', index_uuid: 'LM5XWS8SRvqlR3kVWQjHVA', index: 'ratings' } as EsErrorCause),
  'missing index (auto-create off)': item(404, { type: 'index_not_found_exception', reason: 'no such index [ratings]' }),
  'API key without write privilege': item(403, {
    type: 'security_exception',
    reason:
      'action [indices:data/write/bulk[s]] is unauthorized for API key id [VuaCfGcBCdbkQm-e5aOx] of user [sink] on indices [ratings], this action is granted by the index privileges [create_doc,create,index,write,all]',
  }),
  'credentials no longer valid': item(401, { type: 'security_exception', reason: 'unable to authenticate with provided credentials and anonymous access is not allowed for this request' }),
  'write thread pool full': item(429, {
    type: 'es_rejected_execution_exception',
    reason:
      'rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=52, max_coordinating_and_primary_bytes=53687091]',
  }),
  'primary shard not active': item(503, {
    type: 'unavailable_shards_exception',
    reason: '[ratings][0] primary shard is not active Timeout: [1m], request: [BulkShardRequest [[ratings][0]] containing [1] requests]',
  }),
  'circuit breaker': item(429, { type: 'circuit_breaking_exception', reason: '[parent] Data too large, data for [<http_request>] would be [123/123b]' }),
  'unknown 5xx': item(500, { type: 'some_new_exception', reason: 'boom' }),
  'block as the cause of a 400': item(400, {
    type: 'illegal_state_exception',
    reason: 'x',
    caused_by: { type: 'cluster_block_exception', reason: 'index [ratings] blocked by: [FORBIDDEN/8/index write (api)];' },
  }),
  'unknown non-400 status': item(418, { type: 'teapot_exception', reason: 'short and stout' }),
};

const CONTENT: Record<string, [number, EsErrorCause]> = {
  'string in an integer field': item(400, {
    type: 'document_parsing_exception',
    reason: "[1:6] failed to parse field [n] of type [integer] in document with id '1'. Preview of field's value: 'abc'",
    caused_by: { type: 'number_format_exception', reason: 'For input string: "abc"' },
  }),
  'object in a number field': item(400, {
    type: 'document_parsing_exception',
    reason: "[1:12] failed to parse field [n] of type [integer] in document with id '2'. Preview of field's value: '{x=1}'",
    caused_by: { type: 'illegal_argument_exception', reason: 'Cannot parse object as number' },
  }),
  'value not an ip (8.x shape)': item(400, {
    type: 'mapper_parsing_exception',
    reason: "failed to parse field [channel] of type [ip] in document with id '2'. Preview of field's value: 'android'",
    caused_by: { type: 'illegal_argument_exception', reason: "'android' is not an IP string literal." },
  }),
  'strict mapping': item(400, { type: 'strict_dynamic_mapping_exception', reason: '[1:9] mapping set to strict, dynamic introduction of [foo] within [_doc] is not allowed' }),
  'too many fields': item(400, {
    type: 'document_parsing_exception',
    reason: '[1:30] failed to parse: Limit of total fields [1000] has been exceeded while adding new fields [1]',
    caused_by: { type: 'illegal_argument_exception', reason: 'Limit of total fields [1000] has been exceeded while adding new fields [1]' },
  }),
  'illegal argument on a field': item(400, { type: 'illegal_argument_exception', reason: 'field [rating_time] of type [date] cannot be parsed: failed to parse date field [x]' }),
  'unknown 400': item(400, { type: 'action_request_validation_exception', reason: 'Validation Failed: 1: id is too long, must be no longer than 512 bytes but was: 600;' }),
};

describe('classifyItemRejection', () => {
  it.each(Object.entries(INFRASTRUCTURE))('retries %s', (_, [status, error]) => {
    expect(classifyItemRejection(status, error)).toBe('infrastructure');
  });

  it.each(Object.entries(CONTENT))('dead-letters %s', (_, [status, error]) => {
    expect(classifyItemRejection(status, error)).toBe('content');
  });

  it('retries an item with no error object unless it is a 400', () => {
    expect(classifyItemRejection(503, undefined)).toBe('infrastructure');
    expect(classifyItemRejection(400, undefined)).toBe('content');
  });
});
