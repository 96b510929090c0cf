/**
 * Fails when resolvers/__generated__/types.ts is stale: regenerates it from
 * schema/*.graphql with codegen.ts into a temporary file and compares.
 * Run by `npm run codegen:check` (part of `npm test`); fix with `npm run codegen`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '@graphql-codegen/cli';
import config, { GENERATED_TYPES } from '../codegen.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function firstDifference(a: string, b: string): { line: number; committed: string; generated: string } | null {
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i]) return { line: i + 1, committed: x[i] ?? '<end of file>', generated: y[i] ?? '<end of file>' };
  }
  return null;
}

async function main(): Promise<number> {
  const outputs = await generate({ ...config, cwd: root, silent: true }, false);
  const fresh = outputs.find((o: { filename: string; content: string }) => resolve(root, o.filename) === resolve(root, GENERATED_TYPES));
  if (!fresh) {
    console.error(`codegen:check: codegen.ts produced no ${GENERATED_TYPES}; check its "generates" section`);
    return 1;
  }
  const dir = mkdtempSync(join(tmpdir(), 'codegen-check-'));
  try {
    const tempFile = join(dir, 'types.ts');
    writeFileSync(tempFile, fresh.content);
    let committed: string;
    try {
      committed = readFileSync(resolve(root, GENERATED_TYPES), 'utf8');
    } catch {
      console.error(`codegen:check: ${GENERATED_TYPES} is missing. Run \`npm run codegen\` and commit the result.`);
      return 1;
    }
    const generated = readFileSync(tempFile, 'utf8');
    const diff = firstDifference(committed, generated);
    if (diff === null) {
      console.log(`codegen:check: ${GENERATED_TYPES} is up to date`);
      return 0;
    }
    console.error(
      [
        `codegen:check: ${GENERATED_TYPES} is stale: it does not match schema/*.graphql and codegen.ts.`,
        `  first difference at line ${diff.line}:`,
        `    committed: ${diff.committed.trim().slice(0, 160)}`,
        `    generated: ${diff.generated.trim().slice(0, 160)}`,
        'Run `npm run codegen` and commit resolvers/__generated__/types.ts.',
      ].join('\n'),
    );
    return 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('codegen:check failed:', err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
