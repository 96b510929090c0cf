/**
 * What an operation may fetch, counted before anything runs: graphql-armor's
 * cost limit weighs each field once, however many times a list repeats it,
 * so `ratings(first:100){nodes{customer{ratings(first:100){...}}}}` passes
 * it while fetching a million documents. Here each field costs 1, and what
 * is selected under a connection (a field with a `first` argument whose type
 * has `nodes` or `edges`) is multiplied by its page size: `first` with the
 * operation's variables resolved, the default page size when absent (the
 * estimate graphql-query-complexity's `fieldExtensionsEstimator` and
 * `simpleEstimator` make, in a few lines).
 *
 * Checked after validation and before execution, on both transports: an
 * Apollo plugin (HTTP) and graphql-ws `onSubscribe` (src/server/ws.ts). Over
 * the limit: QUERY_TOO_COMPLEX, and no resolver runs.
 */
import {
  GraphQLError,
  Kind,
  getArgumentValues,
  getNamedType,
  getOperationAST,
  isObjectType,
  isInterfaceType,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';

export const QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX';

export interface CostOptions {
  /** Page size of a connection queried without `first`. */
  defaultPageSize: number;
  /** Counting stops above this (the answer is then just "too much"). */
  stopAbove: number;
}

/** An operation to cost: `operationName` of `document` with its variables, against `schema`. */
export interface CostedOperation {
  readonly schema: GraphQLSchema;
  readonly document: DocumentNode;
  readonly operationName?: string | null | undefined;
  readonly variables?: Readonly<Record<string, unknown>> | null | undefined;
}

/** The cost of the operation (0 when the document has no such operation). */
export function operationCost({ schema, document, operationName, variables }: CostedOperation, o: CostOptions): number {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return 0;
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const vars = (variables ?? {}) as Record<string, unknown>;

  function pageSize(value: unknown): number {
    return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : o.defaultPageSize;
  }

  function cost(set: SelectionSetNode, type: GraphQLNamedType, depth: number): number {
    if (depth > 64 || (!isObjectType(type) && !isInterfaceType(type))) return 0;
    const fields = type.getFields();
    let total = 0;
    for (const sel of set.selections) {
      if (total > o.stopAbove) return total;
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const f = fragments.get(sel.name.value);
        const t = f ? schema.getType(f.typeCondition.name.value) : undefined;
        if (f && t) total += cost(f.selectionSet, t, depth + 1);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const t = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : type;
        if (t) total += cost(sel.selectionSet, t, depth + 1);
      } else {
        const def = fields[sel.name.value];
        if (!def) continue; // __typename and introspection
        let multiplier = 1;
        const named = getNamedType(def.type);
        const isConnection = def.args.some((a) => a.name === 'first') && (isObjectType(named) || isInterfaceType(named)) && ('nodes' in named.getFields() || 'edges' in named.getFields());
        if (isConnection) {
          let first: unknown;
          try {
            first = getArgumentValues(def, sel, vars).first;
          } catch {
            first = undefined; // bad variables: execution reports them
          }
          multiplier = pageSize(first);
        }
        total += 1 + (sel.selectionSet ? multiplier * cost(sel.selectionSet, named, depth + 1) : 0);
      }
    }
    return total;
  }

  return cost(operation.selectionSet, root, 0);
}

/** QUERY_TOO_COMPLEX when the operation costs more than `maxCost`; null otherwise. */
export function checkCost(op: CostedOperation, maxCost: number, defaultPageSize: number): GraphQLError | null {
  const c = operationCost(op, { defaultPageSize, stopAbove: maxCost });
  if (c <= maxCost) return null;
  return new GraphQLError(
    `query cost of at least ${Math.ceil(c)} exceeds the limit of ${maxCost} (each field counts 1, times the page size of every connection above it); ask for smaller pages or fewer nested lists`,
    {
      extensions: { code: QUERY_TOO_COMPLEX, cost: Math.ceil(c), maxCost, http: { status: 400 } },
    },
  );
}
