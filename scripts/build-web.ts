/**
 * Builds the dashboard (web/) into dist/web/: one JavaScript and one CSS
 * bundle under content-hashed names in dist/web/assets/, index.html pointing
 * at them, and a brotli and a gzip twin of each file (the server picks one
 * by Accept-Encoding). Prints the sizes; fails when the compressed first
 * load exceeds the budget.
 *
 *   npx tsx scripts/build-web.ts          (npm run build:web; npm ci runs it via prepare)
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** The budget for everything the first load fetches, compressed (brotli). */
export const BUDGET_BYTES = 150 * 1024;

const root = resolve(import.meta.dirname, '..');
const out = join(root, 'dist', 'web');
const assets = join(out, 'assets');

rmSync(out, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

const result = await build({
  entryPoints: [join(root, 'web', 'src', 'main.ts')],
  bundle: true,
  format: 'esm',
  target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  outdir: assets,
  entryNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
});

const outputs = Object.keys(result.metafile.outputs).map((p) => resolve(root, p));
const js = outputs.find((p) => p.endsWith('.js'));
const css = outputs.find((p) => p.endsWith('.css'));
if (!js || !css) throw new Error(`esbuild produced no ${js ? 'CSS' : 'JavaScript'} bundle`);

const html = readFileSync(join(root, 'web', 'index.html'), 'utf8')
  .replace('{{JS}}', basename(js))
  .replace('{{CSS}}', basename(css));
writeFileSync(join(out, 'index.html'), html);

const rows: [string, number, number, number][] = [];
for (const file of [join(out, 'index.html'), js, css]) {
  const body = readFileSync(file);
  const br = brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } });
  const gz = gzipSync(body, { level: 9 });
  writeFileSync(`${file}.br`, br);
  writeFileSync(`${file}.gz`, gz);
  rows.push([basename(file), body.length, gz.length, br.length]);
}
const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`;
const total = rows.reduce<[number, number, number]>((t, r) => [t[0] + r[1], t[1] + r[2], t[2] + r[3]], [0, 0, 0]);
for (const [name, raw, gz, br] of rows) console.log(`web: ${name.padEnd(28)} ${kb(raw).padStart(9)}  gzip ${kb(gz).padStart(8)}  brotli ${kb(br).padStart(8)}`);
console.log(`web: first load                   ${kb(total[0]).padStart(9)}  gzip ${kb(total[1]).padStart(8)}  brotli ${kb(total[2]).padStart(8)}  (budget ${kb(BUDGET_BYTES)} compressed)`);
if (total[1] > BUDGET_BYTES) throw new Error(`the dashboard's first load is ${kb(total[1])} gzip, over the ${kb(BUDGET_BYTES)} budget`);
