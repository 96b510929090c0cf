/**
 * The configuration module's entry point: `loadConfig`, the `Config` type and
 * every section's types. The sections live in `src/config/` (see its index.ts).
 */
export * from './config/index.js';
