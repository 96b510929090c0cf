/**
 * `POST /slack/events` bodies over SLACK_MAX_BODY_BYTES get 413 before they
 * are buffered: a 60 MB body, declared or chunked, leaves the server's
 * resident memory less than 20 MB higher (measured in a child process of its
 * own, test/support/slack-body-child.ts, whose handler would buffer anything
 * that reached it).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHILD = resolve(import.meta.dirname, '../../support/slack-body-child.ts');
const MB = 1024 * 1024;

interface Reply {
  port?: number;
  rss?: number;
  peak?: number;
  handled?: number;
}

function ask(child: ChildProcess, cmd: string): Promise<Reply> {
  return new Promise((res) => {
    child.once('message', (m) => res(m as Reply));
    child.send({ cmd });
  });
}

/**
 * Sends `total` bytes in 64 KiB chunks (with Content-Length, or chunked
 * without), honouring backpressure, and stops sending once the answer
 * arrives. Resolves with the status and body (an early close after the
 * answer is expected: the server stops reading).
 */
function post(port: number, total: number, declareLength: boolean): Promise<{ status: number; body: string; sent: number }> {
  return new Promise((res, rej) => {
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    let answered = false;
    const req = request(
      { host: '127.0.0.1', port, agent: false, method: 'POST', path: '/slack/events', headers: { 'content-type': 'application/json', ...(declareLength ? { 'content-length': String(total) } : {}) } },
      (r) => {
        answered = true;
        let body = '';
        r.setEncoding('utf8');
        r.on('data', (d: string) => (body += d));
        r.on('end', () => {
          res({ status: r.statusCode ?? 0, body, sent });
          req.destroy(); // a body not sent to its end: this connection is done
        });
        r.on('error', () => res({ status: r.statusCode ?? 0, body, sent }));
      },
    );
    req.on('error', (e) => {
      if (!answered) rej(e);
    });
    const pump = (): void => {
      while (!answered && sent < total) {
        const n = Math.min(chunk.length, total - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered) req.end();
    };
    pump();
  });
}

describe('POST /slack/events body limit', () => {
  let child: ChildProcess;
  let port: number;
  beforeAll(async () => {
    child = fork(CHILD, [], { execArgv: ['--import', 'tsx', '--expose-gc'], env: { ...process.env, SLACK_MAX_BODY_BYTES: String(MB) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    port = (await new Promise<Reply>((res) => child.once('message', (m) => res(m as Reply)))).port!;
    // Warm up the code paths a request takes, so they do not count as growth.
    expect((await post(port, 10_000, true)).status).toBe(200);
    expect((await post(port, 3 * MB, false)).status).toBe(413);
  }, 60_000);
  afterAll(async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise<void>((res) => child.once('exit', () => res()));
    child.send({ cmd: 'stop' });
    await exited;
  });

  it('hands a body within the limit to the Slack handler already read', async () => {
    const r = await post(port, MB, false);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ size: MB, rawBody: true });
  });

  for (const declareLength of [true, false]) {
    it(`answers 413 to a 60 MB body ${declareLength ? 'with Content-Length' : 'chunked, with no Content-Length'}, and grows by less than 20 MB`, async () => {
      const before = await ask(child, 'baseline');
      const r = await post(port, 60 * MB, declareLength);
      const after = await ask(child, 'measure');
      expect(r.status).toBe(413);
      expect(JSON.parse(r.body).error).toMatch(/exceeds 1048576 bytes \(SLACK_MAX_BODY_BYTES\)/);
      expect(after.handled).toBe(before.handled); // the handler never saw it
      const growth = after.peak! - before.rss!;
      console.log(`60 MB Slack body (${declareLength ? 'Content-Length' : 'chunked'}): ${(r.sent / MB).toFixed(1)} MB sent before the answer, peak RSS growth ${(growth / MB).toFixed(1)} MB`);
      expect(growth).toBeLessThan(20 * MB);
    }, 60_000);
  }
});
