/**
 * `Query.pipeline.sink` from the Elasticsearch sink running in this process:
 * its stats in the shape of a processor's status (sinks = the indices).
 */
import { ProcessorState, type ProcessorStatus } from '../ports/stream-runtime.js';
import type { SinkStatusSource } from '../api/api-context.js';
import { SINK_PROCESSOR, type Sink, type SinkState } from '../sink/sink.js';

/** The sink's state as a processor's (exhaustive: a new SinkState fails the type check here). */
const STATE: Readonly<Record<SinkState, ProcessorState>> = {
  running: ProcessorState.Running,
  starting: ProcessorState.Bootstrapping,
  retrying: ProcessorState.Error,
  stopped: ProcessorState.Stopped,
};

export function sinkStatusSource(sink: Sink, indices: readonly string[]): SinkStatusSource {
  return {
    async status(): Promise<ProcessorStatus> {
      const s = sink.stats();
      const lag = await sink.lag().catch(() => null);
      return {
        name: SINK_PROCESSOR,
        sources: sink.sourceTopics,
        sinks: indices,
        state: STATE[s.state],
        messagesPerSecond: s.ratePerSecond,
        totalMessages: s.indexed + s.failed,
        failedMessages: s.failed,
        unmatchedMessages: 0,
        lastMessageTime: s.lastMessageAt,
        consumerLag: lag,
        consumerGroup: sink.groupId,
        instances: 1,
        lastError: s.lastError,
      };
    },
  };
}
