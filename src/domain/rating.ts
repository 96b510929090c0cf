import { InvalidRecordError } from '../errors.js';
import { isObject, readInt, readOptionalInt, readOptionalString, type Json } from './fields.js';
import { tryRead, type Result } from './result.js';

/** user_id of ratings from people who are not logged in. */
export const ANONYMOUS_USER_ID = -1;
/** Longest message kept; longer records go to dead-letters with the reason. */
export const MAX_MESSAGE_LENGTH = 16_384;

/** A rating as the web and mobile apps send it to the `ratings` topic. */
export interface Rating {
  readonly ratingId: number;
  readonly userId: number;
  readonly stars: number;
  readonly routeId: number | null;
  /** Epoch milliseconds. */
  readonly ratingTime: number;
  /** As sent (`iOS`, `ios`, `iOS-test`, `android`, `web`, ...); see {@link normalizeChannel}. */
  readonly channel: string;
  readonly message: string;
}

/**
 * Parses a value from the `ratings` topic. `fallbackTime` (the record
 * timestamp) stands in for a missing `rating_time`.
 */
export function parseRating(value: unknown, fallbackTime?: number): Result<Rating> {
  return tryRead(() => {
    if (!isObject(value)) throw new InvalidRecordError('', `a rating must be a JSON object, got ${value === null ? 'null' : typeof value}`);
    return readRating(value, fallbackTime);
  });
}

function readRating(o: Json, fallbackTime?: number): Rating {
  const ratingTime = readOptionalInt(o, 'rating_time', { min: 0 }) ?? fallbackTime;
  if (ratingTime === undefined) throw new InvalidRecordError('rating_time', 'is missing');
  return {
    ratingId: readInt(o, 'rating_id', { min: 0 }),
    userId: readInt(o, 'user_id', { min: ANONYMOUS_USER_ID }),
    stars: readInt(o, 'stars', { min: 1, max: 5 }),
    routeId: readOptionalInt(o, 'route_id'),
    ratingTime,
    channel: readOptionalString(o, 'channel', 64)?.trim() || 'unknown',
    message: readOptionalString(o, 'message', MAX_MESSAGE_LENGTH) ?? '',
  };
}

/** The wire form of a rating (as the article's generator writes it); the rating fields of the search documents too. */
export interface RatingRecord {
  rating_id: number;
  user_id: number;
  stars: number;
  route_id: number | null;
  /** Epoch ms. */
  rating_time: number;
  channel: string;
  message: string;
}

/** The wire form of a rating (as the article's generator writes it). */
export function ratingToRecord(r: Rating): RatingRecord {
  return {
    rating_id: r.ratingId,
    user_id: r.userId,
    stars: r.stars,
    route_id: r.routeId,
    rating_time: r.ratingTime,
    channel: r.channel,
    message: r.message,
  };
}

export const isAnonymous = (r: Pick<Rating, 'userId'>): boolean => r.userId === ANONYMOUS_USER_ID;

/**
 * Channel family for dashboards: `iOS`, `ios` and `iOS-test` are all `ios`.
 * The raw spelling stays in the records (existing consumers see it unchanged).
 */
export function normalizeChannel(channel: string): string {
  const c = channel.trim().toLowerCase();
  if (c.startsWith('ios')) return 'ios';
  if (c.startsWith('android')) return 'android';
  if (c.startsWith('web')) return 'web';
  return c || 'unknown';
}

/**
 * The article's ratings as an Avro producer registers them (its data generator wrote
 * `ratings` with `VALUE_FORMAT='AVRO'`): the contract's fields, `route_id` optional.
 * The demo generator writes ratings with it when a schema registry is configured.
 */
export const RATING_AVRO_SCHEMA = {
  type: 'record',
  name: 'Rating',
  namespace: 'feedback.ratings',
  fields: [
    { name: 'rating_id', type: 'long' },
    { name: 'user_id', type: 'int' },
    { name: 'stars', type: 'int' },
    { name: 'route_id', type: ['null', 'int'], default: null },
    { name: 'rating_time', type: 'long' },
    { name: 'channel', type: 'string' },
    { name: 'message', type: 'string' },
  ],
} as const;
