/** The result table (console and markdown), the JSON record, and the machine facts. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, release, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from './child.js';
import type { Row, ScenarioResult } from './types.js';

export interface MachineFacts {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly freeMemoryGb: number;
  readonly os: string;
  readonly node: string;
  readonly kafka: string;
  readonly elasticsearch: string;
  /** `ulimit -n` of the bench (children inherit it). */
  readonly openFilesLimit: string;
  readonly gitCommit: string;
  readonly gitDirty: boolean;
}

function sh(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { cwd: projectRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export function machineFacts(versions: { kafka: string; elasticsearch: string }): MachineFacts {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGb: Math.round((freemem() / 2 ** 30) * 10) / 10,
    os: `${osType()} ${release()}`,
    node: process.version,
    kafka: versions.kafka,
    elasticsearch: versions.elasticsearch,
    openFilesLimit: sh('sh', ['-c', 'ulimit -n']),
    gitCommit: sh('git', ['rev-parse', '--short', 'HEAD']),
    gitDirty: sh('git', ['status', '--porcelain']) !== '',
  };
}

/** 12,345 / 123 / 12.3 / 1.23: about three significant digits, thousands separated. */
export function formatNumber(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '–';
  const abs = Math.abs(v);
  if (abs >= 1000) return Math.round(v).toLocaleString('en-US');
  if (abs >= 100) return v.toFixed(0);
  if (abs >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

const metCell = (row: Row): string => (row.met === null ? (row.product === null && row.target !== 'report' && row.target !== '' ? 'not run' : '–') : row.met ? 'yes' : 'NO');

function cells(row: Row): string[] {
  const unit = row.unit ? ` ${row.unit}` : '';
  return [
    row.scenario,
    row.what,
    row.product === null ? (row.note?.startsWith('not run') ? 'not run' : row.note?.startsWith('failed') ? 'failed' : '–') : `${formatNumber(row.product)}${unit}`,
    row.baseline === null ? '–' : `${formatNumber(row.baseline)}${unit}`,
    row.ratio === null ? '–' : row.ratio.toFixed(2),
    row.target || '–',
    metCell(row),
  ];
}

const HEADER = ['Scenario', 'What', 'Product', 'Baseline', 'Ratio', 'Target', 'Met'];

function allRows(results: readonly ScenarioResult[]): Row[] {
  return results.flatMap((r) =>
    r.rows.length > 0 ? r.rows : [{ scenario: r.id, what: r.title, unit: '', product: null, baseline: null, ratio: null, target: '', met: null, note: `${r.status}: ${r.reason ?? ''}` }],
  );
}

/** The notes under the table: why something did not run, what to know about a figure. */
function notes(results: readonly ScenarioResult[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    if (r.reason) out.push(`${r.id} (${r.status}): ${r.reason}`);
    for (const row of r.rows) {
      if (!row.note) continue;
      // The scenario's reason is said once, not again on each of its rows.
      const rest = row.note
        .split('; ')
        .filter((part) => !r.reason || !r.reason.includes(part))
        .join('; ');
      if (rest) out.push(`${row.scenario} ${row.what}: ${rest}`);
    }
  }
  return [...new Set(out)];
}

export function consoleTable(results: readonly ScenarioResult[]): string {
  const rows = allRows(results).map(cells);
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string => r.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ');
  const out = [line(HEADER), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  const n = notes(results);
  if (n.length > 0) out.push('', 'Notes:', ...n.map((x) => `- ${x.split('\n')[0] ?? ''}`));
  return out.join('\n');
}

export function markdownTable(results: readonly ScenarioResult[], machine: MachineFacts, when: string, totalSeconds: number): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const rows = allRows(results).map((r) => `| ${cells(r).map(esc).join(' | ')} |`);
  const n = notes(results);
  return [
    `Benchmarks of ${when} (\`npm run bench\`, ${Math.round(totalSeconds)} s): ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGb} GB, ` +
      `Node.js ${machine.node}, Kafka ${machine.kafka}, Elasticsearch ${machine.elasticsearch}, commit ${machine.gitCommit}${machine.gitDirty ? ' (with local changes)' : ''}. ` +
      'Each figure is the median of the runs; every baseline ran on the same machine in the same run.',
    '',
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map((_, i) => (i >= 2 && i <= 4 ? '---:' : '---')).join('|')}|`,
    ...rows,
    ...(n.length > 0 ? ['', ...n.map((x) => `- ${esc(x)}`)] : []),
    '',
  ].join('\n');
}

export interface BenchRecord {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationSeconds: number;
  readonly command: string;
  readonly machine: MachineFacts;
  readonly settings: Record<string, unknown>;
  readonly results: readonly ScenarioResult[];
}

/** Writes `bench/results/<timestamp>.json` and, for a run of every scenario, `bench/results/latest.md`. */
export function writeResults(record: BenchRecord, markdown: string, writeLatest: boolean): { json: string; markdown: string | null } {
  const dir = join(projectRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${record.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(json, `${JSON.stringify(record, null, 2)}\n`);
  const md = join(dir, 'latest.md');
  if (writeLatest) writeFileSync(md, markdown);
  return { json, markdown: writeLatest ? md : null };
}
