/**
 * The pipeline status topic, both ends.
 *
 * Writing: every `statusIntervalMs` the Kafka stream runtime publishes each
 * running processor's status ({@link StatusPublisher}) to a compacted topic,
 * keyed `<processor>@<instance>`. The instance id is new in every process, so
 * when a processor stops (its handle, or `close`) the runtime tombstones its
 * `<processor>@<instance>` key and leaves one last word, STOPPED with its
 * totals, under the key `<processor>` (one per processor, whichever instance
 * stopped last). Keys of crashed instances are never tombstoned: the topic is
 * `compact,delete` with a one-day retention ({@link statusTopicSpec}), and
 * readers drop reports gone stale.
 *
 * Reading, for `Query.pipeline` in any process
 * ({@link createKafkaPipelineStatusSource}): tails the topic, keeps the latest
 * report of each processor and instance, and adds the live consumer lag from
 * the event log. Reports older than `staleAfterMs` belong to instances that
 * stopped without a last word (crashed); they are left out while a fresh
 * instance runs the processor, and shown STOPPED when none does. The reader
 * keeps only what it can show: stale reports are dropped, except the newest of
 * each processor (a stopped processor's last totals), so its memory is bounded
 * by the processors and their live instances, not by every instance that ever
 * ran.
 */
import { silentLogger, type Logger } from '../../src/logger.js';
import type { EventLog, LogRecord, OutRecord, Stoppable, TopicSpec } from '../../src/ports/event-log.js';
import { ProcessorState, type PipelineStatusSource, type ProcessorStatus } from '../../src/ports/stream-runtime.js';
import { isObject } from '../../src/domain/fields.js';
import { internalTopics } from '../../src/topics.js';
import { instanceStatus, type InstanceStatus } from './tasks.js';
import { groupLag, type MeteredProcessor } from './runtime-base.js';

/** Default compacted topic of processor status reports. */
export const DEFAULT_STATUS_TOPIC = internalTopics('feedback').pipelineStatus;

/** How long status reports stay in the status topic at most (left by crashed instances, or last words). */
export const STATUS_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * The status topic: compacted (the latest report per key) and deleted after a
 * day (keys of instances that crashed without tombstoning theirs), with
 * hourly segments so compaction and deletion reach recent records.
 */
export function statusTopicSpec(name: string): TopicSpec {
  return { name, partitions: 1, compacted: true, retentionMs: STATUS_RETENTION_MS, segmentMs: 60 * 60 * 1000 };
}

export interface StatusPublisherOptions {
  readonly log: Pick<EventLog, 'ensureTopics' | 'produce'>;
  readonly topic: string;
  /** 0 publishes nothing. */
  readonly intervalMs: number;
  readonly instanceId: string;
  readonly logger: Logger;
  /** The runtime was killed: nothing more is published. */
  readonly killed: () => boolean;
  /** The processors to report on each tick. */
  readonly processors: () => readonly MeteredProcessor[];
}

/** Publishes one runtime instance's processor reports, in order (one publication at a time). */
export class StatusPublisher {
  private timer: NodeJS.Timeout | null = null;
  private topicReady: Promise<void> | null = null;
  private publishing: Promise<void> = Promise.resolve();

  constructor(private readonly o: StatusPublisherOptions) {}

  /** Starts the periodic reports, with one at once (a no-op once started, or when the interval is 0). */
  start(): void {
    if (this.timer || this.o.intervalMs <= 0) return;
    const tick = (): void => {
      this.publishing = this.publishing.then(() => this.publish(this.o.processors()));
    };
    this.timer = setInterval(tick, this.o.intervalMs);
    this.timer.unref();
    tick();
  }

  /** Ends the periodic reports (for good: {@link start} does not restart them). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** After the reports under way: stopped processors' STOPPED report under the processor's own key, and a tombstone for the instance key. */
  lastWord(processors: readonly MeteredProcessor[]): Promise<void> {
    this.publishing = this.publishing.then(() => {
      const now = Date.now();
      return this.produce(
        processors.flatMap((p) => [
          { topic: this.o.topic, key: p.def.name, value: this.report(p, now) },
          { topic: this.o.topic, key: this.key(p), value: null },
        ]),
      );
    });
    return this.publishing;
  }

  /** The running processors' reports, under their instance keys. */
  private publish(processors: readonly MeteredProcessor[]): Promise<void> {
    const now = Date.now();
    return this.produce(processors.filter((p) => p.meter.state !== ProcessorState.Stopped).map((p) => ({ topic: this.o.topic, key: this.key(p), value: this.report(p, now) })));
  }

  private key(p: MeteredProcessor): string {
    return `${p.def.name}@${this.o.instanceId}`;
  }

  private report(p: MeteredProcessor, now: number): string {
    return JSON.stringify({ ...instanceStatus(p.def, p.groupId, p.meter, now), instance: this.o.instanceId, updatedAt: now });
  }

  private async produce(records: readonly OutRecord[]): Promise<void> {
    if (this.o.intervalMs <= 0 || this.o.killed() || records.length === 0) return;
    try {
      this.topicReady ??= this.o.log.ensureTopics([statusTopicSpec(this.o.topic)]).catch((e: unknown) => {
        this.topicReady = null;
        throw e;
      });
      await this.topicReady;
      await this.o.log.produce(records);
    } catch (err) {
      this.o.logger.debug({ err, topic: this.o.topic }, 'could not publish the pipeline status');
    }
  }
}

/** One instance's report of one processor, as published: its status without the lag, and who reported it when. */
export type StatusReport = InstanceStatus & {
  readonly instance: string;
  /** Epoch ms of the report. */
  readonly updatedAt: number;
};

const STATES = new Set<string>(Object.values(ProcessorState));

/** Reads a status record; null for anything that is not one (never throws). */
export function parseStatusReport(value: Buffer | null): StatusReport | null {
  if (value === null) return null;
  let o: unknown;
  try {
    o = JSON.parse(value.toString('utf8'));
  } catch {
    return null;
  }
  if (!isObject(o)) return null;
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const name = str(o.name);
  const instance = str(o.instance);
  const state = str(o.state);
  if (name === null || instance === null || state === null || !STATES.has(state)) return null;
  return {
    name,
    instance,
    sources: strs(o.sources),
    sinks: strs(o.sinks),
    state: state as ProcessorState,
    messagesPerSecond: num(o.messagesPerSecond),
    totalMessages: num(o.totalMessages),
    failedMessages: num(o.failedMessages),
    unmatchedMessages: num(o.unmatchedMessages),
    lastMessageTime: typeof o.lastMessageTime === 'number' ? o.lastMessageTime : null,
    consumerGroup: str(o.consumerGroup) ?? '',
    lastError: str(o.lastError),
    updatedAt: num(o.updatedAt),
  };
}

const STATE_RANK: Record<ProcessorState, number> = { ERROR: 3, BOOTSTRAPPING: 2, RUNNING: 1, STOPPED: 0 };

/**
 * Merges reports per processor name: sums of rates and counters over live
 * instances, the latest last-message time, and the state that needs the most
 * attention (ERROR, then BOOTSTRAPPING, then RUNNING). Lag is left null for
 * the caller to fill in.
 */
export function aggregateReports(reports: Iterable<StatusReport>, now: number, staleAfterMs: number): ProcessorStatus[] {
  const byName = new Map<string, StatusReport[]>();
  for (const r of reports) {
    let list = byName.get(r.name);
    if (!list) byName.set(r.name, (list = []));
    list.push(r);
  }
  const out: ProcessorStatus[] = [];
  for (const [name, all] of byName) {
    const live = all.filter((r) => now - r.updatedAt <= staleAfterMs && r.state !== ProcessorState.Stopped);
    const newest = all.reduce((a, b) => (b.updatedAt > a.updatedAt ? b : a));
    const counted = live.length > 0 ? live : [newest];
    const state = live.length === 0 ? ProcessorState.Stopped : live.reduce<ProcessorState>((s, r) => (STATE_RANK[r.state] > STATE_RANK[s] ? r.state : s), ProcessorState.Running);
    const lastTimes = all.map((r) => r.lastMessageTime).filter((t): t is number => t !== null);
    out.push({
      name,
      sources: newest.sources,
      sinks: newest.sinks,
      state,
      messagesPerSecond: live.length === 0 ? 0 : Math.round(live.reduce((s, r) => s + r.messagesPerSecond, 0) * 1000) / 1000,
      totalMessages: counted.reduce((s, r) => s + r.totalMessages, 0),
      failedMessages: counted.reduce((s, r) => s + r.failedMessages, 0),
      unmatchedMessages: counted.reduce((s, r) => s + r.unmatchedMessages, 0),
      lastMessageTime: lastTimes.length > 0 ? Math.max(...lastTimes) : null,
      consumerLag: null,
      consumerGroup: newest.consumerGroup,
      instances: live.length,
      lastError: counted.find((r) => r.state === ProcessorState.Error)?.lastError ?? newest.lastError,
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export interface KafkaPipelineStatusSourceOptions {
  readonly log: EventLog;
  /** @default '_feedback-pipeline-status' */
  readonly topic?: string;
  /** Reports older than this come from instances presumed dead. @default 10_000 // ms */
  readonly staleAfterMs?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
}

export interface KafkaPipelineStatusSource extends PipelineStatusSource, Stoppable {
  /** Starts following the status topic (creating it if missing). Idempotent. */
  start(): Promise<void>;
  /** Reports held now: the fresh ones plus the newest of each processor. */
  heldReports(): number;
}

/**
 * Drops reports older than `staleAfterMs`, except the newest report of each
 * processor (what a stopped processor still shows).
 */
export function pruneReports(latest: Map<string, StatusReport>, now: number, staleAfterMs: number): void {
  const newest = new Map<string, StatusReport>();
  for (const r of latest.values()) {
    const n = newest.get(r.name);
    if (!n || r.updatedAt > n.updatedAt) newest.set(r.name, r);
  }
  for (const [key, r] of latest) if (now - r.updatedAt > staleAfterMs && newest.get(r.name) !== r) latest.delete(key);
}

export function createKafkaPipelineStatusSource(o: KafkaPipelineStatusSourceOptions): KafkaPipelineStatusSource {
  const topic = o.topic ?? DEFAULT_STATUS_TOPIC;
  const staleAfterMs = o.staleAfterMs ?? 10_000;
  const logger = o.logger ?? silentLogger;
  const now = o.now ?? Date.now;
  const latest = new Map<string, StatusReport>();
  let tail: Promise<Stoppable> | null = null;

  const apply = (records: readonly LogRecord[]): void => {
    for (const r of records) {
      const key = r.key?.toString('utf8') ?? '';
      const report = parseStatusReport(r.value);
      if (report) latest.set(key, report);
      else latest.delete(key);
    }
    pruneReports(latest, now(), staleAfterMs);
  };

  const start = (): Promise<void> => {
    tail ??= o.log
      .ensureTopics([statusTopicSpec(topic)])
      .then(() => o.log.tail({ topic, from: 'earliest', onBatch: apply }))
      .catch((e: unknown) => {
        tail = null;
        logger.warn({ err: e, topic }, 'could not follow the pipeline status topic');
        throw e;
      });
    return tail.then(() => undefined);
  };

  return {
    start,
    heldReports: () => latest.size,
    async status() {
      await start();
      pruneReports(latest, now(), staleAfterMs);
      const merged = aggregateReports(latest.values(), now(), staleAfterMs);
      return Promise.all(merged.map(async (s) => ({ ...s, consumerLag: s.consumerGroup ? await groupLag(o.log, s.consumerGroup, s.sources) : null })));
    },
    async stop() {
      const t = tail;
      tail = null;
      if (t) await (await t.catch(() => null))?.stop();
    },
  };
}
