/**
 * Throughput of a consumer group, seen from outside: the offsets it commits
 * on its input topic, polled every few milliseconds. It is measured the same
 * way for the product (whose offsets move only once its output is produced,
 * or committed in the same transaction) and for a baseline. The rate counts
 * from the first commit seen to the commit that completes the input, so
 * process start-up, group join and table bootstrap are not part of it.
 */
import type { BenchKafka } from './kafka.js';
import { sleep } from './util.js';

export interface GroupProgress {
  readonly groupId: string | null;
  /** When the first commit was seen (epoch ms) and how much it covered. */
  readonly firstAt: number;
  readonly firstCount: number;
  /** When the last commit seen was seen, and how much was committed then. */
  readonly lastAt: number;
  readonly lastCount: number;
  readonly complete: boolean;
  /** Records per second between the first and the last commit seen. */
  readonly perSecond: number;
  /** Commits seen: [ms since the first, committed]. */
  readonly timeline: readonly (readonly [number, number])[];
}

export interface WatchOptions {
  readonly kafka: BenchKafka;
  readonly topic: string;
  readonly expected: number;
  /** Finds the group to watch (null while it does not exist yet). */
  readonly findGroup: () => Promise<string | null>;
  readonly timeoutMs: number;
  /** @default 20 // ms */
  readonly intervalMs?: number;
  /** Returns a reason when the process being watched died (stops the watch). */
  readonly died?: () => string | null;
}

export async function watchGroup(o: WatchOptions): Promise<GroupProgress> {
  const { kafka, topic, expected, timeoutMs, intervalMs = 20 } = o;
  const deadline = Date.now() + timeoutMs;
  let groupId: string | null = null;
  let firstAt = 0;
  let firstCount = 0;
  let lastAt = 0;
  let lastCount = 0;
  const timeline: [number, number][] = [];
  let lastFind = 0;
  while (Date.now() < deadline) {
    const dead = o.died?.();
    if (dead) throw new Error(dead);
    if (groupId === null) {
      if (Date.now() - lastFind > 250) {
        lastFind = Date.now();
        groupId = await o.findGroup();
      }
      if (groupId === null) {
        await sleep(intervalMs);
        continue;
      }
    }
    const committed = await kafka.committed(groupId, topic).catch(() => lastCount);
    const now = Date.now();
    if (committed > lastCount) {
      if (firstAt === 0) {
        firstAt = now;
        firstCount = committed;
      }
      lastAt = now;
      lastCount = committed;
      timeline.push([now - firstAt, committed]);
      if (committed >= expected) break;
    }
    await sleep(intervalMs);
  }
  const complete = lastCount >= expected;
  const seconds = (lastAt - firstAt) / 1000;
  return {
    groupId,
    firstAt,
    firstCount,
    lastAt,
    lastCount,
    complete,
    perSecond: seconds > 0 ? (lastCount - firstCount) / seconds : Number.NaN,
    timeline,
  };
}

/**
 * A finder for the group of a processor started after `before` was taken:
 * the first new group whose name starts with `prefix` (or, failing that, any
 * new group) that has committed something on `topic`.
 */
export function newGroupOn(kafka: BenchKafka, topic: string, prefix: string, before: ReadonlySet<string>): () => Promise<string | null> {
  return async () => {
    const fresh = (await kafka.listGroups()).filter((g) => !before.has(g));
    const ordered = [...fresh.filter((g) => g.startsWith(prefix)), ...fresh.filter((g) => !g.startsWith(prefix))];
    for (const g of ordered) if ((await kafka.committed(g, topic).catch(() => 0)) > 0) return g;
    return null;
  };
}
