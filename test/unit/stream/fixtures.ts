/** Building input records for processor tests. */
import type { Customer } from '../../../src/domain/index.js';
import type { LogRecord, OutRecord } from '../../../src/ports/event-log.js';
import type { StepOutcome } from '../../../src/ports/stream-runtime.js';

let offset = 0;

/** A record as a runtime would hand it over; objects are JSON-encoded, strings and buffers taken as bytes. */
export function rec(topic: string, value: unknown, o: { key?: unknown; headers?: Record<string, string>; timestamp?: number; partition?: number } = {}): LogRecord {
  const bytes = (v: unknown): Buffer | null => (v === null || v === undefined ? null : Buffer.isBuffer(v) ? v : typeof v === 'string' ? Buffer.from(v) : Buffer.from(JSON.stringify(v)));
  return {
    topic,
    partition: o.partition ?? 0,
    offset: String(offset++),
    key: bytes(o.key),
    value: bytes(value),
    timestamp: o.timestamp ?? 1_528_800_000_000,
    headers: o.headers ?? {},
  };
}

export const TOPICS = {
  cdc: 'asgard.demo.CUSTOMERS',
  rekeyed: 'CUSTOMERS_SRC_REKEY',
  ratings: 'ratings',
  enriched: 'ratings-with-customer-data',
  complaints: 'UNHAPPY_PLATINUM_CUSTOMERS',
  pending: '_feedback-join-pending',
  dlq: 'dead-letters',
} as const;

export const NOW = 1_700_000_000_000;

export function emitted(o: StepOutcome): readonly OutRecord[] {
  if (o.kind !== 'done') throw new Error(`expected done, got ${JSON.stringify(o)}`);
  return o.emit;
}

export function only(o: StepOutcome): OutRecord {
  const e = emitted(o);
  if (e.length !== 1) throw new Error(`expected one record, got ${e.length}`);
  return e[0]!;
}

export const json = (r: OutRecord): Record<string, unknown> => JSON.parse(String(r.value)) as Record<string, unknown>;

export const ruthie: Customer = {
  id: 2,
  firstName: 'Ruthie',
  lastName: 'Brockherst',
  email: 'rbrockherst1@ow.ly',
  gender: 'Female',
  clubStatus: 'platinum',
  comments: 'Reverse-engineered tangible interface',
  createTs: '2018-06-12T11:47:30Z',
  updateTs: '2018-06-12T11:47:30Z',
};

export const rating = (o: Record<string, unknown> = {}): Record<string, unknown> => ({
  rating_id: 604087,
  user_id: 2,
  stars: 1,
  route_id: 2777,
  rating_time: 1528800546808,
  channel: 'iOS-test',
  message: 'Exceeded all my expectations. Thank you !',
  ...o,
});
