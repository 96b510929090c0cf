/**
 * graphql-codegen: resolver types from schema/*.graphql, committed at
 * resolvers/__generated__/types.ts. `npm run codegen` writes it;
 * `npm run codegen:check` (scripts/check-codegen.ts) fails when it is stale.
 *
 * Mappers make resolvers return domain objects (src/domain) and port results
 * (src/ports), so the generated parent types are what the ports give.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

export const GENERATED_TYPES = 'resolvers/__generated__/types.ts';

const domain = '../../src/domain/index.js';
const ports = (file: string): string => `../../src/ports/${file}.js`;
const api = (file: string): string => `../../src/api/${file}.js`;

const config: CodegenConfig = {
  overwrite: true,
  silent: true,
  schema: 'schema/*.graphql',
  generates: {
    [GENERATED_TYPES]: {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        useTypeImports: true,
        immutableTypes: true,
        enumsAsTypes: true,
        strictScalars: true,
        useIndexSignature: false,
        mapperTypeSuffix: 'Model',
        contextType: `${api('api-context')}#ApiContext`,
        scalars: {
          ID: { input: 'string', output: 'string' },
          DateTime: { input: 'Date', output: 'Date | string | number' },
          SafeInt: 'number',
        },
        mappers: {
          Rating: `${domain}#EnrichedRating`,
          Customer: `${domain}#Customer`,
          Complaint: `${domain}#Complaint`,
          Acknowledgement: `${domain}#Acknowledgement`,
          Resolution: `${domain}#Resolution`,
          ComplaintStatsDay: `${ports('search')}#ComplaintStatsDay`,
          SlackMessage: `${domain}#SlackMessageRef`,
          RatingEdge: `${api('api-models')}#RatingPageEdge`,
          RatingConnection: `${api('api-models')}#RatingPage`,
          ComplaintEdge: `${api('api-models')}#ComplaintPageEdge`,
          ComplaintConnection: `${api('api-models')}#ComplaintPage`,
          RatingStatsBucket: `${ports('search')}#StatsBucket`,
          RatingHistogramBucket: `${ports('search')}#HistogramBucket`,
          StreamProcessor: `${ports('stream-runtime')}#ProcessorStatus`,
          ComplaintRaisedEvent: `${api('live-feed')}#ComplaintEvent`,
        },
      },
    },
  },
};

export default config;
