import { describe, expect, it } from 'vitest';
import { frame, isConfluentFramed, parseCustomerChange, plainAvroValue, schemaIdOf } from '../../../src/domain/index.js';

/** Debezium's MySQL connector with the Avro converter: the value schema of a full envelope (trimmed). */
const envelopeSchema = {
  type: 'record',
  name: 'Envelope',
  namespace: 'asgard.demo.CUSTOMERS',
  fields: [
    {
      name: 'before',
      type: [
        'null',
        {
          type: 'record',
          name: 'Value',
          fields: [
            { name: 'id', type: 'int' },
            { name: 'first_name', type: ['null', 'string'], default: null },
            { name: 'club_status', type: ['null', 'string'], default: null },
            { name: 'create_ts', type: { type: 'string', 'connect.version': 1, 'connect.name': 'io.debezium.time.ZonedTimestamp' } },
            { name: 'update_ts', type: ['null', { type: 'long', 'connect.version': 1, 'connect.name': 'io.debezium.time.MicroTimestamp' }], default: null },
            { name: 'birthday', type: ['null', { type: 'int', 'connect.name': 'io.debezium.time.Date' }], default: null },
            { name: 'balance', type: ['null', { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2, 'connect.name': 'org.apache.kafka.connect.data.Decimal' }], default: null },
          ],
          'connect.name': 'asgard.demo.CUSTOMERS.Value',
        },
      ],
      default: null,
    },
    { name: 'after', type: ['null', 'Value'], default: null },
    { name: 'op', type: 'string' },
    { name: 'ts_ms', type: ['null', 'long'], default: null },
  ],
};

describe('plainAvroValue', () => {
  it('maps Debezium logical types inside a full envelope, following the named reference to Value', () => {
    const after = { id: 1, first_name: 'Rica', club_status: 'bronze', create_ts: '2018-06-12T13:04:15Z', update_ts: 1_528_808_655_123_456, birthday: 17_000, balance: Buffer.from([0x04, 0xe2]) };
    const out = plainAvroValue(envelopeSchema, { before: null, after, op: 'c', ts_ms: 1_528_808_655_000 }) as Record<string, Record<string, unknown>>;
    expect(out.after).toEqual({ id: 1, first_name: 'Rica', club_status: 'bronze', create_ts: '2018-06-12T13:04:15Z', update_ts: 1_528_808_655_123, birthday: '2016-07-18', balance: '12.50' });
    const change = parseCustomerChange({ id: 1 }, out);
    expect(change.ok && change.value.kind === 'upsert' && change.value.customer).toMatchObject({ id: 1, clubStatus: 'bronze', createTs: '2018-06-12T13:04:15Z', updateTs: '2018-06-12T13:04:15.123Z' });
  });

  it('maps millisecond timestamps and nanoseconds (safe integers only: avsc refuses larger longs), negative decimals, and leaves plain fields alone', () => {
    const schema = {
      type: 'record',
      name: 'Row',
      fields: [
        { name: 'ms', type: { type: 'long', 'connect.name': 'io.debezium.time.Timestamp' } },
        { name: 'tm', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'ns', type: { type: 'long', 'connect.name': 'io.debezium.time.NanoTimestamp' } },
        { name: 'd', type: { type: 'bytes', logicalType: 'decimal', scale: 1 } },
        { name: 'n', type: 'long' },
        { name: 'tags', type: { type: 'array', items: 'string' } },
      ],
    };
    expect(plainAvroValue(schema, { ms: 1_528_800_546_808, tm: 5, ns: 5_999_999, d: Buffer.from([0xff, 0x85]), n: 7, tags: ['a'] })).toEqual({
      ms: 1_528_800_546_808,
      tm: 5,
      ns: 5,
      d: '-12.3',
      n: 7,
      tags: ['a'],
    });
  });

  it('unwraps a wrapped union branch', () => {
    expect(plainAvroValue(['null', 'string', 'long'], { long: 3 })).toBe(3);
    expect(plainAvroValue(['null', 'string', 'long'], null)).toBeNull();
  });
});

describe('Confluent wire format', () => {
  it('frames a payload with magic byte 0 and a big-endian schema id, and recognises it', () => {
    const framed = frame(258, Buffer.from([1, 2]));
    expect([...framed]).toEqual([0, 0, 0, 1, 2, 1, 2]);
    expect(isConfluentFramed(framed)).toBe(true);
    expect(schemaIdOf(framed)).toBe(258);
    expect(isConfluentFramed(Buffer.from('{"rating_id":1}'))).toBe(false);
    expect(isConfluentFramed(Buffer.from([0, 0, 1]))).toBe(false);
    expect(isConfluentFramed(null)).toBe(false);
  });
});
