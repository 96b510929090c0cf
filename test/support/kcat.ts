/**
 * An independent read_committed reader for the exactly-once tests: librdkafka,
 * through Debian's `kcat`, not the product's (patched) kafkajs. A bug in the
 * patch that dropped or duplicated records on read could hide from a test that
 * reads with the same client; it cannot hide from both readers.
 *
 * `scripts/ensure-kcat.sh` installs kcat when it is missing (apt-get); CI calls it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

let kcatPath: string | null = null;

/** The kcat executable, installed first if missing (scripts/ensure-kcat.sh). */
export function ensureKcat(): string {
  kcatPath ??= execFileSync('bash', [resolve(import.meta.dirname, '../../scripts/ensure-kcat.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 }).trim();
  return kcatPath;
}

export interface KcatRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
  readonly value: string;
}

/**
 * Every record of `topic` visible to a read_committed consumer, from the
 * beginning to the end of each partition (the last stable offset), read by
 * kcat. Keys and values must be single-line text (the product's JSON is).
 */
export function kcatReadCommitted(brokers: string | readonly string[], topic: string, timeoutMs = 120_000): Promise<KcatRecord[]> {
  const bin = ensureKcat();
  const args = ['-C', '-b', typeof brokers === 'string' ? brokers : brokers.join(','), '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed', '-f', '%p\t%o\t%k\t%s\n'];
  return new Promise((res, rej) => {
    execFile(bin, args, { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024, timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) return rej(new Error(`kcat ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      const records = stdout
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => {
          const [p, o, k, ...v] = l.split('\t');
          return { partition: Number(p), offset: Number(o), key: k ?? '', value: v.join('\t') };
        });
      res(records);
    });
  });
}

/** Records read, distinct ids among them, and duplicates (read minus distinct). */
export interface ExactlyOnceFigures {
  readonly read: number;
  readonly distinct: number;
  readonly duplicates: number;
}

/** Counts the records of `topic` read by kcat (read_committed), by `id` of each. */
export async function kcatCount(brokers: string | readonly string[], topic: string, id: (r: KcatRecord) => string | number): Promise<ExactlyOnceFigures & { ids: Set<string | number> }> {
  const records = await kcatReadCommitted(brokers, topic);
  const ids = new Set(records.map(id));
  return { read: records.length, distinct: ids.size, duplicates: records.length - ids.size, ids };
}
