/** Kafka offsets as the event log hands them out: decimal strings (they may exceed 2^53). */

/** The next offset after a record (offsets are decimal strings). */
export const nextOffset = (offset: string): string => (BigInt(offset) + 1n).toString();
