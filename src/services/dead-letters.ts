/**
 * Builds `dead-letters` records (contract: docs/data-contracts.md, "Topics"): the original
 * key and bytes, with headers naming the error, the source topic, partition
 * and offset, and the processor. Used by the sink; the stream layer has its
 * own (stream/ and src/services/ do not import each other).
 */
import { AppError, ErrorCode, InvalidRecordError } from '../errors.js';
import type { LogRecord, OutRecord } from '../ports/event-log.js';
import { DeadLetterHeader } from '../topics.js';

/** Longest error message kept in a header. */
const MAX_ERROR_LENGTH = 2_000;

export interface DeadLetterInput {
  /** The record that could not be processed. */
  readonly record: LogRecord;
  readonly error: unknown;
  /** Who gave up on it (`sink`, `ratings-enricher`, ...). */
  readonly processor: string;
  /** The dead-letters topic (config.topics.deadLetters). */
  readonly topic: string;
  readonly now?: Date;
}

export function deadLetterRecord({ record, error, processor, topic, now = new Date() }: DeadLetterInput): OutRecord {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof AppError ? error.code : ErrorCode.Internal;
  const field = error instanceof InvalidRecordError ? error.field : '';
  return {
    topic,
    key: record.key,
    value: record.value,
    timestamp: record.timestamp,
    headers: {
      // The original headers travel along; ours win on a clash.
      ...record.headers,
      [DeadLetterHeader.error]: message.length > MAX_ERROR_LENGTH ? `${message.slice(0, MAX_ERROR_LENGTH)}…` : message,
      [DeadLetterHeader.errorCode]: code,
      [DeadLetterHeader.errorField]: field,
      [DeadLetterHeader.topic]: record.topic,
      [DeadLetterHeader.partition]: String(record.partition),
      [DeadLetterHeader.offset]: record.offset,
      [DeadLetterHeader.processor]: processor,
      [DeadLetterHeader.time]: now.toISOString(),
    },
  };
}
