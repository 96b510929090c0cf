/**
 * Dead letters: a record that cannot be processed is written to the
 * dead-letters topic, in the same transaction as its offset, with its
 * original key and value bytes and headers naming what went wrong and where
 * it came from (docs/data-contracts.md, "Dead letters"; header names in src/topics.ts).
 */
import { AppError, ErrorCode, InvalidRecordError } from '../src/errors.js';
import type { LogRecord, OutRecord } from '../src/ports/event-log.js';
import type { StepOutcome } from '../src/ports/stream-runtime.js';
import { DeadLetterHeader } from '../src/topics.js';

/**
 * Largest value kept whole. The source record fitted its topic's limit
 * (1 MiB by default), but the dead letter adds headers; a value beyond this is
 * cut and `dlq.value.truncated` gives the original size.
 * @default 900_000 // bytes
 */
export const MAX_DEAD_LETTER_VALUE_BYTES = 900_000;

export interface DeadLetterOptions {
  /** The dead-letters topic. */
  readonly topic: string;
  /** The processor that gave up on the record. */
  readonly processor: string;
  /** Epoch ms. */
  readonly now: number;
  readonly maxValueBytes?: number;
}

/** The dead-letter record for `record`, failed with `error`. */
export function deadLetter(record: LogRecord, error: unknown, o: DeadLetterOptions): OutRecord {
  const code = error instanceof AppError ? error.code : ErrorCode.Internal;
  const field = error instanceof InvalidRecordError ? error.field : '';
  const message = error instanceof Error ? error.message : String(error);
  const max = o.maxValueBytes ?? MAX_DEAD_LETTER_VALUE_BYTES;
  const headers: Record<string, string> = {
    ...record.headers,
    [DeadLetterHeader.error]: message.length > 2_000 ? `${message.slice(0, 2_000)}…` : message,
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

/** A step that consumes `record` by dead-lettering it (counted as failed). */
export function deadLettered(record: LogRecord, error: unknown, o: DeadLetterOptions): StepOutcome {
  return { kind: 'done', emit: [deadLetter(record, error, o)], failed: 1 };
}
