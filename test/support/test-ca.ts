/**
 * A throwaway certificate authority for TLS tests, made with openssl (EC
 * P-256 keys, so it takes milliseconds): a CA and a server certificate it
 * signed for `127.0.0.1` and `localhost`, in a temporary folder removed by
 * {@link TestCa.remove}.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCa {
  readonly dir: string;
  /** The CA certificate, PEM file. */
  readonly caFile: string;
  readonly caPem: string;
  /** SHA-256 of the CA certificate, `AB:CD:...` as openssl and Elasticsearch print it. */
  readonly caFingerprint: string;
  /** The server certificate (signed by the CA) and its key, PEM text. */
  readonly certPem: string;
  readonly keyPem: string;
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function createTestCa(name = 'feedback-gateway test CA'): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'test-ca-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', `/CN=${name}`], dir);
  openssl(['req', '-new', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext'], dir);
  const caPem = readFileSync(join(dir, 'ca.crt'), 'utf8');
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    caPem,
    caFingerprint: new X509Certificate(caPem).fingerprint256,
    certPem: readFileSync(join(dir, 'server.crt'), 'utf8'),
    keyPem: readFileSync(join(dir, 'server.key'), 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
