import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  // One copy of graphql for project code and for Apollo/graphql-ws (otherwise
  // "Cannot use GraphQLSchema from another module or realm").
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['test/**/*.test.ts'],
    // The long fault tests: npm run chaos (vitest.chaos.config.ts).
    exclude: [...configDefaults.exclude, 'test/chaos/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Integration tests share one Kafka and one Elasticsearch; two cores.
    fileParallelism: true,
    maxWorkers: 2,
    reporters: process.env.CI === 'true' ? ['default'] : ['default'],
  },
});
