/**
 * The in-memory stream runtime for the embedded default: the same processors
 * as on Kafka, over a {@link MemoryEventLog}. One instance owns every
 * partition. Each step's output and its input offset are committed together
 * with {@link MemoryEventLog.commitTransaction}, so a batch is either fully
 * visible with its offset or not at all: the in-memory equivalent of the Kafka
 * runtime's transactions.
 */
import { DEFAULT_GROUP_PREFIX } from '../../src/config.js';
import { silentLogger, type Logger } from '../../src/logger.js';
import { ProcessorState, type ProcessorDefinition, type ProcessorHandle, type StreamRuntime } from '../../src/ports/stream-runtime.js';
import { backoffDelay } from '../../src/retry.js';
import { ProcessorMeter, StepFailure, runSteps } from './tasks.js';
import { RuntimeBase } from './runtime-base.js';
import type { MemoryEventLog } from '../../src/adapters/memory/event-log.js';

export interface MemoryStreamRuntimeOptions {
  readonly log: MemoryEventLog;
  /** Prefix of consumer group names. @default 'feedback-gateway' */
  readonly groupPrefix?: string;
  readonly logger?: Logger;
  /** Records per step and partition. @default 500 */
  readonly maxBatchSize?: number;
  /** First retry delay after a failed step. @default 50 // ms */
  readonly retryInitialDelayMs?: number;
  /** @default 5_000 // ms */
  readonly retryMaxDelayMs?: number;
  /** The clock handed to processors. @default Date.now */
  readonly now?: () => number;
}

export function createMemoryStreamRuntime(options: MemoryStreamRuntimeOptions): MemoryStreamRuntime {
  return new MemoryStreamRuntime(options);
}

interface PartitionState {
  /** Epoch ms before which the partition is not offered (a wait or a retry backoff). */
  notBefore: number;
  /** A wait (not a retry) ends early when a table changes. */
  waiting: boolean;
  attempts: number;
}

class MemoryProcessor {
  readonly meter: ProcessorMeter;
  readonly groupId: string;
  private readonly parts = new Map<string, PartitionState>();
  private readonly abort = new AbortController();
  private kick: (() => void) | null = null;
  private wakes = 0;
  private readonly disposers: (() => void)[] = [];
  private done: Promise<void> = Promise.resolve();

  constructor(
    readonly def: ProcessorDefinition,
    groupId: string,
    private readonly rt: {
      log: MemoryEventLog;
      logger: Logger;
      maxBatchSize: number;
      retryInitialDelayMs: number;
      retryMaxDelayMs: number;
      now: () => number;
    },
  ) {
    this.groupId = groupId;
    this.meter = new ProcessorMeter(rt.now());
  }

  start(): void {
    for (const t of this.def.tables ?? []) this.disposers.push(t.onChange(() => this.wake()));
    this.done = this.run().catch((err: unknown) => {
      this.meter.failure(err);
      this.rt.logger.error({ err, processor: this.def.name }, 'processor stopped on an unexpected error');
    });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.kick?.();
    for (const d of this.disposers.splice(0)) d();
    await this.done;
    this.meter.state = ProcessorState.Stopped;
  }

  /** Ends waits early (a table changed): the waiting records are offered again. */
  wake(): void {
    this.wakes++;
    for (const st of this.parts.values()) if (st.waiting) st.notBefore = 0;
    this.kick?.();
  }

  private async run(): Promise<void> {
    const { log, logger } = this.rt;
    const tables = this.def.tables ?? [];
    if (tables.some((t) => !t.isReady())) {
      this.meter.state = ProcessorState.Bootstrapping;
      await Promise.race([Promise.all(tables.map((t) => t.ready())), this.aborted()]);
    }
    if (this.abort.signal.aborted) return;
    this.meter.state = ProcessorState.Running;
    logger.info({ processor: this.def.name, groupId: this.groupId }, 'processor running');
    while (!this.abort.signal.aborted) {
      const seen = log.version();
      const wakes = this.wakes;
      let worked = false;
      let nextAt = Number.POSITIVE_INFINITY;
      for (const topic of this.def.sources) {
        for (let p = 0; p < log.partitionCount(topic); p++) {
          if (this.abort.signal.aborted) return;
          const r = await this.step(topic, p);
          if (r === true) worked = true;
          else if (typeof r === 'number') nextAt = Math.min(nextAt, r);
        }
      }
      if (worked) {
        // Let producers, tables and timers run between rounds.
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      // A wake-up (table change) during the round: go round again at once.
      if (wakes !== this.wakes) continue;
      await this.idle(nextAt, seen);
    }
  }

  /** One step on one partition: true when it committed something, a time when it must come back then, false when idle. */
  private async step(topic: string, partition: number): Promise<boolean | number> {
    const { log, logger, now } = this.rt;
    const key = `${topic}/${partition}`;
    let st = this.parts.get(key);
    if (!st) this.parts.set(key, (st = { notBefore: 0, waiting: false, attempts: 0 }));
    const t = now();
    if (st.notBefore > t) return st.notBefore;
    const from = log.committedOffset(this.groupId, topic, partition) ?? 0;
    const records = log.read(topic, partition, from, this.rt.maxBatchSize);
    if (records.length === 0) return false;
    try {
      if (this.def.prepare) {
        await this.def.prepare(records);
        // Stopped meanwhile: commit nothing more.
        if (this.abort.signal.aborted) return false;
      }
      const steps = runSteps(this.def, records, t);
      st.waiting = false;
      st.notBefore = 0;
      if (steps.last) {
        log.commitTransaction(steps.emit, this.groupId, [{ topic, partition, offset: Number(steps.last.offset) + 1 }]);
        this.meter.record(steps.processed, steps.failed, steps.unmatched, now());
      }
      if (steps.wait) {
        st.waiting = true;
        st.notBefore = steps.wait.until;
      }
      st.attempts = 0;
      this.meter.recovered();
      return steps.last !== null || (steps.wait ? steps.wait.until : false);
    } catch (err) {
      st.attempts++;
      st.waiting = false;
      st.notBefore = t + backoffDelay(st.attempts, { initialDelayMs: this.rt.retryInitialDelayMs, maxDelayMs: this.rt.retryMaxDelayMs });
      const offset = err instanceof StepFailure ? err.record.offset : records[0]?.offset;
      logger.warn({ err, processor: this.def.name, topic, partition, offset, attempt: st.attempts }, 'step failed; will retry');
      if (st.attempts >= 3) this.meter.failure(err);
      return st.notBefore;
    }
  }

  private idle(until: number, seen: number): Promise<void> {
    const wait = until === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : Math.max(0, until - this.rt.now());
    return new Promise<void>((resolve) => {
      const ac = new AbortController();
      const finish = (): void => {
        if (this.kick === finish) this.kick = null;
        ac.abort();
        resolve();
      };
      this.kick = finish;
      void this.rt.log.waitForRecords(wait, ac.signal, seen).then(finish);
      this.abort.signal.addEventListener('abort', finish, { once: true, signal: ac.signal });
    });
  }

  private aborted(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.abort.signal.aborted) resolve();
      else this.abort.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }
}

export class MemoryStreamRuntime extends RuntimeBase<MemoryProcessor, MemoryEventLog> implements StreamRuntime {
  readonly kind = 'memory' as const;
  readonly exactlyOnce = true;
  private readonly cfg: ConstructorParameters<typeof MemoryProcessor>[2];

  constructor(o: MemoryStreamRuntimeOptions) {
    super(o.log, o.groupPrefix ?? DEFAULT_GROUP_PREFIX, o.logger ?? silentLogger, o.now ?? Date.now);
    this.cfg = {
      log: o.log,
      logger: this.logger,
      maxBatchSize: o.maxBatchSize ?? 500,
      retryInitialDelayMs: o.retryInitialDelayMs ?? 50,
      retryMaxDelayMs: o.retryMaxDelayMs ?? 5_000,
      now: o.now ?? Date.now,
    };
  }

  async run(definition: ProcessorDefinition): Promise<ProcessorHandle> {
    const p = this.admit(definition, (groupId) => new MemoryProcessor(definition, groupId, this.cfg));
    p.start();
    let stopped: Promise<void> | null = null;
    return { name: definition.name, stop: () => (stopped ??= p.stop()) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.stopAll();
  }
}
