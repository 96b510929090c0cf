/**
 * Avro values as the JSON path would have them. An Avro decoder gives what the
 * writer schema says; Kafka Connect and Debezium put meaning in annotations
 * (`connect.name`, `logicalType`) that JSON carried differently. This maps a
 * decoded value, walked together with its writer schema, onto plain JSON-like
 * values the domain parsers (`parseRating`, `parseCustomerChange`, ...) read:
 *
 * - `io.debezium.time.ZonedTimestamp` (a string): unchanged, e.g. `2018-06-12T13:04:15Z`;
 * - `io.debezium.time.Timestamp`, `timestamp-millis`, Connect's `Timestamp`: epoch ms;
 * - `io.debezium.time.MicroTimestamp`, `timestamp-micros`: epoch ms (truncated);
 * - `io.debezium.time.NanoTimestamp`: epoch ms (truncated);
 * - `io.debezium.time.Date`, `date`, Connect's `Date` (days since the epoch): `YYYY-MM-DD`;
 * - `decimal` (bytes with a scale): its decimal string, e.g. `"12.50"`;
 * - records: plain objects; unions: the branch value (null stays null).
 *
 * Pure: no I/O, no library. The schema is the writer schema as JSON (what a
 * registry serves under `/schemas/ids/{id}`, parsed).
 */

type Schema = unknown;

const MILLIS = new Set(['io.debezium.time.Timestamp', 'org.apache.kafka.connect.data.Timestamp', 'timestamp-millis', 'local-timestamp-millis']);
const MICROS = new Set(['io.debezium.time.MicroTimestamp', 'timestamp-micros', 'local-timestamp-micros']);
const NANOS = new Set(['io.debezium.time.NanoTimestamp', 'timestamp-nanos', 'local-timestamp-nanos']);
const DAYS = new Set(['io.debezium.time.Date', 'org.apache.kafka.connect.data.Date', 'date']);
const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Named types seen so far (records, enums, fixed), by full and short name, for references. */
type Names = Map<string, Record<string, unknown>>;

/** Maps `value`, decoded with `schema`, onto plain JSON-like values (see the module comment). */
export function plainAvroValue(schema: Schema, value: unknown): unknown {
  const names: Names = new Map();
  collectNames(schema, names, '');
  return walk(schema, value, names, '');
}

/** Registers every named type of the schema first: a reference may come before the branch that defined it holds a value. */
function collectNames(schema: Schema, names: Names, namespace: string): void {
  if (Array.isArray(schema)) {
    for (const branch of schema) collectNames(branch, names, namespace);
    return;
  }
  if (!isRecord(schema)) return;
  const type = schema.type;
  if (type === 'record' || type === 'error' || type === 'enum' || type === 'fixed') {
    const { full, ns } = fullName(schema, namespace);
    names.set(full, schema);
    if (!names.has(String(schema.name))) names.set(String(schema.name), schema);
    if (Array.isArray(schema.fields)) for (const f of schema.fields) if (isRecord(f)) collectNames(f.type, names, ns);
    return;
  }
  if (type === 'array') return collectNames(schema.items, names, namespace);
  if (type === 'map') return collectNames(schema.values, names, namespace);
  if (isRecord(type) || Array.isArray(type)) collectNames(type, names, namespace);
}

function fullName(s: Record<string, unknown>, namespace: string): { full: string; ns: string } {
  const name = String(s.name ?? '');
  if (name.includes('.')) return { full: name, ns: name.slice(0, name.lastIndexOf('.')) };
  const ns = typeof s.namespace === 'string' ? s.namespace : namespace;
  return { full: ns ? `${ns}.${name}` : name, ns };
}

function resolveName(ref: string, names: Names, namespace: string): Record<string, unknown> | undefined {
  return names.get(ref) ?? (namespace ? names.get(`${namespace}.${ref}`) : undefined) ?? names.get(ref.slice(ref.lastIndexOf('.') + 1));
}

function walk(schema: Schema, value: unknown, names: Names, namespace: string): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof schema === 'string') {
    if (PRIMITIVES.has(schema)) return primitive(schema, {}, value);
    const named = resolveName(schema, names, namespace);
    return named ? walk(named, value, names, namespace) : plain(value);
  }
  if (Array.isArray(schema)) return union(schema, value, names, namespace);
  if (!isRecord(schema)) return plain(value);
  const type = schema.type;
  if (typeof type === 'string' && PRIMITIVES.has(type)) return primitive(type, schema, value);
  if (type === 'record' || type === 'error') {
    const { ns } = fullName(schema, namespace);
    if (!isRecord(value)) return plain(value);
    const out: Record<string, unknown> = {};
    const fields = Array.isArray(schema.fields) ? schema.fields : [];
    for (const f of fields) {
      if (!isRecord(f) || typeof f.name !== 'string') continue;
      out[f.name] = walk(f.type, value[f.name], names, ns);
    }
    return out;
  }
  if (type === 'enum' || type === 'fixed') {
    return type === 'fixed' && schema.logicalType === 'decimal' && Buffer.isBuffer(value) ? decimal(value, schema) : plain(value);
  }
  if (type === 'array') return Array.isArray(value) ? value.map((v) => walk(schema.items, v, names, namespace)) : plain(value);
  if (type === 'map') {
    if (!isRecord(value)) return plain(value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(schema.values, v, names, namespace)]));
  }
  // A nested type object ({"type": {"type": "long", ...}}) or a named reference in "type".
  return walk(type, value, names, namespace);
}

function union(branches: readonly Schema[], value: unknown, names: Names, namespace: string): unknown {
  const nonNull = branches.filter((b) => b !== 'null' && !(isRecord(b) && b.type === 'null'));
  if (nonNull.length === 1) return walk(nonNull[0], value, names, namespace);
  // An ambiguous union decodes wrapped: {"<branch name>": value}.
  if (isRecord(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const key = keys[0] as string;
      const branch = nonNull.find((b) => branchName(b, namespace) === key || branchName(b, '') === key);
      if (branch !== undefined) return walk(branch, value[key], names, namespace);
    }
  }
  return plain(value);
}

function branchName(b: Schema, namespace: string): string {
  if (typeof b === 'string') return b;
  if (!isRecord(b)) return '';
  if (typeof b.type === 'string' && PRIMITIVES.has(b.type)) return b.type;
  if (b.type === 'array' || b.type === 'map') return b.type;
  return fullName(b, namespace).full;
}

function primitive(type: string, annotations: Record<string, unknown>, value: unknown): unknown {
  const kind = typeof annotations['connect.name'] === 'string' ? (annotations['connect.name'] as string) : '';
  const logical = typeof annotations.logicalType === 'string' ? annotations.logicalType : '';
  const is = (set: ReadonlySet<string>): boolean => set.has(kind) || set.has(logical);
  if ((type === 'long' || type === 'int') && typeof value === 'number') {
    if (is(MICROS)) return Math.floor(value / 1_000);
    if (is(NANOS)) return Math.floor(value / 1_000_000);
    if (is(DAYS)) return new Date(value * 86_400_000).toISOString().slice(0, 10);
    if (is(MILLIS)) return value;
    return value;
  }
  if (type === 'bytes' && Buffer.isBuffer(value)) return logical === 'decimal' ? decimal(value, annotations) : value.toString('base64');
  return plain(value);
}

/** A big-endian two's-complement unscaled integer with the schema's scale, as a decimal string. */
function decimal(bytes: Buffer, annotations: Record<string, unknown>): string {
  const scale = typeof annotations.scale === 'number' ? annotations.scale : 0;
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  if (bytes.length > 0 && ((bytes[0] as number) & 0x80) !== 0) n -= 1n << BigInt(bytes.length * 8);
  const negative = n < 0n;
  const digits = (negative ? -n : n).toString().padStart(scale + 1, '0');
  const text = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return negative ? `-${text}` : text;
}

/** Records of a generated class, Buffers and the like, as plain JSON-like values. */
function plain(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map(plain);
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}
