/**
 * B3 load generator: autocannon in its own process. `run` sends one request
 * (the same method, headers and body every time) over `connections`
 * keep-alive connections for `durationS` seconds, as fast as answers come or
 * at `overallRate` requests per second, and returns throughput and latency.
 */
import autocannon from 'autocannon';
import { serve } from '../lib/worker.js';

interface RunParams {
  readonly url: string;
  readonly body: string;
  readonly headers?: Record<string, string>;
  readonly connections: number;
  readonly durationS: number;
  readonly overallRate?: number;
}

export interface LoadResult {
  /** Mean requests per second over the run. */
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
}

async function run(p: RunParams): Promise<LoadResult> {
  const r = await autocannon({
    url: p.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...p.headers },
    body: p.body,
    connections: p.connections,
    duration: p.durationS,
    pipelining: 1,
    timeout: 10,
    ...(p.overallRate !== undefined && { overallRate: p.overallRate }),
  });
  return {
    requestsPerSecond: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}

serve({ run: (p) => run(p as RunParams) });
