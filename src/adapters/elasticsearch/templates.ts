/**
 * Index templates with explicit mappings, and their idempotent creation.
 * Keyword fields for filters and aggregations, `message` as text with a
 * keyword sub-field, dates as epoch millis, and a lowercase normalizer so that
 * `channel: iOS` and `channel: ios` filter alike. Only what the stripped-down
 * test distribution has: the built-in `lowercase` token filter and the
 * standard analyzer (no analysis-common).
 */
import type { estypes } from '@elastic/elasticsearch';
import type { IndexNames } from '../../topics.js';
import type { Logger } from '../../logger.js';
import { call, esErrorType, translateEsError, type Client } from './client.js';

const LOWERCASE = 'lowercase_keyword';

const settings: estypes.IndicesIndexSettings = {
  number_of_shards: 1,
  // 0 replicas on a single node (green), 1 wherever there is a second node.
  auto_expand_replicas: '0-1',
  analysis: { normalizer: { [LOWERCASE]: { type: 'custom', filter: ['lowercase'] } } },
};

const keyword: estypes.MappingProperty = { type: 'keyword', ignore_above: 1024 };
const lowercaseKeyword: estypes.MappingProperty = { type: 'keyword', normalizer: LOWERCASE, ignore_above: 256 };
const epochMillis: estypes.MappingProperty = { type: 'date', format: 'epoch_millis' };
const isoDate: estypes.MappingProperty = { type: 'date', format: 'strict_date_optional_time||epoch_millis' };

const customerProperties: Record<string, estypes.MappingProperty> = {
  id: { type: 'long' },
  first_name: keyword,
  last_name: keyword,
  email: lowercaseKeyword,
  gender: lowercaseKeyword,
  club_status: lowercaseKeyword,
  comments: { type: 'text' },
  // Debezium sends these in several formats; kept as given.
  create_ts: keyword,
  update_ts: keyword,
};

const ratingProperties: Record<string, estypes.MappingProperty> = {
  rating_id: { type: 'long' },
  user_id: { type: 'long' },
  stars: { type: 'byte' },
  route_id: { type: 'long' },
  rating_time: epochMillis,
  channel: lowercaseKeyword,
  channel_family: keyword,
  message: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } },
  customer: { properties: customerProperties },
};

/** Who acknowledged or resolved a complaint, when, how, with what note, and its outbox flag: mapped alike. */
function agentTransitionProperties(past: 'acknowledged' | 'resolved', short: 'ack' | 'resolve'): Record<string, estypes.MappingProperty> {
  return {
    [`${past}_by`]: keyword,
    [`${past}_by_name`]: keyword,
    [`${past}_at`]: isoDate,
    [`${past}_via`]: keyword,
    [`${short}_note`]: { type: 'text' },
    [`${short}_published`]: { type: 'boolean' },
  };
}

const complaintProperties: Record<string, estypes.MappingProperty> = {
  ...ratingProperties,
  status: keyword,
  ...agentTransitionProperties('acknowledged', 'ack'),
  slack_channel: keyword,
  slack_ts: keyword,
  raised_at: isoDate,
  time_to_ack_ms: { type: 'long' },
  ...agentTransitionProperties('resolved', 'resolve'),
  time_to_resolve_ms: { type: 'long' },
  reminders_sent: { type: 'integer' },
  next_reminder_at: isoDate,
  reminder_claim: keyword,
  escalated_at: isoDate,
  escalation_channel: keyword,
  escalation_ts: keyword,
  snoozed_until: isoDate,
};

/**
 * `dynamic: false`: a field the code adds before the template is updated is
 * kept in `_source` but not indexed, instead of failing the document.
 */
export function indexMappings(indices: IndexNames): ReadonlyArray<{ readonly index: string; readonly mappings: estypes.MappingTypeMapping }> {
  return [
    { index: indices.ratings, mappings: { dynamic: false, properties: ratingProperties } },
    { index: indices.complaints, mappings: { dynamic: false, properties: complaintProperties } },
    { index: indices.customers, mappings: { dynamic: false, properties: customerProperties } },
  ];
}

export const templateName = (index: string): string => `${index}-template`;

/**
 * Puts one template per index (so an index deleted by hand and re-created by
 * a bulk write gets the same mappings), creates each missing index, and adds
 * new fields to an existing index. Safe to run concurrently from several
 * processes: `resource_already_exists_exception` is ignored. A mapping an
 * existing index cannot take (a field of another type) is logged, not fatal:
 * the documents it rejects are dead-lettered with the reason.
 */
export async function ensureIndices(client: Client, indices: IndexNames, logger: Logger): Promise<void> {
  for (const { index, mappings } of indexMappings(indices)) {
    await call(`put index template ${templateName(index)}`, () =>
      client.indices.putIndexTemplate({
        name: templateName(index),
        index_patterns: [index],
        priority: 500,
        template: { settings, mappings },
        _meta: { managed_by: 'feedback-gateway' },
      }),
    );
    const exists = await call(`check index ${index}`, () => client.indices.exists({ index }));
    if (!exists) {
      try {
        await client.indices.create({ index, settings, mappings });
        logger.info({ index }, 'created Elasticsearch index');
      } catch (e) {
        // Another process created it between our check and our create.
        if (esErrorType(e) !== 'resource_already_exists_exception') throw translateEsError(e, `create index ${index}`);
      }
      continue;
    }
    try {
      await call(`put mapping ${index}`, () => client.indices.putMapping({ index, ...mappings }));
    } catch (err) {
      logger.warn({ err, index }, 'existing index does not take the current mapping; documents it rejects are dead-lettered');
    }
  }
}

/** Deletes the indices and their templates (tests, benches). Missing ones are fine. */
export async function deleteIndices(client: Client, indices: IndexNames): Promise<void> {
  for (const { index } of indexMappings(indices)) {
    await call(`delete index ${index}`, () => client.indices.delete({ index, ignore_unavailable: true }));
    await call(`delete template ${templateName(index)}`, () => client.indices.deleteIndexTemplate({ name: templateName(index) }, { ignore: [404] }));
  }
}
