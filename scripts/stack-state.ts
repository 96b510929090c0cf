/** Where the background stack of `npm run stack` records itself, for `npm run stack:stop`. */
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { cacheDir } from './infra/shared.js';

export const stackDir = resolve(cacheDir, '..', 'stack');
export const stateFile = join(stackDir, 'state.json');
export const logFile = join(stackDir, 'stack.log');

export interface StackState {
  readonly pid: number;
  readonly exports: readonly string[];
}

/** The running stack, or null (a state file whose process is gone counts as none). */
export async function runningStack(): Promise<StackState | null> {
  let state: StackState;
  try {
    state = JSON.parse(await readFile(stateFile, 'utf8')) as StackState;
  } catch {
    return null;
  }
  // The pid must still be our stack process, not another one that got the number since.
  const cmdline = await readFile(`/proc/${state.pid}/cmdline`, 'utf8').catch(() => '');
  if (cmdline.includes('stack') && cmdline.includes('--serve')) return state;
  await rm(stateFile, { force: true });
  return null;
}
