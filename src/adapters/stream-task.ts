/**
 * What the Kafka and the in-memory stream runtimes share: running a
 * processor's steps over one partition's batch, and the per-processor meter
 * behind the status. Internal to the adapters; nothing here does I/O.
 */
import { UnavailableError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { EventLog, LogRecord, OutRecord } from '../ports/event-log.js';
import {
  ProcessorState,
  type GlobalTable,
  type ProcessorDefinition,
  type ProcessorStatus,
  type StepOutcome,
  type TableDefinition,
} from '../ports/stream-runtime.js';

/** The result of running a processor over (a prefix of) one partition's batch. */
export interface BatchSteps {
  /** Everything to produce, in order, with the offsets. */
  readonly emit: readonly OutRecord[];
  /** Records consumed (decided `done`). */
  readonly processed: number;
  readonly failed: number;
  readonly unmatched: number;
  /** The last consumed record, or null when the first record waits. */
  readonly last: LogRecord | null;
  /** The record that asked to wait and until when; the batch stops there. */
  readonly wait: { readonly record: LogRecord; readonly until: number } | null;
}

/** Thrown when a step fails without an `onError` that could decide; the batch must be retried. */
export class StepFailure extends Error {
  readonly record: LogRecord;
  constructor(record: LogRecord, cause: unknown) {
    super(`processing ${record.topic}/${record.partition}@${record.offset} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StepFailure';
    this.record = record;
  }
}

/** Runs `process` over `records` in order until the end or the first `wait`. */
export function runSteps(def: ProcessorDefinition, records: readonly LogRecord[], now: number): BatchSteps {
  const emit: OutRecord[] = [];
  let processed = 0;
  let failed = 0;
  let unmatched = 0;
  let last: LogRecord | null = null;
  const ctx = { now };
  for (const record of records) {
    const outcome = step(def, record, ctx);
    if (outcome.kind === 'wait') return { emit, processed, failed, unmatched, last, wait: { record, until: outcome.until } };
    for (const r of outcome.emit) emit.push(r);
    processed++;
    failed += outcome.failed ?? 0;
    unmatched += outcome.unmatched ?? 0;
    last = record;
  }
  return { emit, processed, failed, unmatched, last, wait: null };
}

function step(def: ProcessorDefinition, record: LogRecord, ctx: { now: number }): StepOutcome {
  try {
    return def.process(record, ctx);
  } catch (error) {
    if (!def.onError) throw new StepFailure(record, error);
    try {
      return def.onError(record, error, ctx);
    } catch (again) {
      throw new StepFailure(record, again);
    }
  }
}

/** The next offset after a record (offsets are decimal strings). */
export const nextOffset = (offset: string): string => (BigInt(offset) + 1n).toString();

const WINDOW_SECONDS = 60;

/**
 * Counters and a one-minute rate for one processor in one runtime instance.
 * The rate is exact over a sliding window of 60 one-second buckets (divided by
 * the time since start while that is shorter than a minute).
 */
export class ProcessorMeter {
  total = 0;
  failed = 0;
  unmatched = 0;
  lastMessageTime: number | null = null;
  lastError: string | null = null;
  state: ProcessorState = ProcessorState.Bootstrapping;
  private readonly buckets = new Float64Array(WINDOW_SECONDS);
  private readonly bucketSecond = new Float64Array(WINDOW_SECONDS).fill(-1);
  private readonly startedAt: number;

  constructor(now = Date.now()) {
    this.startedAt = now;
  }

  /** Counts a committed batch. */
  record(processed: number, failed: number, unmatched: number, now = Date.now()): void {
    if (processed === 0) return;
    this.total += processed;
    this.failed += failed;
    this.unmatched += unmatched;
    this.lastMessageTime = now;
    const second = Math.floor(now / 1000);
    const i = second % WINDOW_SECONDS;
    if (this.bucketSecond[i] !== second) {
      this.bucketSecond[i] = second;
      this.buckets[i] = 0;
    }
    this.buckets[i] = (this.buckets[i] ?? 0) + processed;
  }

  rate(now = Date.now()): number {
    const second = Math.floor(now / 1000);
    let sum = 0;
    for (let i = 0; i < WINDOW_SECONDS; i++) {
      const s = this.bucketSecond[i] ?? -1;
      if (s > second - WINDOW_SECONDS && s <= second) sum += this.buckets[i] ?? 0;
    }
    const span = Math.min(WINDOW_SECONDS, Math.max(1, (now - this.startedAt) / 1000));
    return Math.round((sum / span) * 1000) / 1000;
  }

  failure(error: unknown): void {
    this.state = ProcessorState.Error;
    this.lastError = error instanceof Error ? error.message : String(error);
  }

  recovered(): void {
    if (this.state === ProcessorState.Error) this.state = ProcessorState.Running;
  }
}

/** A processor's status in one instance, without the live consumer lag. */
export type InstanceStatus = Omit<ProcessorStatus, 'consumerLag' | 'instances'>;

export function instanceStatus(def: Pick<ProcessorDefinition, 'name' | 'sources' | 'sinks'>, groupId: string, meter: ProcessorMeter, now = Date.now()): InstanceStatus {
  return {
    name: def.name,
    sources: [...def.sources],
    sinks: [...def.sinks],
    state: meter.state,
    messagesPerSecond: meter.rate(now),
    totalMessages: meter.total,
    failedMessages: meter.failed,
    unmatchedMessages: meter.unmatched,
    lastMessageTime: meter.lastMessageTime,
    consumerGroup: groupId,
    lastError: meter.lastError,
  };
}

/** A table's change listeners, and its readiness as a promise. */
export class TableSignals {
  private readonly listeners = new Set<() => void>();
  private readyFlag = false;
  private resolveReady!: () => void;
  private rejectReady!: (e: unknown) => void;
  readonly readyPromise: Promise<void>;

  constructor() {
    this.readyPromise = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // A table nobody awaits must not raise an unhandled rejection on close.
    this.readyPromise.catch(() => undefined);
  }

  isReady(): boolean {
    return this.readyFlag;
  }

  markReady(): void {
    if (this.readyFlag) return;
    this.readyFlag = true;
    this.resolveReady();
    this.changed();
  }

  fail(error: unknown): void {
    if (!this.readyFlag) this.rejectReady(error);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(): void {
    for (const l of [...this.listeners]) {
      try {
        l();
      } catch {
        // a listener's failure is its own
      }
    }
  }
}

/**
 * A global table on any EventLog: tails its topic from the earliest offset on
 * every partition; ready once each partition reached the end offset it had
 * when the table started (positions, not records, decide, because
 * transaction markers take up offsets too). Then it keeps following.
 */
export async function startGlobalTable(
  log: EventLog,
  def: TableDefinition,
  logger: Logger,
): Promise<{ readonly table: GlobalTable; stop(): Promise<void>; fail(error: unknown): void }> {
  const signals = new TableSignals();
  const pending = new Map<number, bigint>();
  for (const o of await log.offsets(def.topic)) if (BigInt(o.high) > BigInt(o.low)) pending.set(o.partition, BigInt(o.high));
  const check = (): void => {
    if (pending.size === 0 && !signals.isReady()) {
      logger.info({ table: def.name, topic: def.topic }, 'table bootstrapped');
      signals.markReady();
    }
  };
  const handle = await log.tail({
    topic: def.topic,
    from: 'earliest',
    onBatch: (records) => {
      for (const r of records) {
        try {
          def.apply(r);
        } catch (err) {
          logger.error({ err, table: def.name, topic: r.topic, partition: r.partition, offset: r.offset }, 'table record could not be applied; skipped');
        }
      }
      if (signals.isReady()) signals.changed();
    },
    onPosition: (partition, next) => {
      const target = pending.get(partition);
      if (target !== undefined && BigInt(next) >= target) pending.delete(partition);
      check();
    },
  });
  check();
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      signals.fail(new UnavailableError(`table ${def.name} stopped before it was bootstrapped`, { retriable: false }));
      await handle.stop();
    })());
  const table: GlobalTable = {
    name: def.name,
    topic: def.topic,
    isReady: () => signals.isReady(),
    ready: () => signals.readyPromise,
    onChange: (l) => signals.onChange(l),
    stop,
  };
  return { table, stop, fail: (e) => signals.fail(e) };
}
