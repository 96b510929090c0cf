/**
 * A local stand-in for the Slack Web API (Slack cannot be reached from the
 * test machines): answers `auth.test`, `chat.postMessage`, `chat.update`,
 * `chat.postEphemeral`, `chat.delete`, `conversations.history` and
 * `conversations.replies` (thread replies: `chat.postMessage` with `thread_ts`) the way Slack
 * does, keeps the channel's messages, and records every call (method, arrival
 * time, parsed body, answer). Rules make it answer 429 with `Retry-After`, an
 * HTTP error, or `{ok:false, error}`, optionally after the call took effect
 * (a post that succeeded although the caller saw a failure).
 *
 * Point the app at `recorder.apiUrl` (SLACK_API_URL).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  readonly method: string;
  /** Epoch ms when the request arrived. */
  readonly at: number;
  /** The parsed body; JSON-valued form fields (blocks, metadata) are parsed too. */
  readonly body: Readonly<Record<string, unknown>>;
  /** The bearer token, or null. */
  readonly token: string | null;
  /** HTTP status answered. */
  status: number;
  /** The JSON answered (or the text, for a non-JSON answer). */
  response: unknown;
  /** Epoch ms when the answer was sent. */
  respondedAt: number;
  /** Seconds, when the answer was a 429. */
  retryAfterSec: number | null;
}

export interface StoredMessage {
  readonly channel: string;
  readonly ts: string;
  text: string;
  blocks: unknown[];
  metadata: unknown;
  /** The parent's ts for a thread reply. */
  readonly threadTs: string | null;
  /** chat.update calls applied to it. */
  updates: number;
}

export type Fault = { readonly kind: 'rate_limited'; readonly retryAfterSec: number } | { readonly kind: 'http'; readonly status: number } | { readonly kind: 'error'; readonly error: string };

export type RuleVerdict = Fault & {
  /** Perform the call's effect (e.g. store the message) and then answer with the fault. @default false */
  readonly afterEffect?: boolean;
};

/** Decides the answer to one call; undefined lets it through. `n` counts calls to `method`, from 0. */
export type Rule = (call: { readonly method: string; readonly n: number; readonly body: Readonly<Record<string, unknown>> }) => RuleVerdict | undefined;

export interface SlackRecorderOptions {
  /** Calls with another bearer token get `invalid_auth`. @default any token is accepted */
  token?: string;
  /** Bot user id returned by auth.test. @default 'UBOT0001' */
  botUserId?: string;
}

export interface SlackRecorder {
  /** Base URL of the fake Web API, ending in `/api/`. */
  readonly apiUrl: string;
  readonly calls: readonly RecordedCall[];
  /** Calls to `method`, in arrival order. */
  callsTo(method: string): RecordedCall[];
  /** Successful calls to `method`. */
  okCallsTo(method: string): RecordedCall[];
  /** The channel's messages (thread replies included), oldest first. */
  messages(channel: string): StoredMessage[];
  /** The replies in the thread of `ts`, oldest first. */
  replies(channel: string, ts: string): StoredMessage[];
  /** Adds a rule; returns a function that removes it. Rules are asked in order; the first verdict wins. */
  addRule(rule: Rule): () => void;
  /** Answers the next `times` calls to `method` with `fault`. */
  failNext(method: string, fault: RuleVerdict, times?: number): () => void;
  /** Answers every other call to `method` (the 1st, 3rd, ...) with 429 and `Retry-After: retryAfterSec`. */
  rateLimitEveryOther(method: string, retryAfterSec: number): () => void;
  /** Resolves once `predicate` holds (checked now and after every call); rejects after `timeoutMs`. */
  until(predicate: (r: SlackRecorder) => boolean, what?: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startSlackRecorder(options: SlackRecorderOptions = {}): Promise<SlackRecorder> {
  const { token: expectedToken, botUserId = 'UBOT0001' } = options;
  const calls: RecordedCall[] = [];
  const perMethod = new Map<string, number>();
  const channels = new Map<string, StoredMessage[]>();
  const rules: Rule[] = [];
  const watchers = new Set<() => void>();
  let tsCounter = 0;
  const tsBase = Math.floor(Date.now() / 1000);

  const nextTs = (): string => `${tsBase + Math.floor(tsCounter / 1_000_000)}.${String(++tsCounter % 1_000_000).padStart(6, '0')}`;
  const channelMessages = (c: string): StoredMessage[] => {
    let list = channels.get(c);
    if (!list) channels.set(c, (list = []));
    return list;
  };

  function effect(method: string, body: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const channel = typeof body.channel === 'string' ? body.channel : '';
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://example.slack.com/', team: 'Example', user: 'feedbackbot', team_id: 'T0000001', user_id: botUserId, bot_id: 'B0000001' };
      case 'chat.postMessage': {
        if (!channel) return { ok: false, error: 'channel_not_found' };
        const threadTs = typeof body.thread_ts === 'string' ? body.thread_ts : null;
        if (threadTs !== null && !channelMessages(channel).some((m) => m.ts === threadTs)) return { ok: false, error: 'thread_not_found' };
        const message: StoredMessage = { channel, ts: nextTs(), text: String(body.text ?? ''), blocks: asArray(body.blocks), metadata: body.metadata ?? null, threadTs, updates: 0 };
        channelMessages(channel).push(message);
        return { ok: true, channel, ts: message.ts, message: { type: 'message', text: message.text, ts: message.ts, bot_id: 'B0000001', blocks: message.blocks } };
      }
      case 'chat.update': {
        const message = channelMessages(channel).find((m) => m.ts === body.ts);
        if (!message) return { ok: false, error: 'message_not_found' };
        message.text = String(body.text ?? message.text);
        if (body.blocks !== undefined) message.blocks = asArray(body.blocks);
        message.updates++;
        return { ok: true, channel, ts: message.ts, text: message.text };
      }
      case 'chat.delete': {
        const list = channelMessages(channel);
        const i = list.findIndex((m) => m.ts === body.ts);
        if (i < 0) return { ok: false, error: 'message_not_found' };
        list.splice(i, 1);
        return { ok: true, channel, ts: body.ts };
      }
      case 'chat.postEphemeral':
        if (!channel || typeof body.user !== 'string') return { ok: false, error: 'invalid_arguments' };
        return { ok: true, message_ts: nextTs() };
      case 'conversations.replies': {
        const withMetadata = String(body.include_all_metadata) === 'true';
        const parent = channelMessages(channel).find((m) => m.ts === body.ts);
        if (!parent) return { ok: false, error: 'thread_not_found' };
        const messages = [parent, ...channelMessages(channel).filter((m) => m.threadTs === parent.ts)].map((m) => ({
          type: 'message',
          ts: m.ts,
          thread_ts: parent.ts,
          text: m.text,
          bot_id: 'B0000001',
          ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
        }));
        return { ok: true, messages, has_more: false, response_metadata: { next_cursor: '' } };
      }
      case 'conversations.history': {
        const oldest = Number(body.oldest ?? 0);
        const withMetadata = String(body.include_all_metadata) === 'true';
        // As Slack: thread replies are not in the channel's history.
        const messages = channelMessages(channel)
          .filter((m) => m.threadTs === null && Number(m.ts) >= oldest)
          .reverse()
          .map((m) => ({ type: 'message', ts: m.ts, text: m.text, blocks: m.blocks, bot_id: 'B0000001', ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}) }));
        return { ok: true, messages, has_more: false, response_metadata: { next_cursor: '' } };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const method = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/^\/api\//, '');
    const body = parseBody(raw, req.headers['content-type'] ?? '');
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : typeof body.token === 'string' ? body.token : null;
    const n = perMethod.get(method) ?? 0;
    perMethod.set(method, n + 1);
    const call: RecordedCall = { method, at, body, token, status: 200, response: null, respondedAt: 0, retryAfterSec: null };
    calls.push(call);

    let verdict: RuleVerdict | undefined;
    for (const rule of rules) {
      verdict = rule({ method, n, body });
      if (verdict) break;
    }

    let status = 200;
    let answer: Record<string, unknown>;
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    if (expectedToken !== undefined && token !== expectedToken) {
      answer = { ok: false, error: 'invalid_auth' };
    } else if (verdict) {
      if (verdict.afterEffect) effect(method, body);
      switch (verdict.kind) {
        case 'rate_limited':
          status = 429;
          headers['retry-after'] = String(verdict.retryAfterSec);
          call.retryAfterSec = verdict.retryAfterSec;
          answer = { ok: false, error: 'ratelimited' };
          break;
        case 'http':
          status = verdict.status;
          answer = { ok: false, error: `http_${verdict.status}` };
          break;
        case 'error':
          answer = { ok: false, error: verdict.error };
          break;
      }
    } else {
      answer = effect(method, body);
    }
    call.status = status;
    call.response = answer;
    call.respondedAt = Date.now();
    res.writeHead(status, headers);
    res.end(JSON.stringify(answer));
    for (const w of [...watchers]) w();
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  const recorder: SlackRecorder = {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method),
    okCallsTo: (method) => calls.filter((c) => c.method === method && c.status === 200 && (c.response as { ok?: boolean } | null)?.ok === true),
    messages: (channel) => [...channelMessages(channel)],
    replies: (channel, ts) => channelMessages(channel).filter((m) => m.threadTs === ts),
    addRule(rule) {
      rules.push(rule);
      return () => {
        const i = rules.indexOf(rule);
        if (i >= 0) rules.splice(i, 1);
      };
    },
    failNext(method, fault, times = 1) {
      let left = times;
      return recorder.addRule((c) => {
        if (c.method !== method || left <= 0) return undefined;
        left--;
        return fault;
      });
    },
    rateLimitEveryOther(method, retryAfterSec) {
      return recorder.addRule((c) => (c.method === method && c.n % 2 === 0 ? { kind: 'rate_limited', retryAfterSec } : undefined));
    },
    until(predicate, what = 'the expected Slack calls', timeoutMs = 15_000) {
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (predicate(recorder)) {
            cleanup();
            resolve();
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; calls so far: ${calls.map((c) => `${c.method}→${c.status}`).join(', ') || 'none'}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          watchers.delete(check);
        };
        watchers.add(check);
        check();
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return recorder;
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Form bodies (the WebClient's default) with JSON-valued fields parsed; JSON bodies as they are. */
function parseBody(raw: string, contentType: string): Record<string, unknown> {
  if (raw === '') return {};
  if (contentType.includes('application/json')) {
    const v: unknown = JSON.parse(raw);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    if (/^[[{]/.test(v)) {
      try {
        out[k] = JSON.parse(v);
        continue;
      } catch {
        // not JSON after all: keep the text
      }
    }
    out[k] = v;
  }
  return out;
}
