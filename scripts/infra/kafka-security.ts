/**
 * What a secured test broker needs: a throw-away CA and a broker certificate made with
 * openssl (PEM, which Kafka reads since 2.7: KIP-651), the SCRAM users to create when
 * storage is formatted (StorageTool `--add-scram`, KIP-900), and the listener settings.
 *
 * Clients get a SASL_SSL listener (SCRAM-SHA-512) and a mutual-TLS listener (SSL with
 * `ssl.client.auth=required`: a client certificate signed by the same CA is the credential).
 * The broker talks to itself (for transaction markers) over the SASL_SSL listener as its own
 * SCRAM user; the KRaft controller listener stays PLAINTEXT on 127.0.0.1, which KRaft needs
 * and clients never see.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from './shared.js';

/** How clients reach a secured broker. */
export interface KafkaClientSecurity {
  readonly mechanism: 'scram-sha-512';
  readonly username: string;
  readonly password: string;
  /** PEM file of the CA that signed the broker's certificate (inside the broker's data folder). */
  readonly caFile: string;
  /** The mutual-TLS listener (no SASL) and a client certificate and key (PEM files) the same CA signed. */
  readonly mtls?: { readonly brokers: string; readonly certFile: string; readonly keyFile: string };
}

/** Files and users made by {@link prepareKafkaSecurity}. */
export interface KafkaSecurityFiles {
  readonly client: KafkaClientSecurity;
  /** The broker's own SCRAM user (inter-broker). */
  readonly broker: { readonly username: string; readonly password: string };
  /** PEM: the broker's private key (PKCS#8, unencrypted) followed by its certificate. */
  readonly keystoreFile: string;
  /** A client certificate and its key for the mutual-TLS listener. */
  readonly clientCert: { readonly certFile: string; readonly keyFile: string };
}

const password = (): string => randomBytes(18).toString('base64url');

/**
 * Makes a CA and a broker certificate for 127.0.0.1 / localhost in `dir` (valid 30 days)
 * and picks random passwords for a client user and the broker's user.
 *
 * @throws Error with openssl's output if a step fails
 */
export async function prepareKafkaSecurity(dir: string, clientUser = 'feedback-gateway'): Promise<KafkaSecurityFiles> {
  const ca = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  const key = join(dir, 'broker.key');
  const csr = join(dir, 'broker.csr');
  const cert = join(dir, 'broker.pem');
  const ext = join(dir, 'broker.ext');
  const keystoreFile = join(dir, 'broker-keystore.pem');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await runCommand('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    caKey,
    '-out',
    ca,
    '-days',
    '30',
    '-subj',
    '/CN=feedback-gateway test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await runCommand('openssl', ['req', ...ec, '-keyout', key, '-out', csr, '-subj', '/CN=localhost']);
  await writeFile(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  await runCommand('openssl', ['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '30', '-extfile', ext]);
  await writeFile(keystoreFile, `${await readFile(key, 'utf8')}${await readFile(cert, 'utf8')}`);
  const clientKey = join(dir, 'client.key');
  const clientCsr = join(dir, 'client.csr');
  const clientCert = join(dir, 'client.pem');
  const clientExt = join(dir, 'client.ext');
  await runCommand('openssl', ['req', ...ec, '-keyout', clientKey, '-out', clientCsr, '-subj', `/CN=${clientUser}`]);
  await writeFile(clientExt, 'extendedKeyUsage=clientAuth\n');
  await runCommand('openssl', ['x509', '-req', '-in', clientCsr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', clientCert, '-days', '30', '-extfile', clientExt]);
  return {
    client: { mechanism: 'scram-sha-512', username: clientUser, password: password(), caFile: ca },
    broker: { username: 'broker', password: password() },
    keystoreFile,
    clientCert: { certFile: clientCert, keyFile: clientKey },
  };
}

/** StorageTool arguments creating both SCRAM users at format time. */
export function scramFormatArgs(files: KafkaSecurityFiles): string[] {
  return [files.broker, files.client].flatMap((u) => ['--add-scram', `SCRAM-SHA-512=[name=${u.username},password=${u.password}]`]);
}

/** `server.properties` entries for a SASL_SSL client listener on `port` and a mutual-TLS one on `mtlsPort`. */
export function secureListenerProperties(files: KafkaSecurityFiles, port: number, controllerPort: number, mtlsPort: number): Record<string, string> {
  const jaas = `org.apache.kafka.common.security.scram.ScramLoginModule required username="${files.broker.username}" password="${files.broker.password}";`;
  return {
    listeners: `SASL_SSL://127.0.0.1:${port},SSL://127.0.0.1:${mtlsPort},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `SASL_SSL://127.0.0.1:${port},SSL://127.0.0.1:${mtlsPort}`,
    'inter.broker.listener.name': 'SASL_SSL',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL',
    'listener.name.ssl.ssl.client.auth': 'required',
    'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': jaas,
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': files.keystoreFile,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': files.client.caFile,
    'ssl.client.auth': 'none',
  };
}
