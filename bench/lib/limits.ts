/**
 * The open-files limit the bench and its children run with. B4 holds up to
 * 20,000 WebSocket connections in one product process (and 10,000 in each
 * client process), which needs more descriptors than many machines allow by
 * default: the bench raises its own limit with util-linux `prlimit` where it
 * may (as root, or within the hard limit); children inherit it.
 */
import { spawnSync } from 'node:child_process';

/** `ulimit -n` as a child of this process sees it (0 when unknown). */
export function openFilesLimit(): number {
  const r = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
  const v = r.stdout.trim();
  return v === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(v) || 0;
}

/** Raises this process's open-files limit to `wanted` if it is lower and `prlimit` may; returns the limit now. */
export function raiseOpenFilesLimit(wanted: number): number {
  if (openFilesLimit() >= wanted) return openFilesLimit();
  spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${wanted}:${wanted}`], { stdio: 'ignore' });
  return openFilesLimit();
}
