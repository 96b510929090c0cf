/**
 * Record formats (src/services/record-codec.ts) over a tiny in-memory schema
 * registry: `auto` tells Avro from JSON by the magic byte, `avro` and `json`
 * insist, a record that does not decode is an InvalidRecordError (a dead
 * letter) while an unavailable registry fails `prepare` (a retry); the live
 * feed delivers Avro enriched ratings to `ratingAdded`.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEventLog } from '../../src/adapters/memory/event-log.js';
import { enrichedToRecord, frame, isConfluentFramed, schemaIdOf } from '../../src/domain/index.js';
import { InvalidRecordError, UnavailableError } from '../../src/errors.js';
import type { AvroSchema, SchemaRegistry } from '../../src/ports/schema-registry.js';
import { createLiveFeed } from '../../src/api/live-feed.js';
import { createEnrichedEncoder, createRatingEncoder, createRecordDecoder } from '../../src/services/record-codec.js';
import { DEFAULT_TOPICS } from '../../src/topics.js';
import { customer, rating } from './api/harness.js';

/** A registry whose "Avro" payload is JSON text: enough to test who asks it what, and when. */
function memoryRegistry(): SchemaRegistry & { available: boolean; lookups: number; subjects: Map<string, AvroSchema> } {
  const schemas = new Map<number, AvroSchema>();
  const subjects = new Map<string, AvroSchema>();
  const registry = {
    available: true,
    lookups: 0,
    subjects,
    async decode(bytes: Buffer): Promise<unknown> {
      registry.lookups++;
      if (!registry.available) throw new UnavailableError('the registry is away');
      const id = schemaIdOf(bytes);
      if (!schemas.has(id)) throw new InvalidRecordError('', `schema id ${id} is unknown to the schema registry`);
      try {
        return JSON.parse(bytes.subarray(5).toString('utf8')) as unknown;
      } catch {
        throw new InvalidRecordError('', `Avro bytes do not decode with schema id ${id}`);
      }
    },
    async encoder(subject: string, schema: AvroSchema) {
      if (!registry.available) throw new UnavailableError('the registry is away');
      const id = schemas.size + 1;
      schemas.set(id, schema);
      subjects.set(subject, schema);
      return { subject, schemaId: id, encode: (value: Readonly<Record<string, unknown>>) => frame(id, Buffer.from(JSON.stringify(value))) };
    },
  };
  schemas.set(1, { type: 'record', name: 'Rating', fields: [] });
  return registry;
}

const avro = (id: number, value: unknown): Buffer => frame(id, Buffer.from(JSON.stringify(value)));
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

describe('record decoder', () => {
  it('auto: reads Avro by its magic byte and JSON otherwise, in one batch', async () => {
    const registry = memoryRegistry();
    const decoder = createRecordDecoder({ format: 'auto', registry });
    const records = [
      { key: avro(1, { id: 7 }), value: avro(1, { rating_id: 1 }) },
      { key: Buffer.from('2'), value: json({ rating_id: 2 }) },
      { key: null, value: null },
    ];
    await decoder.prepare(records);
    expect(records.map((r) => decoder.value(r))).toEqual([{ rating_id: 1 }, { rating_id: 2 }, null]);
    expect(records.map((r) => decoder.key(r))).toEqual([{ id: 7 }, 2, null]);
    // Prepared once: reading again asks the registry nothing.
    const asked = registry.lookups;
    await decoder.prepare(records);
    expect(registry.lookups).toBe(asked);
  });

  it('remembers a record that does not decode as its error, for a dead letter', async () => {
    const decoder = createRecordDecoder({ format: 'auto', registry: memoryRegistry() });
    const unknown = { key: null, value: avro(99, {}) };
    const garbled = { key: null, value: frame(1, Buffer.from('{no')) };
    await decoder.prepare([unknown, garbled]);
    expect(() => decoder.value(unknown)).toThrow(/schema id 99 is unknown/);
    expect(() => decoder.value(garbled)).toThrow(InvalidRecordError);
  });

  it('fails prepare, retriably, while the registry is away, and decodes once it is back', async () => {
    const registry = memoryRegistry();
    const decoder = createRecordDecoder({ format: 'auto', registry });
    const record = { key: null, value: avro(1, { rating_id: 3 }) };
    registry.available = false;
    await expect(decoder.prepare([record])).rejects.toMatchObject({ retriable: true });
    registry.available = true;
    await decoder.prepare([record]);
    expect(decoder.value(record)).toEqual({ rating_id: 3 });
  });

  it('avro refuses JSON, json reads the bytes as JSON, and Avro without a registry says what is missing', async () => {
    const avroOnly = createRecordDecoder({ format: 'avro', registry: memoryRegistry(), setting: 'RATINGS_FORMAT' });
    expect(() => avroOnly.value({ value: json({ rating_id: 1 }) })).toThrow(/RATINGS_FORMAT=avro requires/);
    const jsonOnly = createRecordDecoder({ format: 'json', registry: memoryRegistry() });
    expect(() => jsonOnly.value({ value: avro(1, {}) })).toThrow(/not JSON/);
    const noRegistry = createRecordDecoder({ format: 'auto' });
    await noRegistry.prepare([{ key: null, value: avro(1, {}) }]);
    expect(() => noRegistry.value({ value: avro(1, {}) })).toThrow(/no SCHEMA_REGISTRY_URL is configured/);
  });
});

describe('enriched encoder', () => {
  it('registers <topic>-value once and writes the wire format; JSON stays JSON text', async () => {
    const registry = memoryRegistry();
    const encoder = createEnrichedEncoder({ format: 'avro', registry, topic: 'ratings-with-customer-data' });
    expect(() => encoder.encode({ RATING_ID: 1 })).toThrow(/before it was registered/);
    registry.available = false;
    await expect(encoder.ready()).rejects.toMatchObject({ retriable: true });
    registry.available = true;
    await encoder.ready();
    await encoder.ready();
    expect([...registry.subjects.keys()]).toEqual(['ratings-with-customer-data-value']);
    expect(registry.subjects.get('ratings-with-customer-data-value')).toMatchObject({ name: 'KsqlDataSourceSchema' });
    expect(isConfluentFramed(encoder.encode({ RATING_ID: 1 }) as Buffer)).toBe(true);
    expect(createEnrichedEncoder({ format: 'json', topic: 't' }).encode({ RATING_ID: 1 })).toBe('{"RATING_ID":1}');
  });
});

describe('rating encoder (the demo generator with a schema registry)', () => {
  it('registers <topic>-value once, retries after the registry was away, and writes ratings that the auto decoder reads back', async () => {
    const registry = memoryRegistry();
    const encode = createRatingEncoder(registry, 'ratings');
    const rating = { rating_id: 7, user_id: 3, stars: 1, route_id: 2777, rating_time: 1_528_800_546_808, channel: 'ios', message: 'late again' };
    registry.available = false;
    await expect(encode(rating)).rejects.toMatchObject({ retriable: true });
    registry.available = true;
    const bytes = await encode(rating);
    await encode({ ...rating, rating_id: 8 });
    expect([...registry.subjects.keys()]).toEqual(['ratings-value']);
    expect(registry.subjects.get('ratings-value')).toMatchObject({ name: 'Rating' });
    expect(isConfluentFramed(bytes)).toBe(true);
    const decoder = createRecordDecoder({ format: 'auto', registry });
    const record = { topic: 'ratings', partition: 0, offset: '0', key: null, value: bytes, timestamp: 0, headers: {} };
    await decoder.prepare([record]);
    expect(decoder.value(record)).toEqual(rating);
  });
});

describe('live feed', () => {
  it('delivers enriched ratings written as Avro to ratingAdded subscribers', async () => {
    const log = createMemoryEventLog({ partitions: 1 });
    const registry = memoryRegistry();
    const feed = createLiveFeed({
      log,
      topics: { complaints: DEFAULT_TOPICS.complaints, ratingsEnriched: DEFAULT_TOPICS.ratingsEnriched, acknowledgements: DEFAULT_TOPICS.acknowledgements },
      enrichedDecoder: createRecordDecoder({ format: 'auto', registry }),
    });
    try {
      const sub = await feed.ratings();
      const e = rating(41, customer(3), { stars: 2 });
      await log.produce([{ topic: DEFAULT_TOPICS.ratingsEnriched, key: '3', value: avro(1, enrichedToRecord(e)) }]);
      const next = await sub.next();
      expect(next.value).toMatchObject({ ratingId: 41, stars: 2, customer: { id: 3 } });
      await sub.return?.();
    } finally {
      await feed.stop();
      await log.close();
    }
  });
});
