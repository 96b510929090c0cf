import { InvalidRecordError } from '../errors.js';
import type { Customer } from './customer.js';
import { isObject, readInt, readOptionalInt, readOptionalString, type Json } from './fields.js';
import { MAX_MESSAGE_LENGTH, type Rating } from './rating.js';
import { tryRead, type Result } from './result.js';

/** A rating joined with its customer: a record of `ratings-with-customer-data`. */
export interface EnrichedRating extends Rating {
  readonly customer: Customer;
}

export const enrich = (rating: Rating, customer: Customer): EnrichedRating => ({ ...rating, customer });

/**
 * The `ratings-with-customer-data` value: the article's columns (RATING_ID,
 * CHANNEL, STARS, MESSAGE, ID, CLUB_STATUS, EMAIL, FIRST_NAME, LAST_NAME) plus
 * USER_ID, ROUTE_ID, RATING_TIME. `UNHAPPY_PLATINUM_CUSTOMERS` uses the same
 * columns, so a complaint can be read with the same parser.
 */
export function enrichedToRecord(e: EnrichedRating): Json {
  return {
    RATING_ID: e.ratingId,
    USER_ID: e.userId,
    STARS: e.stars,
    ROUTE_ID: e.routeId,
    RATING_TIME: e.ratingTime,
    CHANNEL: e.channel,
    MESSAGE: e.message,
    ID: e.customer.id,
    CLUB_STATUS: e.customer.clubStatus,
    EMAIL: e.customer.email,
    FIRST_NAME: e.customer.firstName,
    LAST_NAME: e.customer.lastName,
    GENDER: e.customer.gender,
  };
}

const nullable = (type: string): { type: readonly unknown[]; default: null } => ({ type: ['null', type], default: null });

/**
 * The Avro schema of `ratings-with-customer-data` when it is written as Avro
 * (`ENRICHED_FORMAT=avro`), registered under `<topic>-value`: the columns of
 * {@link enrichedToRecord}, named as KSQL named them for an Avro source (its
 * record name and namespace too), so sinks that used KSQL's output (Kafka
 * Connect with the Avro converter) read it unchanged. Columns that can be
 * null are optional unions.
 */
export const ENRICHED_AVRO_SCHEMA = {
  type: 'record',
  name: 'KsqlDataSourceSchema',
  namespace: 'io.confluent.ksql.avro_schemas',
  fields: [
    { name: 'RATING_ID', type: 'long' },
    { name: 'USER_ID', type: 'long' },
    { name: 'STARS', type: 'int' },
    { name: 'ROUTE_ID', ...nullable('long') },
    { name: 'RATING_TIME', type: 'long' },
    { name: 'CHANNEL', type: 'string' },
    { name: 'MESSAGE', type: 'string' },
    { name: 'ID', type: 'long' },
    { name: 'CLUB_STATUS', ...nullable('string') },
    { name: 'EMAIL', ...nullable('string') },
    { name: 'FIRST_NAME', ...nullable('string') },
    { name: 'LAST_NAME', ...nullable('string') },
    { name: 'GENDER', ...nullable('string') },
  ],
} as const;

export function parseEnrichedRecord(value: unknown): Result<EnrichedRating> {
  return tryRead(() => {
    if (!isObject(value)) throw new InvalidRecordError('', 'an enriched rating must be a JSON object');
    return read(value);
  });
}

function read(o: Json): EnrichedRating {
  const id = readInt(o, 'ID');
  return {
    ratingId: readInt(o, 'RATING_ID', { min: 0 }),
    userId: readOptionalInt(o, 'USER_ID') ?? id,
    stars: readInt(o, 'STARS', { min: 1, max: 5 }),
    routeId: readOptionalInt(o, 'ROUTE_ID'),
    ratingTime: readInt(o, 'RATING_TIME', { min: 0 }),
    channel: readOptionalString(o, 'CHANNEL', 64) ?? 'unknown',
    message: readOptionalString(o, 'MESSAGE', MAX_MESSAGE_LENGTH) ?? '',
    customer: {
      id,
      firstName: readOptionalString(o, 'FIRST_NAME', 256),
      lastName: readOptionalString(o, 'LAST_NAME', 256),
      email: readOptionalString(o, 'EMAIL', 320),
      gender: readOptionalString(o, 'GENDER', 64),
      clubStatus: readOptionalString(o, 'CLUB_STATUS', 64)?.toLowerCase() ?? null,
      comments: null,
      createTs: null,
      updateTs: null,
    },
  };
}
