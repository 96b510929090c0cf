/**
 * Request limits, the same for HTTP (Apollo) and WebSocket (graphql-ws runs
 * neither Apollo's validation rules nor its plugins, so src/server/ws.ts
 * applies these itself in `onSubscribe`):
 * - graphql-armor: depth, aliases and directives as validation rules
 *   (field suggestions are masked by the error formatter);
 * - tokens: graphql-js' own `maxTokens` parse option (the parser stops
 *   at the limit instead of building a huge document first);
 * - introspection off when configured so (default: off in production);
 * - cost with page sizes multiplied through nested connections
 *   (src/server/query-cost.ts), checked before execution on both transports;
 * - body size, subscriptions and replays per connection, from configuration.
 */
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { NoSchemaIntrospectionCustomRule, type ParseOptions, type ValidationRule } from 'graphql';
import type { Config } from '../config.js';

export const LIMITS = Object.freeze({
  /** Nesting of fields. A rating's customer's ratings' nodes' customer is 5 deep. */
  maxDepth: 10,
  /** Aliases per operation (every alias counts, `__typename` too). */
  maxAliases: 15,
  /** Lexical tokens per document. */
  maxTokens: 2_000,
  /**
   * Fields an operation may fetch, page sizes multiplied through nested
   * connections (src/server/query-cost.ts): 100 ratings with their customer
   * and a page of 20 of that customer's ratings is about 25_000.
   */
  maxListCost: 50_000,
  /** Directives per operation. */
  maxDirectives: 10,
});

export interface ApiLimits {
  /** For graphql-js `validate` beyond `specifiedRules`: armor's, plus no introspection when it is off. */
  readonly validationRules: readonly ValidationRule[];
  /** For Apollo's `validationRules` (Apollo adds the introspection rule itself). */
  readonly apolloValidationRules: readonly ValidationRule[];
  readonly parseOptions: ParseOptions;
  readonly introspection: boolean;
  readonly maxBodyBytes: number;
  readonly maxSubscriptionsPerConnection: number;
  readonly maxReplaysPerConnection: number;
  /** Fields an operation may fetch, lists multiplied (QUERY_TOO_COMPLEX beyond). */
  readonly maxListCost: number;
}

type ArmorConfig = NonNullable<ConstructorParameters<typeof ApolloArmor>[0]>;

export function createLimits(config: Pick<Config, 'api'>): ApiLimits {
  // A fresh config each time: ApolloArmor mutates the one it is given.
  const armorConfig: ArmorConfig = {
    maxDepth: { n: LIMITS.maxDepth, ignoreIntrospection: true },
    maxAliases: { n: LIMITS.maxAliases, allowList: [] },
    // Replaced by src/server/query-cost.ts, which multiplies by page sizes
    // (armor's weighs each field once and its depth factor refuses plain
    // dashboard queries before it refuses a million-node one).
    costLimit: { enabled: false },
    maxDirectives: { n: LIMITS.maxDirectives },
    // Enforced by the parser (parseOptions) on both transports instead.
    maxTokens: { enabled: false },
    // Masked by src/server/error-mapping.ts on both transports instead.
    blockFieldSuggestion: { enabled: false },
  };
  const armor = new ApolloArmor(armorConfig).protect();
  const introspection = config.api.introspection;
  return {
    validationRules: [...armor.validationRules, ...(introspection ? [] : [NoSchemaIntrospectionCustomRule])],
    apolloValidationRules: armor.validationRules,
    parseOptions: { maxTokens: LIMITS.maxTokens },
    introspection,
    maxBodyBytes: config.api.maxBodyBytes,
    maxSubscriptionsPerConnection: config.api.maxSubscriptionsPerConnection,
    maxReplaysPerConnection: config.api.maxReplaysPerConnection,
    maxListCost: LIMITS.maxListCost,
  };
}
