/**
 * The Schema Registry adapter: `@kafkajs/confluent-schema-registry` (pure
 * JavaScript, avsc underneath, a schema cache per id) against any
 * Confluent-compatible registry (Confluent's, or Apicurio's `/apis/ccompat/v7`).
 * The only module that imports the library; it translates the library's
 * errors into `src/errors.ts` as the port says.
 *
 * Why a response middleware keeps the writer schemas' JSON: avsc types drop
 * annotations such as `connect.name`, which say that a long is Debezium's
 * `MicroTimestamp` rather than a number (`src/domain/avro-values.ts` needs them).
 */
import { Agent as HttpsAgent } from 'node:https';
import { SchemaRegistry as Client, SchemaType, type COMPATIBILITY } from '@kafkajs/confluent-schema-registry';
import type { SchemaRegistryAPIClientArgs } from '@kafkajs/confluent-schema-registry/dist/api/index.js';
import { frame, isConfluentFramed, plainAvroValue, schemaIdOf } from '../../domain/index.js';
import { AppError, ErrorCode, InvalidRecordError, UnavailableError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { AvroEncoder, AvroSchema, SchemaRegistry } from '../../ports/schema-registry.js';

export interface SchemaRegistryOptions {
  /** Base URL of the Confluent-compatible API, e.g. `http://127.0.0.1:8080/apis/ccompat/v7`. */
  readonly url: string;
  /** Basic auth (Confluent Cloud: API key and secret). */
  readonly username?: string | null;
  readonly password?: string | null;
  /** PEM certificates to trust for an https URL (a private CA). */
  readonly ca?: string | null;
  /** One request's limit; a registry that accepts connections but never answers counts as unreachable after it. @default 5_000 // ms */
  readonly requestTimeoutMs?: number;
  readonly logger?: Logger;
}

type Middleware = NonNullable<SchemaRegistryAPIClientArgs['middlewares']>[number];

/** The library's ResponseError (api/middleware/errorMiddleware.js); mappersmith reports network failures and timeouts as status 400/408. */
interface ResponseErrorLike {
  readonly name: string;
  readonly status: number;
  readonly message: string;
}

const isResponseError = (e: unknown): e is ResponseErrorLike => e instanceof Error && e.name === 'ResponseError' && typeof (e as { status?: unknown }).status === 'number';

const SCHEMA_BY_ID = /\/schemas\/ids\/(\d+)(?:\?|$)/;

export function createSchemaRegistry(options: SchemaRegistryOptions): SchemaRegistry {
  const { url, username, password, ca, requestTimeoutMs = 5_000, logger } = options;
  const host = url.replace(/\/+$/, '');
  /** Writer schemas as JSON, by id: from the responses to `/schemas/ids/{id}` and from our own registrations. */
  const rawSchemas = new Map<number, unknown>();

  const timeout: Middleware = () => ({
    prepareRequest: (next) => next().then((request) => request.enhance({ timeout: requestTimeoutMs })),
  });
  const keepWriterSchemas: Middleware = () => ({
    response: (next) =>
      next().then((response) => {
        const match = SCHEMA_BY_ID.exec(response.request().url());
        const data = response.data<{ schema?: unknown }>();
        if (match && typeof data?.schema === 'string') {
          try {
            rawSchemas.set(Number(match[1]), JSON.parse(data.schema));
          } catch {
            // Not JSON (a Protobuf schema): nothing to keep.
          }
        }
        return response;
      }),
  });

  const client = new Client(
    {
      host,
      clientId: 'feedback-gateway',
      auth: username ? { username, password: password ?? '' } : undefined,
      agent: ca && host.startsWith('https:') ? new HttpsAgent({ ca, keepAlive: true }) : undefined,
      // The stream runtime and the consumers retry with their own backoff; one attempt here.
      retry: { retries: 0 },
      middlewares: [timeout, keepWriterSchemas],
    },
    { [SchemaType.AVRO]: {} },
  );

  /** A library or network failure while asking the registry about `what`. */
  function translate(error: unknown, what: string): AppError {
    if (error instanceof AppError) return error;
    if (isResponseError(error)) {
      if (error.status === 401 || error.status === 403) {
        return new UnavailableError(`the schema registry refused our credentials (HTTP ${error.status}) ${what}; check SCHEMA_REGISTRY_USERNAME/PASSWORD`, { cause: error });
      }
      return new UnavailableError(`the schema registry could not be asked ${what}: ${error.message}`, { cause: error });
    }
    return new UnavailableError(`the schema registry could not be asked ${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }

  /**
   * The id of `schema` under `subject`, registering it when it is new. The
   * library's `register` first compares the subject's compatibility level
   * with the one it is given and refuses a mismatch; a registry's own level
   * (Apicurio answers with its global default) is none of our business, so a
   * mismatch is retried once with the level the registry reported.
   */
  async function registeredId(subject: string, schema: AvroSchema): Promise<number> {
    const confluent = { type: SchemaType.AVRO, schema: JSON.stringify(schema) } as const;
    try {
      return await client.getRegistryIdBySchema(subject, confluent);
    } catch (error) {
      // The library turns the 404 (subject or schema not there) into a ConfluentSchemaRegistryError.
      if (!(error instanceof Error && error.name === 'ConfluentSchemaRegistryError')) throw error;
    }
    try {
      return (await client.register(confluent, { subject, updateConfig: false })).id;
    } catch (error) {
      const level = error instanceof Error && error.name === 'ConfluentSchemaRegistryCompatibilityError' ? /!= ([A-Z_]+)\)/.exec(error.message)?.[1] : undefined;
      if (level === undefined) throw error;
      return (await client.register(confluent, { subject, updateConfig: false, compatibility: level as COMPATIBILITY })).id;
    }
  }

  return {
    async decode(bytes) {
      if (!isConfluentFramed(bytes)) throw new InvalidRecordError('', 'not in the Schema Registry wire format (magic byte 0 and a schema id)');
      const id = schemaIdOf(bytes);
      try {
        await client.getSchema(id);
      } catch (error) {
        if (isResponseError(error) && error.status === 404) {
          throw new InvalidRecordError('', `schema id ${id} is unknown to the schema registry`, { cause: error });
        }
        // The registry answered with the schema (kept by the middleware), but it is not one avsc accepts (e.g. a record name with a `-`,
        // as Debezium writes for a topic prefix with one unless `schema.name.adjustment.mode=avro`):
        // retrying cannot help, so the record is the problem and is dead-lettered with the reason.
        if (rawSchemas.has(id) && !isResponseError(error) && !(error instanceof AppError) && error instanceof Error) {
          throw new InvalidRecordError('', `schema id ${id} of the schema registry is not a valid Avro schema: ${error.message}`, { cause: error });
        }
        const e = translate(error, `for schema id ${id}`);
        logger?.debug({ err: e, schemaId: id }, 'schema registry unavailable');
        throw e;
      }
      let value: unknown;
      try {
        // Cached now: this only decodes.
        value = await client.decode(bytes);
      } catch (error) {
        throw new InvalidRecordError('', `Avro bytes do not decode with schema id ${id}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      const raw = rawSchemas.get(id);
      return raw === undefined ? plainAvroValue({}, value) : plainAvroValue(raw, value);
    },

    async encoder(subject, schema): Promise<AvroEncoder> {
      let id: number;
      try {
        id = await registeredId(subject, schema);
      } catch (error) {
        if (isResponseError(error) && (error.status === 409 || error.status === 422)) {
          throw new AppError(ErrorCode.Config, `the schema registry refused the schema for ${subject} (HTTP ${error.status}): ${error.message}`, { cause: error });
        }
        throw translate(error, `to register ${subject}`);
      }
      rawSchemas.set(id, schema);
      const type = await client.getSchema(id).catch((error: unknown) => {
        throw translate(error, `for schema id ${id}`);
      });
      if (!('toBuffer' in type)) throw new AppError(ErrorCode.Internal, `schema id ${id} under ${subject} is not an Avro schema`);
      return {
        subject,
        schemaId: id,
        encode(value) {
          try {
            return frame(id, type.toBuffer(value));
          } catch (error) {
            throw new InvalidRecordError('', `does not fit the Avro schema ${subject} (id ${id}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
          }
        },
      };
    },
  };
}
