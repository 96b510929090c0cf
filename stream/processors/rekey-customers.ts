/**
 * asgard.demo.CUSTOMERS (Debezium CDC) → CUSTOMERS_SRC_REKEY: re-keys each
 * customer row by its id (a plain string, as KSQL's `PARTITION BY ID` did),
 * with KSQL-style upper-case columns. A delete (tombstone, `op: "d"`,
 * `__deleted`) becomes a tombstone on the id, so compaction forgets the
 * customer. Anything else goes to dead-letters.
 *
 * Keys and values may be JSON or Avro (CUSTOMERS_FORMAT): the decoder was
 * prepared for the batch by the runtime, so this step reads them without I/O.
 */
import { customerToRekeyRecord, parseCustomerChange } from '../../src/domain/index.js';
import type { LogRecord } from '../../src/ports/event-log.js';
import type { StepOutcome } from '../../src/ports/stream-runtime.js';
import { jsonDecoder, type RecordDecoder } from '../../src/services/record-codec.js';
import { deadLettered } from '../dead-letter.js';
import { idKey } from '../decode.js';

export const REKEY_CUSTOMERS = 'rekey-customers';

export interface RekeyConfig {
  /** CUSTOMERS_SRC_REKEY. */
  readonly output: string;
  readonly deadLetters: string;
  /** @default 'rekey-customers' */
  readonly processor?: string;
  /** Reads the CDC records' keys and values (prepared for the batch). @default JSON */
  readonly decoder?: RecordDecoder;
}

export function rekeyCustomer(record: LogRecord, cfg: RekeyConfig, now: number): StepOutcome {
  const dlq = { topic: cfg.deadLetters, processor: cfg.processor ?? REKEY_CUSTOMERS, now };
  let change;
  try {
    const decoder = cfg.decoder ?? jsonDecoder;
    change = parseCustomerChange(decoder.key(record), decoder.value(record));
  } catch (e) {
    return deadLettered(record, e, dlq);
  }
  if (!change.ok) return deadLettered(record, change.error, dlq);
  const c = change.value;
  if (c.kind === 'delete') {
    return { kind: 'done', emit: [{ topic: cfg.output, key: idKey(c.id), value: null, timestamp: record.timestamp }] };
  }
  return {
    kind: 'done',
    emit: [{ topic: cfg.output, key: idKey(c.customer.id), value: JSON.stringify(customerToRekeyRecord(c.customer)), timestamp: record.timestamp }],
  };
}
