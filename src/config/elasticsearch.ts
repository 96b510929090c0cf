/**
 * The elasticsearch section: URL, timeout, credentials (`ELASTICSEARCH_API_KEY`,
 * or `ELASTICSEARCH_USERNAME` + `ELASTICSEARCH_PASSWORD`) and trust
 * (`ELASTICSEARCH_CA_FILE` or `ELASTICSEARCH_CA_FINGERPRINT`), and the index
 * names (INDEX_*). Messages never repeat a secret.
 */
import { X509Certificate } from 'node:crypto';
import { ConfigError } from '../errors.js';
import { DEFAULT_INDICES, type IndexNames } from '../topics.js';
import { int, name, readTextFile, secret, str, type Env } from './env.js';

/** How the product authenticates to Elasticsearch (never logged). */
export type ElasticsearchAuth =
  /** `ELASTICSEARCH_API_KEY`: the `encoded` value Elasticsearch returns, or `id:api_key`. */
  { readonly apiKey: string | { readonly id: string; readonly api_key: string } } | { readonly username: string; readonly password: string };

export interface ElasticsearchConfig {
  readonly url: string;
  readonly requestTimeoutMs: number;
  /** null: none configured (credentials may still be in the URL). */
  readonly auth: ElasticsearchAuth | null;
  /** `ELASTICSEARCH_CA_FILE`: the CA certificate(s) that signed the cluster's HTTP certificate, PEM text. */
  readonly ca: string | null;
  /** `ELASTICSEARCH_CA_FINGERPRINT`: SHA-256 of the CA certificate, upper-case hex pairs joined by `:`. */
  readonly caFingerprint: string | null;
}

/** `esUrl`: ELASTICSEARCH_URL, already checked to be an http(s) URL. */
export function elasticsearch(env: Env, esUrl: string | undefined): ElasticsearchConfig | null {
  const apiKey = str(env, 'ELASTICSEARCH_API_KEY');
  const username = str(env, 'ELASTICSEARCH_USERNAME');
  const password = secret(env, 'ELASTICSEARCH_PASSWORD');
  const caFile = str(env, 'ELASTICSEARCH_CA_FILE');
  const fingerprint = str(env, 'ELASTICSEARCH_CA_FINGERPRINT');
  if (esUrl === undefined) {
    const stray = [
      ['ELASTICSEARCH_API_KEY', apiKey],
      ['ELASTICSEARCH_USERNAME', username],
      ['ELASTICSEARCH_PASSWORD', password],
      ['ELASTICSEARCH_CA_FILE', caFile],
      ['ELASTICSEARCH_CA_FINGERPRINT', fingerprint],
    ].find(([, v]) => v !== undefined);
    if (stray) throw new ConfigError(stray[0]!, 'is set but ELASTICSEARCH_URL is not: set ELASTICSEARCH_URL (and KAFKA_BROKERS) to use an external Elasticsearch');
    return null;
  }
  const u = new URL(esUrl);
  const auth = credentials(apiKey, username, password);
  if (auth !== null && (u.username || u.password)) {
    throw new ConfigError('ELASTICSEARCH_URL', `has credentials in it and ${'apiKey' in auth ? 'ELASTICSEARCH_API_KEY' : 'ELASTICSEARCH_USERNAME'} is set too: keep one`);
  }
  if (caFile !== undefined && fingerprint !== undefined) {
    throw new ConfigError('ELASTICSEARCH_CA_FINGERPRINT', 'set either ELASTICSEARCH_CA_FILE or ELASTICSEARCH_CA_FINGERPRINT, not both');
  }
  let ca: string | null = null;
  if (caFile !== undefined) {
    if (u.protocol !== 'https:') throw new ConfigError('ELASTICSEARCH_CA_FILE', 'needs an https:// ELASTICSEARCH_URL');
    const text = readTextFile('ELASTICSEARCH_CA_FILE', caFile, 'expected a PEM file with the CA certificate', (e) => String(e));
    if (!/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(text)) {
      throw new ConfigError('ELASTICSEARCH_CA_FILE', `${JSON.stringify(caFile)} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    }
    try {
      new X509Certificate(text);
    } catch {
      throw new ConfigError('ELASTICSEARCH_CA_FILE', `${JSON.stringify(caFile)} holds a PEM block that is not a valid certificate`);
    }
    ca = text;
  }
  let caFingerprint: string | null = null;
  if (fingerprint !== undefined) {
    if (u.protocol !== 'https:') throw new ConfigError('ELASTICSEARCH_CA_FINGERPRINT', 'needs an https:// ELASTICSEARCH_URL');
    const hex = fingerprint.replace(/:/g, '');
    const pairs = fingerprint.includes(':') ? /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){31}$/.test(fingerprint) : /^[0-9A-Fa-f]{64}$/.test(fingerprint);
    if (!pairs)
      throw new ConfigError(
        'ELASTICSEARCH_CA_FINGERPRINT',
        `expected the CA certificate's SHA-256 fingerprint: 64 hex digits, optionally as 32 pairs joined by colons, got ${JSON.stringify(fingerprint)}`,
      );
    caFingerprint = hex.toUpperCase().replace(/(..)(?!$)/g, '$1:');
  }
  return {
    url: esUrl,
    requestTimeoutMs: int(env, 'ELASTICSEARCH_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
    auth,
    ca,
    caFingerprint,
  };
}

/** ELASTICSEARCH_API_KEY, or ELASTICSEARCH_USERNAME + ELASTICSEARCH_PASSWORD, or null. */
function credentials(apiKey: string | undefined, username: string | undefined, password: string | undefined): ElasticsearchAuth | null {
  if (apiKey !== undefined) {
    if (username !== undefined || password !== undefined) {
      throw new ConfigError('ELASTICSEARCH_API_KEY', 'set either ELASTICSEARCH_API_KEY or ELASTICSEARCH_USERNAME + ELASTICSEARCH_PASSWORD, not both');
    }
    if (/\s/.test(apiKey)) throw new ConfigError('ELASTICSEARCH_API_KEY', 'expected the encoded API key (base64, as `encoded` in the create API key answer) or id:api_key, without spaces');
    const colon = apiKey.indexOf(':');
    if (colon >= 0) {
      const id = apiKey.slice(0, colon);
      const key = apiKey.slice(colon + 1);
      if (id === '' || key === '' || key.includes(':')) throw new ConfigError('ELASTICSEARCH_API_KEY', 'expected the encoded API key or id:api_key (one colon, both parts non-empty)');
      return { apiKey: { id, api_key: key } };
    }
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(apiKey)) throw new ConfigError('ELASTICSEARCH_API_KEY', 'expected the encoded API key (base64, as `encoded` in the create API key answer) or id:api_key');
    return { apiKey };
  }
  if (username !== undefined || password !== undefined) {
    if (username === undefined) throw new ConfigError('ELASTICSEARCH_USERNAME', 'is required when ELASTICSEARCH_PASSWORD is set');
    if (password === undefined) throw new ConfigError('ELASTICSEARCH_PASSWORD', 'is required when ELASTICSEARCH_USERNAME is set');
    return { username, password };
  }
  return null;
}

function indexName(env: Env, variable: string, def: string): string {
  return name(env, variable, def, /^[a-z0-9][a-z0-9._-]{0,200}$/, 'Elasticsearch index name (lower case, no spaces)');
}

/** INDEX_*: the Elasticsearch indices the product writes and reads. */
export function indices(env: Env): IndexNames {
  return {
    ratings: indexName(env, 'INDEX_RATINGS', DEFAULT_INDICES.ratings),
    complaints: indexName(env, 'INDEX_COMPLAINTS', DEFAULT_INDICES.complaints),
    customers: indexName(env, 'INDEX_CUSTOMERS', DEFAULT_INDICES.customers),
  };
}
