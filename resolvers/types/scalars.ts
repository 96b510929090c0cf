import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

function toDate(value: unknown): Date {
  if (typeof value !== 'string' || !ISO_WITH_ZONE.test(value)) {
    throw new GraphQLError(`DateTime must be an ISO-8601 string with a time zone (e.g. 2018-06-12T10:09:06.808Z), got ${JSON.stringify(value)}`);
  }
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new GraphQLError(`DateTime ${JSON.stringify(value)} is not a valid instant`);
  return d;
}

/** Out: Date, epoch ms or ISO string → ISO string in UTC. In: ISO string with zone → Date. */
export const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize(value) {
    const d = value instanceof Date ? value : typeof value === 'number' || typeof value === 'string' ? new Date(value) : null;
    if (d === null || Number.isNaN(d.getTime())) throw new GraphQLError(`DateTime cannot represent ${JSON.stringify(value)}`);
    return d.toISOString();
  },
  parseValue: toDate,
  parseLiteral(ast: ValueNode) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be a string literal such as "2018-06-12T10:09:06.808Z"', { nodes: ast });
    return toDate(ast.value);
  },
});

function toSafeInt(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new GraphQLError(`SafeInt must be an integer up to 2^53 - 1, got ${JSON.stringify(value)}`);
  return value;
}

export const SafeInt = new GraphQLScalarType<number, number>({
  name: 'SafeInt',
  serialize: toSafeInt,
  parseValue: toSafeInt,
  parseLiteral(ast: ValueNode) {
    if (ast.kind !== Kind.INT) throw new GraphQLError('SafeInt must be an integer literal', { nodes: ast });
    return toSafeInt(Number(ast.value));
  },
});
