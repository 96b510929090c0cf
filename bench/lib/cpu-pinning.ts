/**
 * CPU pinning for scenarios whose servers and product would otherwise fight
 * for the same cores. On a 2-core machine the sink and Elasticsearch share
 * both cores, so whatever CPU the sink spends (reading Kafka, parsing) is
 * taken from Elasticsearch; as deployed they run on different machines.
 * Pinning Elasticsearch to half the cores and everything else to the other
 * half gives both sides of a comparison the same Elasticsearch.
 *
 * util-linux `taskset -a -p` moves every thread of a running process.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** The process listening on TCP `port` on this machine (ss -ltnp), or null. */
export function listenerPid(port: number): number | null {
  const r = spawnSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  const m = /pid=(\d+)/.exec(r.stdout ?? '');
  return m ? Number(m[1]) : null;
}

/** Pins every thread of `pid` to `cpus` (a taskset list such as "0" or "2-3"); false when taskset refused. */
export function pin(pid: number, cpus: string): boolean {
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
  return r.status === 0;
}

export interface CpuSplit {
  /** The cores given to the server under test, e.g. "0". */
  readonly server: string;
  /** The other cores, for the product, the baseline and the other servers, e.g. "1". */
  readonly rest: string;
  /** Every core, to undo a pin. */
  readonly all: string;
}

/** Half the cores (rounded down, at least one) for the server, the rest for the others; null on one core. */
export function splitCpus(cores = availableParallelism()): CpuSplit | null {
  if (cores < 2) return null;
  const half = Math.max(1, Math.floor(cores / 2));
  const list = (from: number, to: number): string => (from === to ? String(from) : `${from}-${to}`);
  return { server: list(0, half - 1), rest: list(half, cores - 1), all: list(0, cores - 1) };
}
