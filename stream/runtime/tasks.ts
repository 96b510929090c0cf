/**
 * What the Kafka and the in-memory stream runtimes share: running a
 * processor's steps over one partition's batch, and the per-processor meter
 * behind the status. Internal to the adapters; nothing here does I/O.
 */
import { UnavailableError } from '../../src/errors.js';
import { backoffDelay, sleep } from '../../src/retry.js';
import { MinuteRate } from '../../src/rate.js';
import type { Logger } from '../../src/logger.js';
import type { EventLog, LogRecord, OutRecord } from '../../src/ports/event-log.js';
import { ProcessorState, type GlobalTable, type ProcessorDefinition, type ProcessorStatus, type StepOutcome, type TableDefinition } from '../../src/ports/stream-runtime.js';

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

/**
 * Counters and a one-minute rate ({@link MinuteRate}) for one processor in one
 * runtime instance.
 */
export class ProcessorMeter {
  total = 0;
  failed = 0;
  unmatched = 0;
  lastMessageTime: number | null = null;
  lastError: string | null = null;
  state: ProcessorState = ProcessorState.Bootstrapping;
  private readonly window: MinuteRate;

  constructor(now = Date.now()) {
    this.window = new MinuteRate(now);
  }

  /** Counts a committed batch. */
  record(processed: number, failed: number, unmatched: number, now = Date.now()): void {
    if (processed === 0) return;
    this.total += processed;
    this.failed += failed;
    this.unmatched += unmatched;
    this.lastMessageTime = now;
    this.window.add(processed, now);
  }

  rate(now = Date.now()): number {
    return this.window.perSecond(now);
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

/** How often a table fed by a group polls the group's committed offsets while it catches up. */
const UPSTREAM_POLL_MS = 200;
/** How often a table still waiting for its upstream says so in the log. */
const UPSTREAM_LOG_EVERY_MS = 30_000;

/**
 * End offsets of a topic's non-empty partitions: partition → next offset to be
 * written, counting records of transactions not ended yet (the high
 * watermark). The last stable offset would not do: a transaction's commit
 * markers reach its partitions one by one, so a group's committed offsets can
 * be visible while the records it wrote in that same transaction are not yet,
 * and a table reading only to the last stable offset could call itself
 * bootstrapped without them. (A CI run that lost 40 customers was first blamed
 * on this; its real cause was concurrent sends on one idempotent producer,
 * fixed in `KafkaEventLog.produce`.) Reading up
 * to the high watermark with read_committed means every transaction that had
 * written there has ended, committed or aborted.
 */
async function endOffsets(log: EventLog, topic: string): Promise<Map<number, bigint>> {
  const out = new Map<number, bigint>();
  for (const o of await log.offsets(topic, 'uncommitted')) if (BigInt(o.high) > BigInt(o.low)) out.set(o.partition, BigInt(o.high));
  return out;
}

/**
 * A global table on any EventLog: tails its topic from the earliest offset on
 * every partition; ready once each partition reached the end offset it had
 * when the table started (positions, not records, decide, because
 * transaction markers take up offsets too). Then it keeps following.
 *
 * A table {@link TableDefinition.fedBy fed by a group} of this application
 * (CUSTOMERS_SRC_REKEY by rekey-customers) takes, when it starts, the end
 * offsets of that group's sources, waits until the group has committed up to
 * them, and only then takes its own topic's end offsets as the ones to reach:
 * on a fresh deploy with a CDC backlog the table is not ready until the
 * backlog was re-keyed and read. The tail runs from the start meanwhile, so
 * the table fills while the upstream catches up.
 */
export async function startGlobalTable(
  log: EventLog,
  def: TableDefinition,
  logger: Logger,
  options: { readonly pollMs?: number; readonly retryInitialDelayMs?: number; readonly retryMaxDelayMs?: number } = {},
): Promise<{ readonly table: GlobalTable; stop(): Promise<void>; fail(error: unknown): void }> {
  const signals = new TableSignals();
  const abort = new AbortController();
  /** partition → next offset the tail reads there. */
  const position = new Map<number, bigint>();
  /** The end offsets to reach; null while an upstream group is still catching up. */
  let targets: Map<number, bigint> | null = null;
  const check = (): void => {
    if (signals.isReady() || targets === null) return;
    for (const [p, end] of targets) if ((position.get(p) ?? -1n) < end) return;
    logger.info({ table: def.name, topic: def.topic }, 'table bootstrapped');
    signals.markReady();
  };
  if (!def.fedBy) targets = await endOffsets(log, def.topic);
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
      position.set(partition, BigInt(next));
      check();
    },
  });
  check();
  const upstream = def.fedBy ? waitForUpstream(log, def, def.fedBy, logger, abort.signal, options) : Promise.resolve(null);
  const following = upstream.then((ends) => {
    if (ends === null || abort.signal.aborted) return;
    targets = ends;
    check();
  });
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      abort.abort();
      signals.fail(new UnavailableError(`table ${def.name} stopped before it was bootstrapped`, { retriable: false }));
      await following;
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

/**
 * Waits until `fedBy.groupId` committed up to the end offsets its sources have
 * now, then returns the table topic's end offsets (taken after that); null
 * when aborted. Errors reading offsets are retried with backoff.
 */
async function waitForUpstream(
  log: EventLog,
  def: TableDefinition,
  fedBy: NonNullable<TableDefinition['fedBy']>,
  logger: Logger,
  signal: AbortSignal,
  o: { readonly pollMs?: number; readonly retryInitialDelayMs?: number; readonly retryMaxDelayMs?: number },
): Promise<Map<number, bigint> | null> {
  const log_ = logger.child({ table: def.name, upstreamGroup: fedBy.groupId });
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | null> => {
    for (let n = 1; ; n++) {
      if (signal.aborted) return null;
      try {
        return await fn();
      } catch (err) {
        const delayMs = backoffDelay(n, { initialDelayMs: o.retryInitialDelayMs ?? 200, maxDelayMs: o.retryMaxDelayMs ?? 10_000 });
        log_.warn({ err, attempt: n, delayMs }, `could not read ${what}; retrying`);
        if (!(await pause(delayMs, signal))) return null;
      }
    }
  };
  const sources = await attempt('the end offsets of the upstream sources', async () => {
    const out: { topic: string; ends: Map<number, bigint> }[] = [];
    for (const topic of fedBy.topics) out.push({ topic, ends: await endOffsets(log, topic) });
    return out;
  });
  if (sources === null) return null;
  const backlog = sources.reduce((n, s) => n + s.ends.size, 0);
  if (backlog > 0) log_.info({ sources: fedBy.topics }, 'table waits for its upstream group to catch up with the backlog of its sources');
  let lastLog = Date.now();
  for (;;) {
    const behind = await attempt('the committed offsets of the upstream group', async () => {
      let records = 0n;
      for (const { topic, ends } of sources) {
        if (ends.size === 0) continue;
        const committed = await log.committed(fedBy.groupId, topic);
        for (const [p, end] of ends) {
          const at = BigInt(committed.get(p) ?? '0');
          if (at < end) records += end - at;
        }
      }
      return records;
    });
    if (behind === null) return null;
    if (behind === 0n) break;
    if (Date.now() - lastLog >= UPSTREAM_LOG_EVERY_MS) {
      lastLog = Date.now();
      log_.info({ behind: Number(behind) }, 'table still waits for its upstream group');
    }
    if (!(await pause(o.pollMs ?? UPSTREAM_POLL_MS, signal))) return null;
  }
  if (backlog > 0) log_.info('upstream group caught up; reading the table to its end');
  return attempt(`the end offsets of ${def.topic}`, () => endOffsets(log, def.topic));
}

/** Sleeps; false when aborted first. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, signal);
    return true;
  } catch {
    return false;
  }
}
