/**
 * Many WebSocket subscribers in one process, for B2 (one subscriber, every
 * latency kept) and B4 (thousands, per-event arrival counts).
 *
 * `graphql` mode speaks graphql-transport-ws (connection_init, then one
 * subscribe per connection; pings answered); `raw` mode just opens the
 * socket (the bare `ws` baseline). Either way each `next` message is parsed
 * the same way: the event id is the complaint id, and its publish time is
 * the rating's `ratedAt` (the bench sets it when it publishes).
 */
import WebSocket from 'ws';
import { serve } from '../lib/worker.js';

interface ConnectParams {
  readonly url: string;
  readonly mode: 'graphql' | 'raw';
  readonly count: number;
  readonly query?: string;
  readonly variables?: Record<string, unknown>;
  /** Connections being opened at once. @default 200 */
  readonly concurrency?: number;
  /** Per connection. @default 20_000 // ms */
  readonly timeoutMs?: number;
}

interface EventStats {
  count: number;
  first: number;
  last: number;
  /** Publish time (ratedAt) of the event. */
  published: number;
}

const sockets = new Set<WebSocket>();
const closeCodes = new Map<string, number>();
let events = new Map<string, EventStats>();
let samples: number[] = [];
let keepSamples = false;
let messages = 0;
let unparsed = 0;
let sample: string | null = null;
let errorsSeen: string[] = [];

interface NextMessage {
  type?: string;
  payload?: { data?: { complaintRaised?: { cursor?: string; raisedAt?: string; complaint?: { id?: string; rating?: { ratedAt?: string } } } }; errors?: unknown[] };
}

/** Where the complaint id and its ratedAt start in a `next` message (found without parsing it whole). */
const ID_MARK = '"complaint":{"id":"';
const RATED_MARK = '"ratedAt":"';

function onMessage(socket: WebSocket, data: WebSocket.RawData): void {
  const now = Date.now();
  const text = data.toString();
  // Cheap extraction, the same for product and baseline, so the clients take as little CPU as possible.
  let id: string | undefined;
  let published = Number.NaN;
  const at = text.indexOf(ID_MARK);
  if (at >= 0 && text.lastIndexOf('"type":"next"', 64) >= 0) {
    const idStart = at + ID_MARK.length;
    id = text.slice(idStart, text.indexOf('"', idStart));
    const r = text.indexOf(RATED_MARK, idStart);
    if (r >= 0) published = Date.parse(text.slice(r + RATED_MARK.length, text.indexOf('"', r + RATED_MARK.length)));
    if (errorsSeen.length < 5 && text.includes('"errors":')) errorsSeen.push(text.slice(0, 500));
  } else {
    let msg: NextMessage;
    try {
      msg = JSON.parse(text) as NextMessage;
    } catch {
      unparsed++;
      return;
    }
    if (msg.type === 'ping') {
      socket.send('{"type":"pong"}');
      return;
    }
    if (msg.type !== 'next') {
      if (msg.type === 'error' && errorsSeen.length < 5) errorsSeen.push(text.slice(0, 500));
      return;
    }
    if (msg.payload?.errors && errorsSeen.length < 5) errorsSeen.push(JSON.stringify(msg.payload.errors).slice(0, 500));
    const event = msg.payload?.data?.complaintRaised;
    const complaint = event?.complaint;
    // A subscription without `complaint` (B2's lean subscriber): the cursor names the event, raisedAt (the record timestamp, the rating time) dates it.
    id = complaint?.id ?? event?.cursor;
    published = Date.parse(complaint?.rating?.ratedAt ?? event?.raisedAt ?? '');
  }
  if (id === undefined || Number.isNaN(published)) {
    unparsed++;
    return;
  }
  messages++;
  sample ??= text;
  const e = events.get(id);
  if (e) {
    e.count++;
    e.last = now;
  } else events.set(id, { count: 1, first: now, last: now, published });
  if (keepSamples) samples.push(now - published);
}

function open(p: ConnectParams): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const socket = new WebSocket(p.url, p.mode === 'graphql' ? 'graphql-transport-ws' : undefined, { perMessageDeflate: false });
    let settled = false;
    const timer = setTimeout(() => fail(new Error('timed out')), p.timeoutMs ?? 20_000);
    function fail(e: Error): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.terminate();
      reject(e);
    }
    function done(): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sockets.add(socket);
      resolve();
    }
    socket.on('error', (e) => fail(e));
    socket.on('close', (code, reason) => {
      sockets.delete(socket);
      const key = `${code} ${reason.toString()}`.trim();
      closeCodes.set(key, (closeCodes.get(key) ?? 0) + 1);
      fail(new Error(`closed ${key}`));
    });
    socket.on('open', () => {
      if (p.mode === 'raw') return done();
      socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    });
    socket.on('message', (data) => {
      if (!settled && p.mode === 'graphql') {
        const text = data.toString();
        if (text.includes('"connection_ack"')) {
          socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: p.query, ...(p.variables && { variables: p.variables }) } }));
          return done();
        }
      }
      onMessage(socket, data);
    });
  });
}

async function connect(p: ConnectParams): Promise<{ opened: number; failed: number; open: number; errors: string[] }> {
  let next = 0;
  let opened = 0;
  let failed = 0;
  const errors: string[] = [];
  const lane = async (): Promise<void> => {
    while (next < p.count) {
      next++;
      try {
        await open(p);
        opened++;
      } catch (e) {
        failed++;
        if (errors.length < 5) errors.push(e instanceof Error ? e.message : String(e));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(p.concurrency ?? 200, p.count) }, lane));
  return { opened, failed, open: sockets.size, errors };
}

function stats(): { open: number; messages: number; unparsed: number; events: [string, EventStats][]; closeCodes: [string, number][]; errors: string[] } {
  return { open: sockets.size, messages, unparsed, events: [...events], closeCodes: [...closeCodes], errors: errorsSeen };
}

/** Waits until every id in `ids` arrived `perEvent` times (or the time is up), then returns the stats. */
async function waitFor(p: { ids: readonly string[]; perEvent: number; timeoutMs: number }): Promise<ReturnType<typeof stats> & { complete: boolean }> {
  const deadline = Date.now() + p.timeoutMs;
  for (;;) {
    const complete = p.ids.every((id) => (events.get(id)?.count ?? 0) >= p.perEvent);
    if (complete || Date.now() > deadline) return { ...stats(), complete };
    await new Promise((r) => setTimeout(r, 5));
  }
}

serve(
  {
    connect: (p) => connect(p as ConnectParams),
    reset: (p) => {
      events = new Map();
      samples = [];
      messages = 0;
      unparsed = 0;
      errorsSeen = [];
      keepSamples = Boolean((p as { keepSamples?: boolean } | null)?.keepSamples);
      return null;
    },
    stats: () => stats(),
    waitFor: (p) => waitFor(p as { ids: string[]; perEvent: number; timeoutMs: number }),
    samples: () => samples,
    sample: () => sample,
    rss: () => process.memoryUsage().rss,
    closeAll: () => {
      for (const s of sockets) s.terminate();
      sockets.clear();
      return null;
    },
  },
  () => {
    for (const s of sockets) s.terminate();
  },
);
