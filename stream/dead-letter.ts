/**
 * Dead letters: a record that cannot be processed is written to the
 * dead-letters topic, in the same transaction as its offset, with its
 * original key and value bytes and headers naming what went wrong and where
 * it came from. The record is built by the one builder the sink uses too
 * (src/domain/dead-letter.ts; header names there).
 */
import { buildDeadLetter, type DeadLetterOptions } from '../src/domain/index.js';
import type { LogRecord, OutRecord } from '../src/ports/event-log.js';
import type { StepOutcome } from '../src/ports/stream-runtime.js';

export { MAX_DEAD_LETTER_VALUE_BYTES, type DeadLetterOptions } from '../src/domain/index.js';

/** The dead-letter record for `record`, failed with `error`. */
export function deadLetter(record: LogRecord, error: unknown, o: DeadLetterOptions): OutRecord {
  return buildDeadLetter(record, error, o);
}

/** A step that consumes `record` by dead-lettering it (counted as failed). */
export function deadLettered(record: LogRecord, error: unknown, o: DeadLetterOptions): StepOutcome {
  return { kind: 'done', emit: [deadLetter(record, error, o)], failed: 1 };
}
