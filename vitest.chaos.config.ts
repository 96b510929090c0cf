import { defineConfig } from 'vitest/config';

/**
 * `npm run chaos`: the fault tests that take longer than about a minute
 * (test/chaos/**), kept out of `npm test` (docs/fault-matrix.md lists them).
 * Each starts the servers it breaks; the global setup provides the shared ones.
 * One file at a time: they load the machine.
 */
export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['test/chaos/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    maxWorkers: 1,
  },
});
