/**
 * `npm run -s stack`: starts a real Kafka broker and a real Elasticsearch node on free
 * ports of 127.0.0.1 in the background, prints the variables to use them, and returns:
 *
 * ```sh
 * eval "$(npm run -s stack)"   # -s: npm's own banner would otherwise be evaluated too
 * npm start                    # the product on them
 * npm run stack:stop           # stops both, deletes their data, leaves no process behind
 * ```
 *
 * The printed lines also export the `*_TEST` variants, which make `npm test` reuse these
 * servers instead of starting its own. A second `npm run stack` while one runs prints the
 * same lines again. `npm run stack -- --foreground` keeps the servers in the foreground
 * until Ctrl-C (SIGINT) or SIGTERM instead.
 *
 * `npm run -s stack -- --secure` starts a secured Kafka instead: one SASL_SSL listener
 * (SCRAM-SHA-512 user, certificate from a CA made for it; scripts/infra/kafka-security.ts),
 * and prints `KAFKA_SASL_MECHANISM`, `KAFKA_SASL_USERNAME`, `KAFKA_SASL_PASSWORD`,
 * `KAFKA_SSL=on` and `KAFKA_SSL_CA_FILE` too (and their `KAFKA_SECURE_*_TEST` variants,
 * which make `npm test` reuse it as its secured broker).
 *
 * The background process is this script with `--serve`; its pid and the variables are in
 * `.cache/stack/state.json`, its output in `.cache/stack/stack.log`. Exits 1 with the
 * reason (and the log tail) if either server cannot start.
 *
 * `npm run -s stack -- --cdc` adds the article's CDC source (scripts/stack-cdc.ts): an
 * Apicurio Schema Registry, a MariaDB holding `demo.CUSTOMERS`, and Kafka Connect running
 * Debezium on it into `asgard.demo.CUSTOMERS`; it also exports `SCHEMA_REGISTRY_URL`,
 * `KAFKA_CONNECT_URL` (and their `_TEST` variants, so `npm test` reuses them too)
 * and `DEMO_DB_URL`. `--cdc-format=json` makes Debezium write plain
 * JSON instead of Avro.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startInfra, type Infra } from './infra/index.js';
import { cdcFormatFromArgs, startCdcStack, type CdcStack } from './stack-cdc.js';
import { readTail } from './infra/shared.js';
import { logFile, runningStack, stackDir, stateFile, type StackState } from './stack-state.js';

const STARTUP_TIMEOUT_MS = 12 * 60_000;
const args = process.argv.slice(2);
const CDC_SERVER_TIMEOUT_MS = 5 * 60_000;

/** Starts the servers and keeps them until a signal; with `stateful`, records itself for `stack:stop`. */
async function serve(stateful: boolean, secure: boolean): Promise<void> {
  const startedAt = Date.now();
  const cdc = args.includes('--cdc');
  console.error(
    `Starting ${secure ? 'a secured Kafka (SASL_SSL)' : 'Kafka'} and Elasticsearch${cdc ? ', Apicurio Registry, MariaDB and Kafka Connect' : ''} (the first run downloads them with Maven)...`,
  );
  let infra: Infra;
  try {
    // Each server may take most of the time this script waits (a busy machine, a first run,
    // five servers starting at once with --cdc).
    const startupTimeoutMs = cdc ? CDC_SERVER_TIMEOUT_MS : STARTUP_TIMEOUT_MS - 30_000;
    infra = await startInfra({ kafka: { secure, startupTimeoutMs }, elasticsearch: { startupTimeoutMs }, ...(cdc ? { apicurio: { startupTimeoutMs } } : {}) });
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
  let cdcStack: CdcStack | undefined;
  if (cdc) {
    try {
      cdcStack = await startCdcStack(infra, cdcFormatFromArgs(args));
    } catch (error) {
      console.error(error instanceof Error ? error.message : error);
      await infra.stop();
      process.exit(1);
    }
  }
  const { kafka, elasticsearch } = infra;
  if (!kafka || !elasticsearch) throw new Error('startInfra did not start both servers');
  const s = kafka.security;
  const exports = s
    ? [
        `export KAFKA_BROKERS=${kafka.brokers}`,
        `export KAFKA_SASL_MECHANISM=${s.mechanism}`,
        `export KAFKA_SASL_USERNAME=${s.username}`,
        `export KAFKA_SASL_PASSWORD=${s.password}`,
        `export KAFKA_SSL=on`,
        `export KAFKA_SSL_CA_FILE=${s.caFile}`,
        `export ELASTICSEARCH_URL=${elasticsearch.url}`,
        // npm test: its secured broker (test/global-setup.ts), and this Elasticsearch.
        `export KAFKA_SECURE_BROKERS_TEST=${kafka.brokers}`,
        `export KAFKA_SECURE_USERNAME_TEST=${s.username}`,
        `export KAFKA_SECURE_PASSWORD_TEST=${s.password}`,
        `export KAFKA_SECURE_CA_FILE_TEST=${s.caFile}`,
        // Its mutual-TLS listener and a client certificate (for the product: KAFKA_BROKERS of it, KAFKA_SSL_CERT_FILE, KAFKA_SSL_KEY_FILE).
        ...(s.mtls ? [`export KAFKA_SECURE_MTLS_BROKERS_TEST=${s.mtls.brokers}`, `export KAFKA_SECURE_CERT_FILE_TEST=${s.mtls.certFile}`, `export KAFKA_SECURE_KEY_FILE_TEST=${s.mtls.keyFile}`] : []),
        `export ELASTICSEARCH_URL_TEST=${elasticsearch.url}`,
      ]
    : [
        `export KAFKA_BROKERS=${kafka.brokers}`,
        `export ELASTICSEARCH_URL=${elasticsearch.url}`,
        `export KAFKA_BROKERS_TEST=${kafka.brokers}`,
        `export ELASTICSEARCH_URL_TEST=${elasticsearch.url}`,
        ...(cdcStack?.exports ?? []),
      ];
  console.error(`Kafka ${kafka.version} and Elasticsearch ${elasticsearch.version} are up (${((Date.now() - startedAt) / 1000).toFixed(1)} s).`);
  // The state holds the SASL password of a secured stack: readable by this user only.
  if (stateful) await writeFile(stateFile, JSON.stringify({ pid: process.pid, exports } satisfies StackState), { mode: 0o600 });
  else {
    console.log(exports.join('\n'));
    console.error('Press Ctrl-C to stop them.');
  }

  // Keep the event loop alive until a signal arrives.
  const keepAlive = setInterval(() => undefined, 60_000);
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.error(`\n${signal}: stopping Kafka and Elasticsearch${cdcStack ? ', Apicurio Registry, MariaDB and Kafka Connect' : ''}...`);
    await cdcStack?.stop();
    await infra.stop();
    if (stateful) await rm(stateFile, { force: true });
    clearInterval(keepAlive);
    console.error('Stopped.');
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, (received) => void shutdown(received));
}

/** Starts `serve` as a detached process and returns once it recorded its variables. */
async function startInBackground(secure: boolean): Promise<void> {
  const existing = await runningStack();
  if (existing && existing.exports.some((line) => line.includes('KAFKA_SASL_MECHANISM=')) !== secure) {
    console.error(`A ${secure ? 'plaintext' : 'secured'} stack is already running (pid ${existing.pid}); npm run stack:stop stops it first.`);
    process.exit(1);
  }
  if (existing) {
    console.error(`A stack is already running (pid ${existing.pid}); npm run stack:stop stops it.`);
    console.log(existing.exports.join('\n'));
    return;
  }
  await mkdir(stackDir, { recursive: true });
  const out = openSync(logFile, 'w');
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--serve', ...(secure ? ['--secure'] : []), ...args.filter((arg) => arg.startsWith('--cdc'))], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  let exited: string | null = null;
  child.on('exit', (code, signal) => (exited = signal ?? `exit code ${String(code)}`));
  child.unref();
  console.error(`Starting Kafka and Elasticsearch in the background (pid ${child.pid}; log ${logFile})...`);
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    const state = await runningStack();
    if (state && state.pid === child.pid) {
      console.error(`Up. npm run stack:stop stops them.`);
      console.log(state.exports.join('\n'));
      return;
    }
    if (exited !== null || Date.now() > deadline) {
      if (exited === null) child.kill('SIGTERM');
      console.error(`The stack did not start (${exited ?? 'timed out'}):\n${await readTail(logFile, 8 * 1024)}`);
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

const secure = args.includes('--secure');
if (secure && args.includes('--cdc')) {
  console.error('--secure and --cdc cannot be combined: the CDC stack (Kafka Connect, Debezium) runs against the plaintext broker.');
  process.exit(2);
}
if (args.includes('--serve')) await serve(true, secure);
else if (args.includes('--foreground')) await serve(false, secure);
else await startInBackground(secure);
