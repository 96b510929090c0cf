/**
 * A TLS-terminating proxy in front of the test Elasticsearch that plays
 * Elasticsearch with security on: the test distribution has no security
 * module, so this stands in for it. It serves a certificate signed by a test
 * CA ({@link createTestCa}), demands `Authorization: ApiKey <base64 id:key>`
 * (or, when configured, `Basic <base64 user:password>`), answers anything
 * else with 401 and the body and headers Elasticsearch sends, and forwards
 * the rest to the upstream node without the Authorization header.
 */
import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TestCa } from './test-ca.js';

export interface EsAuthProxyOptions {
  /** The real (unsecured) Elasticsearch, `http://127.0.0.1:port`. */
  readonly upstream: string;
  /** The server certificate is served with the CA after it, as Elasticsearch serves its chain. */
  readonly tls: Pick<TestCa, 'certPem' | 'keyPem' | 'caPem'>;
  /** The one API key accepted. */
  readonly apiKey: { readonly id: string; readonly key: string };
  /** Basic credentials also accepted. */
  readonly basic?: { readonly username: string; readonly password: string };
}

export interface EsAuthProxy {
  readonly url: string;
  /** The `encoded` form of the API key, as Elasticsearch's create API key answer gives it. */
  readonly encodedApiKey: string;
  /** Requests forwarded (authenticated) and refused (401). */
  readonly counts: { forwarded: number; refused: number };
  close(): Promise<void>;
}

const REALM_HEADERS = ['Basic realm="security", charset="UTF-8"', 'ApiKey'];

/** The body Elasticsearch 9 answers a request without valid credentials with. */
function unauthorizedBody(reason: string): string {
  const cause = { type: 'security_exception', reason, header: { 'WWW-Authenticate': REALM_HEADERS } };
  return JSON.stringify({ error: { root_cause: [cause], ...cause }, status: 401 });
}

export async function startEsAuthProxy(options: EsAuthProxyOptions): Promise<EsAuthProxy> {
  const upstream = new URL(options.upstream);
  const encodedApiKey = Buffer.from(`${options.apiKey.id}:${options.apiKey.key}`).toString('base64');
  const accepted = new Set([`ApiKey ${encodedApiKey}`]);
  if (options.basic) accepted.add(`Basic ${Buffer.from(`${options.basic.username}:${options.basic.password}`).toString('base64')}`);
  const counts = { forwarded: 0, refused: 0 };
  const agent = new http.Agent({ keepAlive: true });

  const server = https.createServer({ cert: options.tls.certPem + options.tls.caPem, key: options.tls.keyPem }, (req, res) => {
    const auth = req.headers.authorization;
    if (auth === undefined || !accepted.has(auth)) {
      counts.refused++;
      req.resume();
      const reason =
        auth === undefined
          ? `missing authentication credentials for REST request [${req.url}]`
          : 'unable to authenticate with provided credentials and anonymous access is not allowed for this request';
      const body = unauthorizedBody(reason);
      res.writeHead(401, {
        'content-type': 'application/json',
        'x-elastic-product': 'Elasticsearch',
        'www-authenticate': REALM_HEADERS,
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
      return;
    }
    counts.forwarded++;
    const headers = { ...req.headers, host: upstream.host };
    delete headers.authorization;
    const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy: ${e.message}`);
    });
    req.pipe(out);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    encodedApiKey,
    counts,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      agent.destroy();
    },
  };
}
