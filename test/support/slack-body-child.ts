/**
 * A child process for test/unit/api/slack-body-limit.test.ts: an API server
 * (in-memory adapters) whose Slack handler buffers whatever body it is given,
 * as Bolt does, so its memory shows what reached it. It reports its port,
 * then answers `{ cmd: 'measure' }` with the resident set size: the lowest
 * before and the highest while a request was being answered (sampled every
 * millisecond), after a forced GC.
 */
import type { IncomingMessage } from 'node:http';
import { Registry } from 'prom-client';
import { createMemoryEventLog } from '../../src/adapters/memory/event-log.js';
import { createMemorySearch } from '../../src/adapters/memory/search-index.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { createAcknowledgementService } from '../../src/services/acknowledgements.js';
import { createApiServer } from '../../src/server/index.js';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const config = loadConfig({ API_KEYS: 'viewer-key-0001:viewer:vera', SLACK_MAX_BODY_BYTES: process.env.SLACK_MAX_BODY_BYTES ?? '1048576' });
const log = createMemoryEventLog({ partitions: 1 });
const search = createMemorySearch();
let handled = 0;
let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 1);

const server = createApiServer({
  config,
  logger: silentLogger,
  eventLog: log,
  search,
  acknowledgements: createAcknowledgementService({ store: search, log, topic: config.topics.acknowledgements, logger: silentLogger }),
  registry: new Registry(),
  defaultMetrics: false,
  slackHandler: (req, res) => {
    handled++;
    const given = (req as IncomingMessage & { rawBody?: Buffer }).rawBody;
    const answer = (size: number): void => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ size, rawBody: given !== undefined }));
    };
    if (given) return answer(given.length);
    // What Bolt does with a request nobody read: buffer all of it.
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => answer(Buffer.concat(chunks).length));
  },
});

const { port } = await server.listen(0, '127.0.0.1');
process.send?.({ port });
process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'baseline') {
    gc();
    const rss = process.memoryUsage.rss();
    peak = rss;
    process.send?.({ rss, handled });
  } else if (m.cmd === 'measure') {
    process.send?.({ peak: Math.max(peak, process.memoryUsage.rss()), handled });
  } else if (m.cmd === 'stop') {
    clearInterval(sampler);
    void server.close().then(() => process.exit(0));
  }
});
