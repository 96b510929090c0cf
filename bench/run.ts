/**
 * `npm run bench [-- B1 B4 ...] [--runs=3] [--quick] [--profile] [--no-build]`
 *
 * Measures the product's hot paths against real Kafka and Elasticsearch that
 * it starts itself (scripts/infra), each figure beside a baseline run on the
 * same machine in the same run, so the result is a ratio. Prints one table,
 * writes `bench/results/<timestamp>.json` (with machine facts) and, when every
 * scenario ran, `bench/results/latest.md` for the README.
 *
 * - `BENCH_KAFKA_BROKERS` and `BENCH_ELASTICSEARCH_URL` reuse running servers
 *   (e.g. from `npm run stack`) instead of starting new ones.
 * - `--profile` writes V8 CPU profiles of the product processes next to their logs.
 *
 * Load generators, baselines and measuring clients run in child processes
 * (bench/workers, bench/baselines); the product runs as `node dist/src/main.js`
 * (or, for the sink, its own pieces in a child), never in this process.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInfra, type Infra } from '../scripts/infra/index.js';
import { killAllChildren } from './lib/child.js';
import { buildPeer, PEER_KAFKA_STREAMS_VERSION } from './lib/kafka-streams.js';
import { buildProduct, productMissing } from './lib/product.js';
import { consoleTable, machineFacts, markdownTable, writeResults } from './lib/report.js';
import type { BenchContext, Scenario, ScenarioResult } from './lib/types.js';
import { errorMessage } from './lib/util.js';
import { b1 } from './scenarios/b1-stream.js';
import { b2 } from './scenarios/b2-latency.js';
import { b3 } from './scenarios/b3-queries.js';
import { b4 } from './scenarios/b4-fanout.js';
import { b5 } from './scenarios/b5-sink.js';
import { b6 } from './scenarios/b6-soak.js';
import { raiseOpenFilesLimit } from './lib/limits.js';

/** B4's 20,000 connections in one process, with room for everything else. */
const OPEN_FILES_WANTED = 65_536;

/** The default run. */
const SCENARIOS: readonly Scenario[] = [b1, b2, b3, b4, b5];
/** Run only when named (B6, the soak, takes 30 minutes by default). */
const OPT_IN: readonly Scenario[] = [b6];
const ALL: readonly Scenario[] = [...SCENARIOS, ...OPT_IN];

const USAGE = `Usage: npm run bench [-- [B1 B2 B3 B4 B5 B6] [--runs=N] [--minutes=N] [--quick] [--profile] [--no-build]]
  B1..B5      run only these scenarios (default: B1 to B5)
  B6          the soak (only when named): every role, 500 ratings/s, 1,000 subscribers
  --minutes=N B6's length in minutes (default 30)
  --runs=N    measured runs per figure, median reported (default 3, at least 1)
  --quick     smaller sizes, to try the harness (figures are not comparable)
  --profile   write V8 CPU profiles of the product next to its logs
  --no-build  do not run \`npm run build\` first
Environment: BENCH_KAFKA_BROKERS and BENCH_ELASTICSEARCH_URL reuse running servers.`;

interface Args {
  readonly ids: readonly string[];
  readonly runs: number;
  readonly quick: boolean;
  readonly profile: boolean;
  readonly build: boolean;
  readonly minutes: number | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  const ids: string[] = [];
  let runs = 3;
  let quick = false;
  let profile = false;
  let build = true;
  let minutes: number | undefined;
  for (const arg of argv) {
    const a = arg.trim();
    if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (/^b[1-6]$/i.test(a)) ids.push(a.toUpperCase());
    else if (/^--minutes=\d+(\.\d+)?$/.test(a) && Number(a.slice('--minutes='.length)) > 0) minutes = Number(a.slice('--minutes='.length));
    else if (/^--runs=\d+$/.test(a)) runs = Math.max(1, Number(a.slice('--runs='.length)));
    else if (a === '--quick') quick = true;
    else if (a === '--profile') profile = true;
    else if (a === '--no-build') build = false;
    else {
      console.error(`Unknown argument ${JSON.stringify(a)}.\n${USAGE}`);
      process.exit(2);
    }
  }
  return { ids: ids.length > 0 ? [...new Set(ids)] : SCENARIOS.map((s) => s.id), runs, quick, profile, build, minutes };
}

const args = parseArgs(process.argv.slice(2));
const startedAt = new Date();
const stamp = `${startedAt
  .toISOString()
  .replace(/[-:TZ.]/g, '')
  .slice(0, 14)}-${process.pid}`;
const logDir = join(tmpdir(), `fg-bench-${stamp}`);
mkdirSync(logDir, { recursive: true });
const log = (message: string): void => {
  const t = ((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4);
  console.error(`[bench ${t}s] ${message}`);
};

let infra: Infra | null = null;
let shuttingDown = false;

async function cleanup(): Promise<void> {
  await killAllChildren();
  await infra?.stop();
  infra = null;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (shuttingDown) return;
    shuttingDown = true;
    log(`${signal}: stopping workers, the product and the infrastructure...`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function main(): Promise<number> {
  if (args.ids.includes('B4')) {
    const limit = raiseOpenFilesLimit(OPEN_FILES_WANTED);
    if (limit < OPEN_FILES_WANTED) log(`open-files limit ${limit} (wanted ${OPEN_FILES_WANTED}): B4 runs only the sizes it allows`);
  }
  log(`scenarios ${args.ids.join(', ')}, ${args.runs} runs each${args.quick ? ', quick sizes' : ''}; logs in ${logDir}`);
  const reuseKafka = process.env.BENCH_KAFKA_BROKERS?.trim();
  const reuseEs = process.env.BENCH_ELASTICSEARCH_URL?.trim();
  const reuse = Boolean(reuseKafka && reuseEs);

  const buildPromise = args.build ? buildProduct() : Promise.resolve({ ok: true, output: 'skipped (--no-build)', ms: 0 });
  // The Kafka Streams peer of B1 and B2: built with Maven unless its jar is newer than its sources.
  const needsPeer = args.ids.some((id) => id === 'B1' || id === 'B2');
  const peerPromise = needsPeer ? buildPeer() : Promise.resolve({ ok: false, skipped: true, output: 'not needed', ms: 0 });
  let brokers: string[];
  let esUrl: string;
  let versions: { kafka: string; elasticsearch: string };
  if (reuse) {
    brokers = (reuseKafka as string)
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean);
    esUrl = reuseEs as string;
    // Not GET /: the stripped-down distribution of scripts/infra does not serve it.
    const nodes = (await (await fetch(`${esUrl}/_nodes/_local?filter_path=nodes.*.version`)).json()) as { nodes?: Record<string, { version?: string }> };
    const esVersion = Object.values(nodes.nodes ?? {})[0]?.version ?? 'unknown';
    versions = { kafka: process.env.BENCH_KAFKA_VERSION ?? 'external (BENCH_KAFKA_BROKERS)', elasticsearch: esVersion };
    log(`reusing Kafka ${brokers.join(',')} and Elasticsearch ${esUrl}`);
  } else {
    log('starting Kafka and Elasticsearch (scripts/infra)...');
    const t = Date.now();
    infra = await startInfra();
    if (!infra.kafka || !infra.elasticsearch) throw new Error('startInfra did not start both servers');
    brokers = infra.kafka.brokers.split(',');
    esUrl = infra.elasticsearch.url;
    versions = { kafka: infra.kafka.version, elasticsearch: infra.elasticsearch.version };
    log(`Kafka ${versions.kafka} at ${brokers.join(',')}, Elasticsearch ${versions.elasticsearch} at ${esUrl} (${((Date.now() - t) / 1000).toFixed(0)} s)`);
  }
  const build = await buildPromise;
  if (args.build) log(`npm run build ${build.ok ? 'succeeded' : 'FAILED'} (${(build.ms / 1000).toFixed(0)} s)${build.ok ? '' : `:\n${build.output}`}`);
  const peerBuild = await peerPromise;
  if (needsPeer) {
    log(
      peerBuild.ok
        ? `Kafka Streams ${PEER_KAFKA_STREAMS_VERSION} peer ${peerBuild.skipped ? 'up to date' : `built (${(peerBuild.ms / 1000).toFixed(0)} s)`}`
        : `Kafka Streams peer build FAILED, its rows report "not run":\n${peerBuild.output}`,
    );
  }
  const missing = productMissing();
  if (missing) log(`the product cannot be started: ${missing}; product sides that need it report "not run"`);

  const ctx: BenchContext = {
    brokers,
    esUrl,
    runs: args.runs,
    quick: args.quick,
    profile: args.profile,
    logDir,
    stamp,
    productMissing: missing === null ? null : `${missing}${!build.ok ? ` (npm run build failed: ${build.output.split('\n').find((l) => /error/i.test(l)) ?? 'see the log'})` : ''}`,
    peerMissing: peerBuild.ok ? null : `the Kafka Streams peer did not build (mvn): ${peerBuild.output.split('\n').find((l) => /error/i.test(l)) ?? peerBuild.output.split('\n')[0] ?? ''}`,
    ...(args.minutes !== undefined && { soakMinutes: args.minutes }),
    log,
  };

  const results: ScenarioResult[] = [];
  for (const scenario of ALL.filter((s) => args.ids.includes(s.id))) {
    if (shuttingDown) break;
    const t = Date.now();
    log(`${scenario.id}: ${scenario.title}`);
    try {
      const r = await scenario.run(ctx);
      results.push({
        id: scenario.id,
        title: scenario.title,
        status: r.status ?? 'ok',
        ...(r.reason !== undefined && { reason: r.reason }),
        rows: r.rows,
        details: r.details,
        durationMs: Date.now() - t,
      });
    } catch (e) {
      log(`${scenario.id} failed: ${errorMessage(e)}`);
      results.push({
        id: scenario.id,
        title: scenario.title,
        status: 'failed',
        reason: errorMessage(e),
        rows: [],
        details: { stack: e instanceof Error ? e.stack : undefined },
        durationMs: Date.now() - t,
      });
    } finally {
      await killAllChildren();
    }
    log(`${scenario.id} done in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  }

  if (shuttingDown) return 130; // interrupted: no results, no latest.md
  const finishedAt = new Date();
  const total = (finishedAt.getTime() - startedAt.getTime()) / 1000;
  const machine = machineFacts(versions);
  const table = consoleTable(results);
  const markdown = markdownTable(results, machine, finishedAt.toISOString().slice(0, 10), total);
  const everything = SCENARIOS.every((s) => args.ids.includes(s.id)) && !args.quick;
  const files = writeResults(
    {
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationSeconds: Math.round(total),
      command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
      machine,
      settings: { runs: args.runs, quick: args.quick, profile: args.profile, reusedInfrastructure: reuse, logDir, build: build.ok ? 'ok' : build.output },
      results,
    },
    markdown,
    everything,
  );
  console.log(`\n${table}\n`);
  console.log(
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGb} GB, Node.js ${machine.node}, Kafka ${machine.kafka}, Elasticsearch ${machine.elasticsearch}, ulimit -n ${machine.openFilesLimit}`,
  );
  if (!build.ok) console.log(`Warning: npm run build failed; product figures come from what it emitted into dist/ anyway:\n${build.output}`);
  console.log(`Total ${Math.round(total)} s. Results: ${files.json}${files.markdown ? `, ${files.markdown}` : ' (latest.md is written only by a full run)'}; logs: ${logDir}`);
  return results.some((r) => r.status === 'failed') ? 1 : 0;
}

let code: number;
try {
  code = await main();
} catch (e) {
  console.error(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
