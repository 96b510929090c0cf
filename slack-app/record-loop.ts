/**
 * The consume loop the poster and the acknowledgement follower share: one
 * consumer group on one topic, each record parsed against its contract (a
 * record that breaks it is logged and skipped) and handled in order; offsets
 * are committed when a batch is handled. `stop()` aborts the signal handed to
 * the handler (waits on Slack end at once) and stops the consumer; the batch
 * in hand is not committed and is delivered again later.
 */
import { parseRecordValue, type Result } from '../src/domain/index.js';
import type { Logger } from '../src/logger.js';
import type { EventLog, Stoppable } from '../src/ports/event-log.js';

export interface RecordLoopOptions<T> {
  log: EventLog;
  groupId: string;
  topic: string;
  logger: Logger;
  /** What a record is, for the log line of a skipped one (`complaint`). */
  what: string;
  parse: (value: unknown) => Result<T>;
  handle: (value: T, signal: AbortSignal) => Promise<unknown>;
  /** The abort reason `stop()` gives running handlers. */
  stopReason: () => Error;
}

export interface RecordLoop {
  /** Idempotent. */
  start(): Promise<void>;
  /** Idempotent. */
  stop(): Promise<void>;
  /** The signal of the current run (aborted once stopped). */
  signal(): AbortSignal;
}

export function createRecordLoop<T>(o: RecordLoopOptions<T>): RecordLoop {
  const { log, groupId, topic, logger, what, parse, handle, stopReason } = o;
  let consumer: Stoppable | null = null;
  let controller = new AbortController();
  return {
    signal: () => controller.signal,
    async start() {
      if (consumer) return;
      controller = new AbortController();
      const { signal } = controller;
      consumer = await log.consume({
        groupId,
        topics: [topic],
        // From the beginning: what arrived while no instance ran still reaches Slack.
        fromBeginning: true,
        onBatch: async (records) => {
          for (const r of records) {
            signal.throwIfAborted();
            if (r.value === null) continue;
            const parsed = parseRecordValue(r.value, parse);
            if (!parsed.ok) {
              logger.warn({ partition: r.partition, offset: r.offset, err: parsed.error }, `${what} record does not match its contract; skipped`);
              continue;
            }
            await handle(parsed.value, signal);
          }
        },
      });
    },
    async stop() {
      const c = consumer;
      if (!c) return;
      consumer = null;
      controller.abort(stopReason());
      await c.stop();
    },
  };
}
