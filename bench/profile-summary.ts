/**
 * `npx tsx bench/profile-summary.ts <file.cpuprofile> [top]`: where the time
 * of a V8 CPU profile (`npm run bench -- --profile` writes them next to the
 * product logs) goes: self time by package or product folder, by function,
 * and inclusive time of the product's own functions.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly hitCount?: number;
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
}

/** `kafkajs`, `graphql`, `src/services`, `node:internal`, `(gc)`, ... */
export function groupOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm?.[1]) return nm[1];
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  const own = /\/(?:dist\/)?(src\/[^/]+|resolvers|stream|slack-app)\//.exec(url);
  if (own?.[1]) return own[1];
  return url
    .replace(/^file:\/\//, '')
    .split('/')
    .slice(-2)
    .join('/');
}

export function summarize(profile: CpuProfile, top = 25): string {
  const total = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0);
  const ms = (profile.endTime - profile.startTime) / 1000;
  const pct = (hits: number): string => `${((100 * hits) / Math.max(1, total)).toFixed(1).padStart(5)}%`;
  const byGroup = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0) continue;
    const g = groupOf(n.callFrame.url, n.callFrame.functionName);
    byGroup.set(g, (byGroup.get(g) ?? 0) + hits);
    const f = `${n.callFrame.functionName || '(anonymous)'} ${g}:${n.callFrame.lineNumber + 1}`;
    byFunction.set(f, (byFunction.get(f) ?? 0) + hits);
  }
  // Inclusive time of product functions (src/, resolvers/, stream/): hits under them, counted once per sample path.
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, number>();
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0) continue;
    const seen = new Set<string>();
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)?.callFrame;
      if (!f || !/\/(src|resolvers|stream)\//.test(f.url) || f.url.includes('node_modules')) continue;
      const key = `${f.functionName || '(anonymous)'} ${groupOf(f.url, f.functionName)}:${f.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + hits);
    }
  }
  const idle = byGroup.get('(idle)') ?? 0;
  const list = (m: Map<string, number>): string[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `  ${pct(v)}  ${k}`);
  return [
    `${ms.toFixed(0)} ms profiled, ${total} samples, ${pct(total - idle).trim()} busy`,
    'Self time by package / product folder:',
    ...list(byGroup),
    'Self time by function:',
    ...list(byFunction),
    "Inclusive time of the product's own functions:",
    ...list(inclusive),
  ].join('\n');
}

if (process.argv[1]?.endsWith('profile-summary.ts')) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  console.log(summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(process.argv[3] ?? 25)));
}
