/**
 * The Schema Registry port: Avro records in the Confluent wire format (see
 * `src/domain/wire-format.ts`), decoded with the writer schema the registry
 * holds for their id, and Avro output registered under a subject. Implemented
 * by `src/adapters/schema-registry/client.ts` (any Confluent-compatible
 * registry: Confluent's, Apicurio's `/apis/ccompat/v7`, ...).
 *
 * Failures are told apart by what can fix them:
 * - the record: an unknown schema id (404) or bytes that do not decode with
 *   the writer schema throw `InvalidRecordError` (a dead letter);
 * - the registry: unreachable, a timeout, a 5xx or refused credentials throw
 *   `UnavailableError` (retriable: processing pauses and retries, never a dead letter).
 */

/** An Avro schema as JSON (a record schema, for the values written here). */
export type AvroSchema = Readonly<Record<string, unknown>>;

/** Encodes values with one registered schema, synchronously (the registration is done). */
export interface AvroEncoder {
  readonly subject: string;
  readonly schemaId: number;
  /**
   * The value in the wire format (magic byte, schema id, Avro binary).
   * @throws InvalidRecordError when the value does not fit the schema
   */
  encode(value: Readonly<Record<string, unknown>>): Buffer;
}

export interface SchemaRegistry {
  /**
   * Decodes a framed record with its writer schema (fetched once per id, then
   * cached), into plain JSON-like values (Debezium's logical types mapped as
   * `src/domain/avro-values.ts` says).
   * @throws InvalidRecordError unknown schema id, not framed, or bytes that do not decode
   * @throws UnavailableError (retriable) the registry cannot be asked
   */
  decode(bytes: Buffer): Promise<unknown>;
  /**
   * Registers `schema` under `subject` (idempotent: the same schema gets the
   * same id) and returns an encoder for it.
   * @throws UnavailableError (retriable) the registry cannot be asked
   * @throws AppError (not retriable) the registry refuses the schema (incompatible with the subject's versions)
   */
  encoder(subject: string, schema: AvroSchema): Promise<AvroEncoder>;
}
