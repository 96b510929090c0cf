/**
 * Elasticsearch stopped with SIGSTOP for 30 s (issue 17, Elasticsearch faults;
 * `npm run chaos`: a node of its own): requests hang rather than fail. The
 * sink (request timeout 2 s, as ELASTICSEARCH_REQUEST_TIMEOUT_MS sets it)
 * keeps failing its writes by timeout and retrying (the warnings prove every
 * call was bounded: a hanging call would log nothing), 1,000 complaints arrive
 * meanwhile, and after SIGCONT it resumes by itself: every complaint indexed
 * once, nothing dead-lettered (read to the end of dead-letters).
 */
import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startElasticsearch, type ElasticsearchServer } from '../../scripts/infra/elasticsearch.js';
import { createElasticsearchSearch } from '../../src/adapters/elasticsearch/search.js';
import { createMemoryEventLog } from '../../src/adapters/memory/event-log.js';
import { enrichedToRecord } from '../../src/domain/index.js';
import { createSink } from '../../src/sink/sink.js';
import { DEFAULT_TOPICS as topics } from '../../src/topics.js';
import { customer, rating } from '../contract/search.contract.js';
import { uniqueName } from '../support/infra.js';
import { waitFor } from '../support/wait.js';

const STOP_MS = Number(process.env.CHAOS_ES_STOP_MS ?? 30_000);
const REQUEST_TIMEOUT_MS = 2_000;
const BEFORE = 200;
const DURING = 1_000;

/** The pid of the process listening on `port` (the node's java, running as esrunner). */
function listenerPid(port: number): number {
  const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  const m = /pid=(\d+)/.exec(out);
  if (!m) throw new Error(`no process found listening on ${port}: ${out}`);
  return Number(m[1]);
}

describe('Elasticsearch stopped (SIGSTOP)', () => {
  let node: ElasticsearchServer;
  let pid = 0;
  beforeAll(async () => {
    node = await startElasticsearch({ startupTimeoutMs: 240_000 });
    pid = listenerPid(Number(new URL(node.url).port));
  }, 300_000);
  afterAll(async () => {
    if (pid) process.kill(pid, 'SIGCONT');
    await node?.stop();
  });

  it(`loses nothing and dead-letters nothing while the node hangs for ${STOP_MS / 1000} s, and resumes`, async () => {
    const warnings: { msg: string; reason?: string; failed?: number }[] = [];
    const logger = pino(
      { level: 'warn' },
      new Writable({
        write(chunk: Buffer, _e, done) {
          for (const l of String(chunk).split('\n').filter(Boolean)) warnings.push(JSON.parse(l) as { msg: string });
          done();
        },
      }),
    );
    const base = uniqueName('tstop');
    const indices = { ratings: `${base}-ratings`, complaints: `${base}-complaints`, customers: `${base}-customers` };
    const es = createElasticsearchSearch({ url: node.url, indices, requestTimeoutMs: REQUEST_TIMEOUT_MS });
    const admin = createElasticsearchSearch({ url: node.url, indices, requestTimeoutMs: 60_000 });
    const log = createMemoryEventLog({ partitions: 3 });
    const complaints = (from: number, n: number) =>
      log.produce(
        Array.from({ length: n }, (_, i) => ({
          topic: topics.complaints,
          key: String(from + i),
          value: JSON.stringify(enrichedToRecord(rating(from + i, { stars: 1, customer: customer((i % 20) + 1, 'platinum') }))),
        })),
      );
    const sink = createSink({ log, writer: es, topics, groupId: `${base}-sink`, batchSize: 200, flushMs: 20, retryInitialDelayMs: 100, retryMaxDelayMs: 2_000, logger });
    void sink.start();
    const count = async (): Promise<number> => {
      await admin.client.indices.refresh({ index: indices.complaints });
      return (await admin.client.count({ index: indices.complaints })).count;
    };
    try {
      await complaints(1, BEFORE);
      await waitFor(async () => (await sink.lag()) === 0, 'the first complaints indexed', 120_000, 100);
      expect(await count()).toBe(BEFORE);

      const warnedBefore = warnings.length;
      process.kill(pid, 'SIGSTOP');
      const stoppedAt = Date.now();
      await complaints(BEFORE + 1, DURING);
      // Calls time out rather than hang: the sink fails and retries while the node is stopped.
      await waitFor(() => warnings.slice(warnedBefore).filter((w) => /retrying/.test(w.msg)).length >= 2, 'the sink to time out and retry', 120_000, 100);
      // The fault lasts STOP_MS (this wait is the outage itself, not a proof of absence).
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, STOP_MS - (Date.now() - stoppedAt))));
      const retries = warnings.slice(warnedBefore).filter((w) => /retrying|not written/.test(w.msg)).length;
      expect(await sink.lag()).toBeGreaterThan(0); // nothing committed past what Elasticsearch accepted
      process.kill(pid, 'SIGCONT');
      const resumedAt = Date.now();

      await waitFor(async () => (await sink.lag()) === 0, 'the sink to catch up after SIGCONT', 300_000, 100);
      const recoverySeconds = (Date.now() - resumedAt) / 1000;
      expect(await count()).toBe(BEFORE + DURING);
      expect(log.records(topics.deadLetters)).toHaveLength(0);
      console.log(
        `elasticsearch-sigstop: stopped ${Math.round((resumedAt - stoppedAt) / 1000)} s, ${DURING} complaints meanwhile, ${retries} timed-out writes retried (timeout ${REQUEST_TIMEOUT_MS} ms), caught up ${recoverySeconds.toFixed(1)} s after SIGCONT, ${BEFORE + DURING} indexed, 0 dead letters`,
      );
    } finally {
      process.kill(pid, 'SIGCONT');
      await sink.stop();
      await log.close();
      await es.close();
      await admin.close();
    }
  }, 600_000);
});
