/**
 * Reading and writing record bytes in the configured formats, in front of
 * the domain parsers: `json`, `avro` (the Schema Registry wire format, see
 * `src/domain/wire-format.ts`) or `auto` (Avro when framed, JSON otherwise).
 *
 * Avro needs the registry, which is I/O, and the stream processors are pure
 * functions of a record; so decoding is split in two. `prepare(records)` is
 * awaited by whoever runs the processor (the stream runtime, the sink, the
 * live feed) before the batch: it decodes every framed key and value once.
 * Then `key(record)` / `value(record)` answer synchronously. A record whose
 * bytes cannot be decoded (unknown schema id, bad bytes) is remembered with
 * its error, which `value()` throws, so the processor dead-letters it; a
 * registry that cannot be asked makes `prepare` throw a retriable
 * `UnavailableError`, so the batch is retried and nothing is dead-lettered.
 */
import { ENRICHED_AVRO_SCHEMA, RATING_AVRO_SCHEMA, decodeJson, decodeKey, isConfluentFramed, type Json, type OutputFormat, type RecordFormat } from '../domain/index.js';
import { AppError, ErrorCode, InvalidRecordError } from '../errors.js';
import type { LogRecord } from '../ports/event-log.js';
import type { AvroEncoder, SchemaRegistry } from '../ports/schema-registry.js';

type Decoded = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: InvalidRecordError };

export interface RecordDecoder {
  readonly format: RecordFormat;
  /**
   * Decodes the framed (Avro) keys and values of `records` with the registry.
   * Resolves at once when there are none.
   * @throws UnavailableError (retriable) when the registry cannot be asked; nothing is remembered for the records left
   */
  prepare(records: readonly Pick<LogRecord, 'key' | 'value'>[]): Promise<void>;
  /** The key as a value: an Avro record (`{"id":1}`), JSON, the plain string, or null. */
  key(record: Pick<LogRecord, 'key'>): unknown;
  /**
   * The value: null for a tombstone, else JSON or the decoded Avro record.
   * @throws InvalidRecordError not JSON, not Avro where `avro` is required, or Avro that did not decode
   */
  value(record: Pick<LogRecord, 'value'>): unknown;
}

export interface RecordDecoderOptions {
  /** @default 'auto' */
  readonly format?: RecordFormat;
  /** Needed for Avro; without it a framed record is an InvalidRecordError saying so. */
  readonly registry?: SchemaRegistry | null;
  /** Names the variable choosing the format, for messages (e.g. `RATINGS_FORMAT`). */
  readonly setting?: string;
}

export function createRecordDecoder({ format = 'auto', registry = null, setting = 'the format' }: RecordDecoderOptions = {}): RecordDecoder {
  /** Decoded framed buffers; weak, so a batch's records go with the batch. */
  const decoded = new WeakMap<Buffer, Decoded>();
  const avro = format !== 'json';

  async function decodeOne(bytes: Buffer): Promise<void> {
    if (decoded.has(bytes) || registry === null) return;
    try {
      decoded.set(bytes, { ok: true, value: await registry.decode(bytes) });
    } catch (error) {
      if (error instanceof InvalidRecordError) decoded.set(bytes, { ok: false, error });
      else throw error;
    }
  }

  function framedValue(bytes: Buffer): unknown {
    const d = decoded.get(bytes);
    if (d === undefined) {
      if (registry === null) throw new InvalidRecordError('', 'is Avro in the Schema Registry wire format, but no SCHEMA_REGISTRY_URL is configured');
      throw new AppError(ErrorCode.Internal, 'an Avro record was read before prepare() decoded it');
    }
    if (!d.ok) throw d.error;
    return d.value;
  }

  return {
    format,
    async prepare(records) {
      if (!avro || registry === null) return;
      for (const r of records) {
        if (isConfluentFramed(r.key)) await decodeOne(r.key);
        if (isConfluentFramed(r.value)) await decodeOne(r.value);
      }
    },
    key(record) {
      if (avro && isConfluentFramed(record.key)) {
        const d = decoded.get(record.key);
        if (d?.ok) return d.value;
      }
      return decodeKey(record.key);
    },
    value(record) {
      const bytes = record.value;
      if (bytes === null) return null;
      if (avro && isConfluentFramed(bytes)) return framedValue(bytes);
      if (format === 'avro') throw new InvalidRecordError('', `is not Avro in the Schema Registry wire format (magic byte 0 and a schema id), which ${setting}=avro requires`);
      return decodeJson(bytes);
    },
  };
}

/** JSON only: the embedded default and topics the product writes as JSON. */
export const jsonDecoder: RecordDecoder = createRecordDecoder({ format: 'json' });

/** Writes the values of `ratings-with-customer-data` in the configured format. */
export interface EnrichedEncoder {
  readonly format: OutputFormat;
  /**
   * Registers the Avro schema once (no-op for JSON). Awaited before a batch.
   * @throws UnavailableError (retriable) when the registry cannot be asked
   */
  ready(): Promise<void>;
  /** The value to write: JSON text, or Avro in the wire format. */
  encode(columns: Json): string | Buffer;
}

export interface EnrichedEncoderOptions {
  readonly format: OutputFormat;
  readonly registry?: SchemaRegistry | null;
  /** The enriched topic: the subject is `<topic>-value`. */
  readonly topic: string;
}

export function createEnrichedEncoder({ format, registry = null, topic }: EnrichedEncoderOptions): EnrichedEncoder {
  if (format === 'json') return { format, ready: async () => undefined, encode: (columns) => JSON.stringify(columns) };
  if (registry === null) throw new AppError(ErrorCode.Config, 'ENRICHED_FORMAT=avro needs a schema registry (SCHEMA_REGISTRY_URL)');
  let encoder: AvroEncoder | null = null;
  let registering: Promise<void> | null = null;
  const subject = `${topic}-value`;
  return {
    format,
    ready() {
      if (encoder !== null) return Promise.resolve();
      registering ??= registry.encoder(subject, ENRICHED_AVRO_SCHEMA).then(
        (e) => {
          encoder = e;
        },
        (error: unknown) => {
          registering = null;
          throw error;
        },
      );
      return registering;
    },
    encode(columns) {
      if (encoder === null) throw new AppError(ErrorCode.Internal, `the Avro schema of ${subject} was used before it was registered`);
      return encoder.encode(columns);
    },
  };
}

/**
 * Encodes ratings as Avro in the wire format, registered under `<topic>-value`
 * the first time (as the article's Avro producer did): what the demo generator
 * writes when a schema registry is configured.
 * @throws UnavailableError (retriable) while the registry cannot be asked
 */
export function createRatingEncoder(registry: SchemaRegistry, topic: string): (rating: Readonly<Record<string, unknown>>) => Promise<Buffer> {
  let encoder: Promise<AvroEncoder> | null = null;
  return async (rating) => {
    encoder ??= registry.encoder(`${topic}-value`, RATING_AVRO_SCHEMA).catch((error: unknown) => {
      encoder = null;
      throw error;
    });
    return (await encoder).encode(rating);
  };
}
