/**
 * The layering rule, enforced in `npm test` (npm run lint:deps):
 * adapters, resolvers, stream, slack-app → ports/services → domain.
 * Only adapters talk to kafkajs / Elasticsearch; only adapters and the
 * Slack app talk to @slack/*. The composition root (src/main.ts, src/app.ts,
 * src/server/) may wire anything together.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'src/domain holds types and pure functions: it imports only itself and src/errors.ts.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { pathNot: ['^src/domain/', '^src/errors\\.ts$'] },
    },
    {
      name: 'ports-point-inward',
      comment: 'Ports are interfaces over the domain: no adapters, no libraries.',
      severity: 'error',
      from: { path: '^src/ports/' },
      to: { pathNot: ['^src/domain/', '^src/ports/', '^src/errors\\.ts$', '^src/topics\\.ts$'] },
    },
    {
      name: 'services-use-ports-not-adapters',
      comment: 'Application services depend on ports, never on a concrete adapter.',
      severity: 'error',
      from: { path: '^src/services/' },
      to: { path: ['^src/adapters/', '^src/server/', '^resolvers/', '^stream/', '^slack-app/', '^src/main\\.ts$', '^src/app\\.ts$'] },
    },
    {
      name: 'only-adapters-import-kafka-and-elasticsearch',
      severity: 'error',
      from: { pathNot: ['^src/adapters/', '^test/', '^bench/', '^scripts/'] },
      to: { path: ['node_modules/kafkajs/', 'node_modules/@elastic/'] },
    },
    {
      name: 'only-the-mariadb-adapter-imports-mysql2',
      comment: 'The customers database (DEMO_DB_URL) is reached through the CustomerDatabase port.',
      severity: 'error',
      from: { pathNot: ['^src/adapters/mariadb/', '^test/', '^bench/', '^scripts/'] },
      to: { path: 'node_modules/mysql2/' },
    },
    {
      name: 'only-adapters-and-slack-app-import-slack',
      severity: 'error',
      from: { pathNot: ['^src/adapters/', '^slack-app/', '^test/', '^bench/', '^scripts/'] },
      to: { path: 'node_modules/@slack/' },
    },
    {
      name: 'edges-do-not-import-adapters',
      comment: 'Resolvers, stream processors and the Slack app reach infrastructure through ports only.',
      severity: 'error',
      from: { path: ['^resolvers/', '^stream/', '^slack-app/'] },
      to: { path: ['^src/adapters/', '^src/server/', '^src/main\\.ts$', '^src/app\\.ts$'] },
    },
    {
      name: 'edges-do-not-import-each-other',
      severity: 'error',
      from: { path: '^(resolvers|stream|slack-app)/' },
      to: { path: '^(resolvers|stream|slack-app)/', pathNot: '^$1/' },
    },
    {
      name: 'adapters-do-not-import-edges',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: { path: ['^resolvers/', '^slack-app/', '^src/server/', '^src/main\\.ts$', '^src/app\\.ts$'] },
    },
    {
      name: 'product-does-not-import-tests',
      severity: 'error',
      from: { path: '^(src|resolvers|stream|slack-app)/' },
      to: { path: ['^test/', '^bench/', '^scripts/'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^(src|resolvers|stream|slack-app)/' },
      to: { circular: true, viaOnly: { pathNot: '\\.d\\.ts$' } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^dist/', '^\\.cache/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.d.ts'] },
  },
};
