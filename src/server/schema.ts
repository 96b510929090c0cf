/**
 * The executable schema: SDL from schema/*.graphql, resolvers from
 * resolvers/. Built once and shared by Apollo (HTTP) and graphql-ws, so
 * both transports execute exactly the same schema.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GraphQLObjectType, GraphQLScalarType, assertValidSchema, buildASTSchema, concatAST, parse, type DocumentNode, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { AppError, ErrorCode } from '../errors.js';
import { resolvers as defaultResolvers } from '../../resolvers/index.js';

/** Finds `schema/` by walking up from this module (works from src/ under tsx and from dist/ after a build). */
export function schemaDir(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from, i = 0; i < 8; i++, dir = dirname(dir)) {
    const candidate = join(dir, 'schema');
    if (existsSync(join(candidate, 'base.graphql'))) return candidate;
  }
  throw new AppError(ErrorCode.Config, `schema/base.graphql not found above ${from}`);
}

/** The SDL, every schema/*.graphql in name order, as one document. */
export function loadTypeDefs(dir: string = schemaDir()): DocumentNode {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .sort();
  return concatAST(files.map((f) => parse(readFileSync(join(dir, f), 'utf8'))));
}

type FieldResolverMap = Record<string, GraphQLFieldResolver<unknown, unknown> | { subscribe?: GraphQLFieldResolver<unknown, unknown>; resolve?: GraphQLFieldResolver<unknown, unknown> }>;

/**
 * Attaches a resolver map (codegen `Resolvers`) to an SDL schema. Fails at
 * start-up on a resolver for a type or field the SDL does not have, so a
 * rename in the schema cannot silently leave a resolver behind.
 */
export function buildSchema(typeDefs: DocumentNode = loadTypeDefs(), resolvers: object = defaultResolvers): GraphQLSchema {
  const schema = buildASTSchema(typeDefs);
  for (const [typeName, value] of Object.entries(resolvers)) {
    const type = schema.getType(typeName);
    if (type instanceof GraphQLScalarType && value instanceof GraphQLScalarType) {
      // buildASTSchema made a placeholder scalar; give it the implementation.
      Object.assign(type, {
        serialize: value.serialize,
        parseValue: value.parseValue,
        parseLiteral: value.parseLiteral,
        specifiedByURL: value.specifiedByURL,
      });
      continue;
    }
    if (!(type instanceof GraphQLObjectType)) throw new AppError(ErrorCode.Internal, `resolvers name ${typeName}, which is not an object type or scalar of the schema`);
    const fields = type.getFields();
    for (const [fieldName, r] of Object.entries(value as FieldResolverMap)) {
      const field = fields[fieldName];
      if (!field) throw new AppError(ErrorCode.Internal, `resolvers name ${typeName}.${fieldName}, which the schema does not have`);
      if (typeof r === 'function') field.resolve = r;
      else {
        if (r.subscribe) field.subscribe = r.subscribe;
        if (r.resolve) field.resolve = r.resolve;
      }
    }
  }
  assertValidSchema(schema);
  return schema;
}
