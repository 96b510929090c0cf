/**
 * What the Kafka and the in-memory stream runtimes (kafka-runtime.ts,
 * memory-runtime.ts) do alike around their processors: naming consumer
 * groups, creating topics, starting and stopping global tables, admitting a
 * processor, and reporting failures and status from the processors' meters.
 */
import { BadInputError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import type { EventLog, TopicSpec } from '../../src/ports/event-log.js';
import { ProcessorState, type GlobalTable, type ProcessorDefinition, type ProcessorFailure, type ProcessorStatus, type TableDefinition } from '../../src/ports/stream-runtime.js';
import { instanceStatus, startGlobalTable, type ProcessorMeter } from './tasks.js';

/** A processor as its runtime keeps it. */
export interface MeteredProcessor {
  readonly def: ProcessorDefinition;
  readonly groupId: string;
  readonly meter: ProcessorMeter;
  stop(): Promise<void>;
}

/** Summed lag of a group over topics; null when it could not be read. */
export async function groupLag(log: { lag(groupId: string, topic: string): Promise<number> }, groupId: string, topics: readonly string[]): Promise<number | null> {
  try {
    const lags = await Promise.all(topics.map((t) => log.lag(groupId, t)));
    return lags.reduce((a, b) => a + b, 0);
  } catch {
    return null;
  }
}

export abstract class RuntimeBase<P extends MeteredProcessor, L extends EventLog> {
  protected readonly processors = new Map<string, P>();
  protected readonly tables: { stop(): Promise<void> }[] = [];
  protected closed = false;

  protected constructor(
    protected readonly log: L,
    protected readonly groupPrefix: string,
    protected readonly logger: Logger,
    /** The clock of the status. */
    private readonly clock: () => number,
  ) {}

  groupId(processorName: string): string {
    return `${this.groupPrefix}-${processorName}`;
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    await this.log.ensureTopics(specs);
  }

  /** Starts a global table, which the runtime stops on close. */
  async table(definition: TableDefinition): Promise<GlobalTable> {
    const t = await startGlobalTable(this.log, definition, this.logger);
    this.tables.push(t);
    return t.table;
  }

  failing(): readonly ProcessorFailure[] {
    return [...this.processors.values()].filter((p) => p.meter.state === ProcessorState.Error).map((p) => ({ name: p.def.name, lastError: p.meter.lastError }));
  }

  /** The processors of this instance, with live consumer lag. */
  async status(): Promise<readonly ProcessorStatus[]> {
    const now = this.clock();
    return Promise.all(
      [...this.processors.values()].map(async (p) => ({
        ...instanceStatus(p.def, p.groupId, p.meter, now),
        consumerLag: await groupLag(this.log, p.groupId, p.def.sources),
        instances: p.meter.state === ProcessorState.Stopped ? 0 : 1,
      })),
    );
  }

  /**
   * Registers the processor `create` makes for `definition` (with its group id).
   * @throws BadInputError when the runtime is closed, the processor has no source, or one of that name still runs
   */
  protected admit(definition: ProcessorDefinition, create: (groupId: string) => P): P {
    if (this.closed) throw new BadInputError('the stream runtime is closed');
    if (definition.sources.length === 0) throw new BadInputError(`processor ${definition.name} needs at least one source topic`);
    const existing = this.processors.get(definition.name);
    if (existing && existing.meter.state !== ProcessorState.Stopped) throw new BadInputError(`processor ${definition.name} is already running`);
    const p = create(this.groupId(definition.name));
    this.processors.set(definition.name, p);
    return p;
  }

  /** Stops every processor, then every table. */
  protected async stopAll(): Promise<void> {
    await Promise.all([...this.processors.values()].map((p) => p.stop()));
    await Promise.all(this.tables.splice(0).map((t) => t.stop()));
  }
}
