/**
 * A logger for integration tests that keeps the product's log lines in memory
 * and prints them only when a test fails (a timeout included), so a failure
 * seen once in CI says what the product was doing: which processor retried,
 * which request to which server failed, where it waited. Passing tests print
 * nothing.
 *
 * ```ts
 * const recorder = flightRecorder('avro');
 * beforeEach((ctx) => recorder.watch(ctx));
 * createStreamLayer({ ..., logger: recorder.logger });
 * ```
 */
import { pino, type Logger } from 'pino';
import type { TestContext } from 'vitest';

export interface FlightRecorder {
  /** Debug level and up, kept in a ring of the last `capacity` lines. */
  readonly logger: Logger;
  /** The last `capacity` lines (newest last). */
  lines(): readonly string[];
  /** Forgets what earlier tests logged, and prints what this one logged if it fails. */
  watch(ctx: TestContext): void;
}

export function flightRecorder(name: string, capacity = 2_000): FlightRecorder {
  let ring: string[] = [];
  const logger = pino(
    { name, level: 'debug', base: null, timestamp: pino.stdTimeFunctions.isoTime, serializers: { err: pino.stdSerializers.err } },
    {
      write(line: string) {
        ring.push(line.trimEnd());
        if (ring.length >= 2 * capacity) ring = ring.slice(-capacity);
      },
    },
  );
  return {
    logger,
    lines: () => ring.slice(-capacity),
    watch(ctx) {
      ring = [];
      ctx.onTestFailed(() => {
        const last = ring.slice(-capacity);
        console.error(`--- ${name}: the product's last ${last.length} log lines before "${ctx.task.name}" failed ---\n${last.join('\n')}\n--- end of ${name} log ---`);
      });
    },
  };
}
