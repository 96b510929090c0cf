/**
 * The search ports contract against a real Elasticsearch, plus what only the
 * real thing shows: mappings, error translation and per-item bulk results.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createElasticsearchSearch, type ElasticsearchSearch } from '../../src/adapters/elasticsearch/search.js';
import { openComplaint } from '../../src/domain/index.js';
import { BadInputError, UnavailableError } from '../../src/errors.js';
import type { IndexNames } from '../../src/topics.js';
import { customer, rating, searchContract } from '../contract/search.contract.js';
import { elasticsearchUrl, uniqueName } from '../support/infra.js';

function freshIndices(): IndexNames {
  const base = uniqueName('t');
  return { ratings: `${base}-ratings`, complaints: `${base}-complaints`, customers: `${base}-customers` };
}

searchContract('Elasticsearch', async () => {
  const search = createElasticsearchSearch({ url: elasticsearchUrl(), requestTimeoutMs: 10_000, indices: freshIndices() });
  return {
    index: search,
    writer: search,
    store: search,
    refresh: () => search.refresh(),
    cleanup: async () => {
      await search.deleteIndices();
      await search.close();
    },
  };
});

describe('Elasticsearch adapter', () => {
  const opened: ElasticsearchSearch[] = [];
  const open = (indices = freshIndices()): ElasticsearchSearch => {
    const s = createElasticsearchSearch({ url: elasticsearchUrl(), requestTimeoutMs: 10_000, indices });
    opened.push(s);
    return s;
  };
  afterAll(async () => {
    for (const s of opened) {
      await s.deleteIndices().catch(() => undefined);
      await s.close();
    }
  });

  it('creates templates and indices with explicit mappings, idempotently and concurrently', async () => {
    const s = open();
    await Promise.all([s.ensureIndices(), s.ensureIndices(), s.ensureIndices()]);
    await s.ensureIndices();
    const mapping = await s.client.indices.getMapping({ index: s.indices.ratings });
    const props = mapping[s.indices.ratings]!.mappings.properties!;
    expect(props.rating_time).toMatchObject({ type: 'date', format: 'epoch_millis' });
    expect(props.channel).toMatchObject({ type: 'keyword', normalizer: 'lowercase_keyword' });
    expect(props.message).toMatchObject({ type: 'text', fields: { keyword: { type: 'keyword' } } });
    const complaints = await s.client.indices.getMapping({ index: s.indices.complaints });
    expect(complaints[s.indices.complaints]!.mappings.properties!.status).toMatchObject({ type: 'keyword' });
    const template = await s.client.indices.getIndexTemplate({ name: `${s.indices.customers}-template` });
    expect(template.index_templates[0]!.index_template.index_patterns).toEqual([s.indices.customers]);
  });

  it('gives an index re-created by a write the template mappings', async () => {
    const s = open();
    await s.ensureIndices();
    await s.client.indices.delete({ index: s.indices.ratings });
    expect(await s.write([{ kind: 'upsertRating', rating: rating(1, { channel: 'iOS' }) }])).toEqual([{ ok: true }]);
    await s.refresh();
    const page = await s.searchRatings({ filter: { channels: ['IOS'] }, first: 1 });
    expect(page.totalCount).toBe(1);
  });

  it('stores clean snake_case documents', async () => {
    const s = open();
    await s.ensureIndices();
    const r = rating(604087, { channel: 'iOS-test', customer: customer(7, 'platinum') });
    await s.write([
      { kind: 'upsertRating', rating: r },
      { kind: 'createComplaint', complaint: openComplaint(r) },
    ]);
    const doc = await s.client.get({ index: s.indices.ratings, id: '604087' });
    expect(doc._source).toMatchObject({ rating_id: 604087, channel: 'iOS-test', channel_family: 'ios', rating_time: r.ratingTime, customer: { id: 7, club_status: 'platinum', first_name: 'First7' } });
    const complaint = await s.client.get({ index: s.indices.complaints, id: '604087' });
    expect(complaint._source).toMatchObject({ rating_id: 604087, status: 'OPEN', acknowledged_by: null, raised_at: expect.any(String) });
  });

  it('adds the acknowledgement outbox flag to a complaints index created before it existed', async () => {
    const s = open();
    // A complaints index as an older version created it: dynamic false, no ack_published.
    const { indexMappings } = await import('../../src/adapters/elasticsearch/templates.js');
    const old = indexMappings(s.indices).find((m) => m.index === s.indices.complaints)!.mappings;
    const { ack_published: _dropped, ...oldProperties } = old.properties!;
    await s.client.indices.create({
      index: s.indices.complaints,
      settings: { analysis: { normalizer: { lowercase_keyword: { type: 'custom', filter: ['lowercase'] } } } },
      mappings: { ...old, properties: oldProperties },
    });
    await s.ensureIndices();
    const mapping = await s.client.indices.getMapping({ index: s.indices.complaints });
    expect(mapping[s.indices.complaints]!.mappings.properties!.ack_published).toMatchObject({ type: 'boolean' });
    await s.createIfAbsent(openComplaint(rating(5, { stars: 1 })));
    const v = (await s.get('5'))!.version;
    const ack = { complaintId: '5', by: 'alice', byName: null, at: '2018-06-12T11:00:00.000Z', via: 'graphql' as const, note: null };
    expect(await s.acknowledge('5', ack, v)).toBe('ok');
    await s.refresh();
    expect(await s.unpublishedAcknowledgements({ acknowledgedBefore: '2018-06-13T00:00:00.000Z', limit: 5 })).toEqual([ack]);
  });

  it('reports a document the mapping rejects per item, not retriable, with the Elasticsearch reason', async () => {
    const s = open();
    // An operator's conflicting mapping: channel as an ip field.
    await s.client.indices.create({ index: s.indices.ratings, mappings: { properties: { channel: { type: 'ip' } } } });
    await s.ensureIndices();
    const results = await s.write([
      { kind: 'upsertRating', rating: rating(1, { channel: '10.0.0.1' }) },
      { kind: 'upsertRating', rating: rating(2, { channel: 'android' }) },
      { kind: 'upsertCustomer', customer: customer(1) },
    ]);
    expect(results[0]).toEqual({ ok: true });
    expect(results[1]).toMatchObject({ ok: false, retriable: false, status: 400 });
    expect(results[1]!.ok === false && results[1]!.reason).toMatch(/document_parsing_exception.*\[channel\] of type \[ip\]/);
    expect(results[2]).toEqual({ ok: true });
  });

  it('answers a search Elasticsearch refuses within an msearch as a BadInputError of that query only', async () => {
    const s = open();
    // An operator's conflicting mapping: channel as an ip field, so a channel filter of a name is refused.
    await s.client.indices.create({ index: s.indices.ratings, mappings: { properties: { channel: { type: 'ip' } } } });
    await s.ensureIndices();
    await s.write([{ kind: 'upsertRating', rating: rating(1, { channel: '10.0.0.1' }) }]);
    await s.refresh();
    const [bad, good] = await s.searchRatingsMany([{ filter: { channels: ['android'] }, first: 1 }, { first: 1 }]);
    expect(bad).toBeInstanceOf(BadInputError);
    expect((bad as BadInputError).message).toMatch(/failed with 400: .+/);
    expect(good).toMatchObject({ totalCount: 1, edges: [{ node: { ratingId: 1 } }] });
  });

  it('translates an unreachable server into a retriable UnavailableError, and ping into false', async () => {
    const s = createElasticsearchSearch({ url: 'http://127.0.0.1:1', requestTimeoutMs: 1_000, maxRetries: 0, indices: freshIndices() });
    try {
      expect(await s.ping()).toBe(false);
      const err = await s.write([{ kind: 'deleteCustomer', id: 1 }]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as UnavailableError).retriable).toBe(true);
      await expect(s.searchRatings({ first: 1 })).rejects.toBeInstanceOf(UnavailableError);
      await expect(s.searchRatingsMany([{ first: 1 }, { first: 2 }])).rejects.toBeInstanceOf(UnavailableError);
      await expect(s.ensureIndices()).rejects.toBeInstanceOf(UnavailableError);
    } finally {
      await s.close();
    }
  });

  it('translates a request Elasticsearch refuses into BadInputError with the reason', async () => {
    const s = open();
    await s.ensureIndices();
    // 70 000 minute buckets exceed search.max_buckets (65 536).
    await s.write([
      { kind: 'upsertRating', rating: rating(1, { ratingTime: 0 }) },
      { kind: 'upsertRating', rating: rating(2, { ratingTime: 70_000 * 60_000 }) },
    ]);
    await s.refresh();
    const err = await s.client
      .search({ index: s.indices.ratings, size: 0, aggs: { h: { date_histogram: { field: 'rating_time', fixed_interval: '1m', min_doc_count: 0 } } } })
      .catch((e: unknown) => e);
    const { translateEsError } = await import('../../src/adapters/elasticsearch/client.js');
    const translated = translateEsError(err, 'histogram');
    expect(translated).toBeInstanceOf(BadInputError);
    expect(translated.message).toMatch(/too_many_buckets/);
  });
});
