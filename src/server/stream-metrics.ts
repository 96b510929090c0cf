/**
 * The stream processors' counters in Prometheus (the same figures as
 * `Query.pipeline`), read from this process's runtime at scrape time:
 * `stream_processor_messages_total`, `stream_processor_failed_messages_total`
 * (dead-lettered) and `stream_processor_unmatched_messages_total` (join inputs
 * that found no customer: anonymous ratings, or a customer that did not arrive
 * within JOIN_GRACE_MS; dropped like the article's `WHERE C.FIRST_NAME IS NOT NULL`).
 * Counts start at zero when the process starts, as Prometheus counters do.
 */
import { Counter, type Registry } from 'prom-client';
import type { PipelineStatusSource, ProcessorStatus } from '../ports/stream-runtime.js';

type Field = 'totalMessages' | 'failedMessages' | 'unmatchedMessages';

const COUNTERS: readonly { name: string; help: string; field: Field }[] = [
  { name: 'stream_processor_messages_total', help: 'Input records processed by each stream processor in this process', field: 'totalMessages' },
  { name: 'stream_processor_failed_messages_total', help: 'Input records dead-lettered by each stream processor in this process', field: 'failedMessages' },
  {
    name: 'stream_processor_unmatched_messages_total',
    help: 'Join inputs dropped by each stream processor in this process because no customer matched (anonymous, or none within JOIN_GRACE_MS)',
    field: 'unmatchedMessages',
  },
];

/** Registers the counters once per registry; `source` is read on every scrape (one status call per scrape). */
export function registerStreamMetrics(registry: Registry, source: PipelineStatusSource): void {
  if (registry.getSingleMetric(COUNTERS[0]!.name)) return;
  // One status() per scrape, shared by the three counters (prom-client collects them one after another).
  let pending: Promise<readonly ProcessorStatus[]> | null = null;
  const statuses = (): Promise<readonly ProcessorStatus[]> => {
    pending ??= source.status().finally(() => setImmediate(() => (pending = null)));
    return pending;
  };
  for (const { name, help, field } of COUNTERS) {
    new Counter({
      name,
      help,
      labelNames: ['processor'] as const,
      registers: [registry],
      async collect() {
        const all = await statuses();
        this.reset();
        for (const s of all) this.inc({ processor: s.name }, s[field]);
      },
    });
  }
}
