/**
 * The Confluent wire format of Schema Registry serializers (Avro, here): a
 * magic byte 0, the schema id as a 4-byte big-endian integer, then the
 * Avro binary encoding. Anything else on a topic read in `auto` format is
 * JSON: JSON text never starts with the byte 0.
 */

/** How the records of an input topic are encoded. */
export const RECORD_FORMATS = ['json', 'avro', 'auto'] as const;
export type RecordFormat = (typeof RECORD_FORMATS)[number];

/** What the product writes to an output topic. */
export const OUTPUT_FORMATS = ['json', 'avro'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const MAGIC_BYTE = 0;
/** Magic byte and schema id. */
export const WIRE_HEADER_BYTES = 5;

/** Whether `bytes` start like a Schema Registry record (magic byte 0 and room for a schema id). */
export function isConfluentFramed(bytes: Buffer | null): bytes is Buffer {
  return bytes !== null && bytes.length >= WIRE_HEADER_BYTES && bytes[0] === MAGIC_BYTE;
}

/** The schema id of a framed record. */
export function schemaIdOf(bytes: Buffer): number {
  return bytes.readInt32BE(1);
}

/** Frames an encoded payload with its schema id. */
export function frame(schemaId: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(WIRE_HEADER_BYTES);
  header.writeUInt8(MAGIC_BYTE, 0);
  header.writeInt32BE(schemaId, 1);
  return Buffer.concat([header, payload]);
}
