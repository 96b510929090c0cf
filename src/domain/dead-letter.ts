/**
 * The one builder of `dead-letters` records (contract: docs/data-contracts.md, "dead-letters"),
 * used by the stream layer and the sink alike: the original key and value
 * bytes, with headers naming the error, the source topic, partition and
 * offset, and the processor. Pure: the caller passes the time.
 */
import { AppError, ErrorCode, InvalidRecordError } from '../errors.js';

/** Headers of a `dead-letters` record (contract). */
export const DeadLetterHeader = Object.freeze({
  error: 'dlq.error',
  errorCode: 'dlq.error.code',
  errorField: 'dlq.error.field',
  topic: 'dlq.source.topic',
  partition: 'dlq.source.partition',
  offset: 'dlq.source.offset',
  processor: 'dlq.processor',
  time: 'dlq.time',
  /** Set (to the original size in bytes) when the value was cut to fit the topic's message size limit. */
  valueTruncated: 'dlq.value.truncated',
});

/**
 * Largest value kept whole. The source record fitted its topic's limit
 * (1 MiB by default), but the dead letter adds headers; a value beyond this is
 * cut and `dlq.value.truncated` gives the original size.
 * @default 900_000 // bytes
 */
export const MAX_DEAD_LETTER_VALUE_BYTES = 900_000;

/** Longest error message kept in the `dlq.error` header; longer ones end in `…`. */
export const MAX_DEAD_LETTER_ERROR_LENGTH = 2_000;

/** The record given up on (structurally a LogRecord of the event log port). */
export interface DeadLetterSource {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

export interface DeadLetterOptions {
  /** The dead-letters topic (config.topics.deadLetters). */
  readonly topic: string;
  /** Who gave up on the record (`sink`, `enrich-ratings`, ...). */
  readonly processor: string;
  /** When, epoch ms: the dead letter's timestamp and `dlq.time`. */
  readonly now: number;
  /** @default MAX_DEAD_LETTER_VALUE_BYTES */
  readonly maxValueBytes?: number;
}

/** A record for the dead-letters topic (structurally an OutRecord of the event log port). */
export interface DeadLetter {
  readonly topic: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly timestamp: number;
}

/** The dead letter for `record`, failed with `error`. The original headers travel along; ours win on a clash. */
export function buildDeadLetter(record: DeadLetterSource, error: unknown, o: DeadLetterOptions): DeadLetter {
  const code = error instanceof AppError ? error.code : ErrorCode.Internal;
  const field = error instanceof InvalidRecordError ? error.field : '';
  const message = error instanceof Error ? error.message : String(error);
  const max = o.maxValueBytes ?? MAX_DEAD_LETTER_VALUE_BYTES;
  const headers: Record<string, string> = {
    ...record.headers,
    [DeadLetterHeader.error]: message.length > MAX_DEAD_LETTER_ERROR_LENGTH ? `${message.slice(0, MAX_DEAD_LETTER_ERROR_LENGTH)}…` : message,
    [DeadLetterHeader.errorCode]: code,
    [DeadLetterHeader.errorField]: field,
    [DeadLetterHeader.topic]: record.topic,
    [DeadLetterHeader.partition]: String(record.partition),
    [DeadLetterHeader.offset]: record.offset,
    [DeadLetterHeader.processor]: o.processor,
    [DeadLetterHeader.time]: new Date(o.now).toISOString(),
  };
  let value = record.value;
  if (value !== null && value.length > max) {
    headers[DeadLetterHeader.valueTruncated] = String(value.length);
    value = value.subarray(0, max);
  }
  return { topic: o.topic, key: record.key, value, headers, timestamp: o.now };
}
