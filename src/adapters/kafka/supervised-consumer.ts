/**
 * A kafkajs consumer that comes back after kafkajs gave up on it.
 *
 * On a crash kafkajs emits `consumer.events.CRASH` and restarts the consumer
 * itself only when the error was retriable (`payload.restart === true`: a
 * retriable protocol error, or retries exhausted on one). Otherwise (a
 * non-retriable broker error, a TypeError in our own eachBatch code, a
 * `restartOnFailure` that said no) it has already disconnected the consumer
 * when the event fires, and that consumer never fetches again: the service
 * keeps running with nothing consuming, silently.
 *
 * The supervisor recreates such a consumer after a jittered backoff (growing
 * with consecutive crashes), once the handlers still running on the crashed
 * one have returned, and reports health on the way: unhealthy from a crash
 * (either kind) until the consumer or its replacement joined its group again.
 * Where the replacement starts is the caller's: a group consumer resumes from
 * its committed offsets, a tail seeks to the positions it tracked.
 */
import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../../logger.js';
import { backoffDelay, sleep } from '../../retry.js';

export interface SupervisedConsumerOptions {
  readonly logger: Logger;
  /** Builds a consumer and adds the caller's event listeners; nothing connected yet. */
  readonly create: () => Consumer;
  /** Connects, subscribes and runs a consumer from {@link create}. */
  readonly run: (consumer: Consumer) => Promise<void>;
  /** Resolves once the handlers still running on a crashed consumer have returned. */
  readonly drain?: () => Promise<void>;
  /** Runs after the drain, before a replacement is created: reset per-consumer state. */
  readonly beforeReplace?: () => Promise<void> | void;
  /** False at a crash, true once the consumer (or its replacement) joined its group again; only changes are reported. */
  readonly onHealth?: (healthy: boolean, error?: unknown) => void;
  /** First delay before a replacement. @default 200 // ms */
  readonly retryInitialDelayMs?: number;
  /** @default 30_000 // ms */
  readonly retryMaxDelayMs?: number;
  /** A consumer that stayed up this long resets the crash count (and so the backoff). @default 60_000 // ms */
  readonly stableAfterMs?: number;
}

export class SupervisedConsumer {
  private consumer: Consumer | null = null;
  private stopping = false;
  private readonly abort = new AbortController();
  private replacing: Promise<void> | null = null;
  /** A crash without restart not yet handled by the replace loop. */
  private pendingCrash = false;
  private crashes = 0;
  private lastCrashAt = 0;
  private healthy = true;
  private readonly o: SupervisedConsumerOptions;

  constructor(options: SupervisedConsumerOptions) {
    this.o = options;
  }

  /** The consumer running now (null while a replacement is being made). */
  current(): Consumer | null {
    return this.consumer;
  }

  /** Whether the consumer is up: no crash since it last joined its group. */
  isHealthy(): boolean {
    return this.healthy;
  }

  /** Starts the first consumer; throws (after disconnecting it) when it cannot start. */
  async start(): Promise<void> {
    const c = this.wire(this.o.create());
    this.consumer = c;
    try {
      await this.o.run(c);
    } catch (e) {
      this.consumer = null;
      await c.disconnect().catch(() => undefined);
      throw e;
    }
  }

  /** Stops the consumer and any replacement in the making; idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    await this.replacing;
    const c = this.consumer;
    this.consumer = null;
    if (c) await c.disconnect().catch((err: unknown) => this.o.logger.warn({ err }, 'consumer did not disconnect cleanly'));
  }

  private wire(c: Consumer): Consumer {
    c.on(c.events.CRASH, (e) => this.crashed(c, e.payload.error, e.payload.restart));
    c.on(c.events.GROUP_JOIN, () => {
      if (c === this.consumer && !this.stopping) this.setHealth(true);
    });
    return c;
  }

  private setHealth(healthy: boolean, error?: unknown): void {
    if (this.healthy === healthy) return;
    this.healthy = healthy;
    this.o.onHealth?.(healthy, error);
  }

  private crashed(c: Consumer, error: unknown, restart: boolean): void {
    if (this.stopping || c !== this.consumer) return;
    this.setHealth(false, error);
    if (restart) {
      this.o.logger.warn({ err: error }, 'consumer crashed; kafkajs restarts it');
      return;
    }
    const now = Date.now();
    if (now - this.lastCrashAt > (this.o.stableAfterMs ?? 60_000)) this.crashes = 0;
    this.lastCrashAt = now;
    this.crashes++;
    this.o.logger.error({ err: error, crashes: this.crashes }, 'consumer crashed and kafkajs will not restart it; recreating it');
    this.pendingCrash = true;
    this.kick();
  }

  private kick(): void {
    if (this.replacing || this.stopping) return;
    this.replacing = this.replaceLoop().finally(() => {
      this.replacing = null;
      // A crash between the loop's last check and here.
      if (this.pendingCrash) this.kick();
    });
  }

  private async replaceLoop(): Promise<void> {
    let attempt = 0;
    while (this.pendingCrash && !this.stopping) {
      this.pendingCrash = false;
      attempt++;
      const delayMs = backoffDelay(this.crashes + attempt - 1, { initialDelayMs: this.o.retryInitialDelayMs ?? 200, maxDelayMs: this.o.retryMaxDelayMs ?? 30_000 });
      try {
        await sleep(delayMs, this.abort.signal);
      } catch {
        return;
      }
      await this.o.drain?.();
      const old = this.consumer;
      this.consumer = null;
      await old?.disconnect().catch(() => undefined);
      if (this.stopping) return;
      try {
        await this.o.beforeReplace?.();
        const c = this.wire(this.o.create());
        this.consumer = c;
        // A crash while it starts sets pendingCrash again (c is current), and the loop goes round.
        await this.o.run(c);
        this.o.logger.info({ attempt, delayMs }, 'crashed consumer recreated');
      } catch (err) {
        this.o.logger.warn({ err, attempt }, 'could not recreate the crashed consumer; retrying');
        this.pendingCrash = true;
      }
    }
  }
}

/** Handlers in flight, so a replacement waits for the ones still running on a crashed consumer. */
export class InFlight {
  private readonly running = new Set<Promise<unknown>>();

  track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    const done = (): void => void this.running.delete(work);
    work.then(done, done);
    return work;
  }

  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}

/** Runs `fn`, calling `heartbeat` every `everyMs` meanwhile (kafkajs sends one only when due); errors of a heartbeat are ignored. */
export async function withHeartbeats<T>(heartbeat: () => Promise<void>, everyMs: number, fn: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => void heartbeat().catch(() => undefined), Math.max(50, everyMs));
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

/** The consumer settings every consumer of a KafkaEventLog is created with. */
export interface ConsumerDefaults {
  readonly sessionTimeout: number;
  readonly heartbeatInterval: number;
  readonly maxWaitTimeInMs: number;
  readonly maxBytesPerPartition: number;
}

/** What a tail or a group consumer uses of the KafkaEventLog that runs it. */
export interface ConsumerHost {
  readonly client: Kafka;
  readonly logger: Logger;
  readonly consumerDefaults: ConsumerDefaults;
  /** First redelivery delay after a consume handler threw, and first delay before a crashed consumer's replacement. */
  readonly retryInitialDelayMs: number;
  readonly retryMaxDelayMs: number;
  /** Partitions of one group consumer handled at the same time. */
  readonly concurrency: number;
  /** How often a long handler heartbeats. */
  heartbeatEveryMs(): number;
  /** Records a consumer's health, for the log's `ping`. */
  consumerHealth(id: string, healthy: boolean, error?: unknown): void;
}

/** The supervisor options a consumer of `host` shares with the others: its backoff, its drain, its health under `healthId`. */
export function supervisedBy(
  host: ConsumerHost,
  logger: Logger,
  healthId: string,
  inflight: InFlight,
): Pick<SupervisedConsumerOptions, 'logger' | 'retryInitialDelayMs' | 'retryMaxDelayMs' | 'drain' | 'onHealth'> {
  return {
    logger,
    retryInitialDelayMs: host.retryInitialDelayMs,
    retryMaxDelayMs: host.retryMaxDelayMs,
    drain: () => inflight.idle(),
    onHealth: (healthy, err) => host.consumerHealth(healthId, healthy, err),
  };
}
