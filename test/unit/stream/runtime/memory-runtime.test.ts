import { createMemoryEventLog } from '../../../../src/adapters/memory/event-log.js';
import { createMemoryStreamRuntime } from '../../../../stream/runtime/memory-runtime.js';
import { streamRuntimeContract } from '../../../contract/stream-runtime.contract.js';

let n = 0;
const log = createMemoryEventLog({ retryInitialDelayMs: 10 });

streamRuntimeContract('memory', async () => ({
  log,
  runtime: async (groupPrefix) => createMemoryStreamRuntime({ log, groupPrefix, retryInitialDelayMs: 10 }),
  name: (prefix) => `${prefix}-${++n}`,
  close: () => log.close(),
}));
