/**
 * Parsed and validated documents by their text, for graphql-ws. The many
 * subscribers of one dashboard send the same query: parsing it (about 12 KB
 * of AST, tokens and locations each) and running the validation rules (armor
 * cost, depth, aliases ...) once, and keeping one copy, saves every further
 * subscriber that time and memory, and gives them the same document, which
 * lets them share executions (src/server/shared-execution.ts).
 *
 * Only valid documents are remembered: an invalid one is parsed and rejected
 * again each time. graphql-js never mutates a document, so sharing it is safe.
 */
import { GraphQLError, parse, validate, type DocumentNode, type GraphQLSchema, type ParseOptions, type ValidationRule } from 'graphql';

export type Prepared = { readonly ok: true; readonly document: DocumentNode } | { readonly ok: false; readonly stage: 'parse' | 'validate'; readonly errors: readonly GraphQLError[] };

export interface DocumentCacheOptions {
  schema: GraphQLSchema;
  rules: readonly ValidationRule[];
  parseOptions: ParseOptions;
  /** Documents remembered, least recently used forgotten first. @default 500 */
  maxEntries?: number;
  /** Total length of the documents' text remembered (the AST is about 50 times larger). @default 250_000 // characters */
  maxChars?: number;
}

export interface DocumentCache {
  /** Parses and validates `query`, or hands back the document it made for the same text before. */
  prepare(query: string): Prepared;
  readonly size: number;
}

export function createDocumentCache(o: DocumentCacheOptions): DocumentCache {
  const { schema, rules, parseOptions, maxEntries = 500, maxChars = 250_000 } = o;
  const documents = new Map<string, DocumentNode>();
  let chars = 0;

  function remember(query: string, document: DocumentNode): void {
    if (query.length > maxChars) return;
    documents.set(query, document);
    chars += query.length;
    while (documents.size > maxEntries || chars > maxChars) {
      const oldest = documents.keys().next().value as string;
      documents.delete(oldest);
      chars -= oldest.length;
    }
  }

  return {
    prepare(query) {
      const known = documents.get(query);
      if (known !== undefined) {
        // Most recently used last.
        documents.delete(query);
        documents.set(query, known);
        return { ok: true, document: known };
      }
      let document: DocumentNode;
      try {
        document = parse(query, parseOptions);
      } catch (e) {
        if (!(e instanceof GraphQLError)) throw e;
        return { ok: false, stage: 'parse', errors: [e] };
      }
      const errors = validate(schema, document, rules);
      if (errors.length > 0) return { ok: false, stage: 'validate', errors };
      remember(query, document);
      return { ok: true, document };
    },
    get size() {
      return documents.size;
    },
  };
}
