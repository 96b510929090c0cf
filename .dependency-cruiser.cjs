/**
 * The layering rule, enforced in `npm test` (npm run lint:deps):
 * adapters, resolvers, stream, slack-app, src/server → ports/services/api/sink → domain.
 * Only adapters talk to kafkajs / Elasticsearch (and only the schema-registry
 * adapter to the registry client): src/adapters/ and the
 * exactly-once stream runtime (stream/runtime/, the Kafka and in-memory
 * adapters of the StreamRuntime port); only adapters and the Slack app talk
 * to @slack/*. The stream processors (the rest of stream/) know nothing of
 * transactions or the runtime. The composition root (src/main.ts,
 * src/compose.ts) may wire anything together; src/server/ imports no adapter.
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
      comment: 'Application services, the API support (src/api) and the sink depend on ports, never on a concrete adapter.',
      severity: 'error',
      from: { path: '^src/(services|api|sink)/' },
      to: { path: ['^src/adapters/', '^src/server/', '^resolvers/', '^stream/', '^slack-app/', '^src/main\\.ts$', '^src/compose\\.ts$'] },
    },
    {
      name: 'services-do-not-import-roles',
      comment: 'Application services serve every role: they import neither the API support nor the sink.',
      severity: 'error',
      from: { path: '^src/services/' },
      to: { path: ['^src/api/', '^src/sink/'] },
    },
    {
      name: 'only-adapters-import-kafka-and-elasticsearch',
      severity: 'error',
      from: { pathNot: ['^src/adapters/', '^stream/runtime/', '^test/', '^bench/', '^scripts/'] },
      to: { path: ['node_modules/kafkajs/', 'node_modules/@elastic/'] },
    },
    {
      name: 'only-the-schema-registry-adapter-imports-its-client',
      comment: 'The Schema Registry client and its Avro library stay behind src/ports/schema-registry.ts.',
      severity: 'error',
      from: { pathNot: ['^src/adapters/schema-registry/', '^test/', '^bench/', '^scripts/'] },
      to: { path: ['node_modules/@kafkajs/confluent-schema-registry/', 'node_modules/avsc/', 'node_modules/mappersmith/'] },
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
      comment: 'Resolvers, stream processors and the Slack app reach infrastructure through ports only (resolvers may use src/api, not src/server).',
      severity: 'error',
      from: { path: ['^resolvers/', '^stream/', '^slack-app/'], pathNot: '^stream/runtime/' },
      to: { path: ['^src/adapters/', '^src/server/', '^src/main\\.ts$', '^src/compose\\.ts$'] },
    },
    {
      name: 'processors-know-no-runtime',
      comment: 'Stream processors and the pipeline are plain definitions over the StreamRuntime port: no transactions, no runtime.',
      severity: 'error',
      from: { path: '^stream/', pathNot: '^stream/runtime/' },
      to: { path: '^stream/runtime/' },
    },
    {
      name: 'runtime-is-an-adapter',
      comment: 'The stream runtime (an adapter of the StreamRuntime port) may use src/adapters and kafkajs, never the processors or the edges.',
      severity: 'error',
      from: { path: '^stream/runtime/' },
      to: { path: ['^stream/(?!runtime/)', '^resolvers/', '^slack-app/', '^src/server/', '^src/api/', '^src/sink/', '^src/main\\.ts$', '^src/compose\\.ts$'] },
    },
    {
      name: 'server-imports-no-adapters',
      comment: 'The API server reaches infrastructure through ports; the composition root hands it the adapters.',
      severity: 'error',
      from: { path: '^src/server/' },
      to: { path: ['^src/adapters/', '^stream/runtime/', 'node_modules/kafkajs/', 'node_modules/@elastic/'] },
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
      to: { path: ['^resolvers/', '^slack-app/', '^stream/', '^src/server/', '^src/api/', '^src/sink/', '^src/main\\.ts$', '^src/compose\\.ts$'] },
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
