/**
 * How records are read and written (RATINGS_FORMAT, CUSTOMERS_FORMAT,
 * ENRICHED_FORMAT) and the Schema Registry that Avro needs (SCHEMA_REGISTRY_*).
 */
import { ConfigError } from '../errors.js';
import { OUTPUT_FORMATS, RECORD_FORMATS, type OutputFormat, type RecordFormat } from '../domain/wire-format.js';
import { int, oneOf, readTextFile, str, url, type Env } from './env.js';

/**
 * How the input topics are read and the enriched topic written: `auto`
 * reads the Schema Registry wire format (magic byte 0) as Avro and anything
 * else as JSON.
 */
export interface RecordFormats {
  readonly ratings: RecordFormat;
  readonly customers: RecordFormat;
  readonly enriched: OutputFormat;
}

export interface SchemaRegistryConfig {
  /** Base URL of a Confluent-compatible API (Apicurio: `.../apis/ccompat/v7`). */
  readonly url: string;
  readonly username: string | null;
  readonly password: string | null;
  /** PEM contents of SCHEMA_REGISTRY_CA_FILE, trusted for an https URL. */
  readonly ca: string | null;
  /** @default 5_000 // ms */
  readonly requestTimeoutMs: number;
}

export function formats(env: Env): RecordFormats {
  return {
    ratings: oneOf(env, 'RATINGS_FORMAT', RECORD_FORMATS, 'auto'),
    customers: oneOf(env, 'CUSTOMERS_FORMAT', RECORD_FORMATS, 'auto'),
    enriched: oneOf(env, 'ENRICHED_FORMAT', OUTPUT_FORMATS, 'json'),
  };
}

export function schemaRegistry(env: Env, f: RecordFormats): SchemaRegistryConfig | null {
  const registryUrl = url(env, 'SCHEMA_REGISTRY_URL');
  const username = str(env, 'SCHEMA_REGISTRY_USERNAME') ?? null;
  const password = str(env, 'SCHEMA_REGISTRY_PASSWORD') ?? null;
  const caFile = str(env, 'SCHEMA_REGISTRY_CA_FILE');
  if (registryUrl === undefined) {
    const needs = f.ratings === 'avro' ? 'RATINGS_FORMAT=avro' : f.customers === 'avro' ? 'CUSTOMERS_FORMAT=avro' : f.enriched === 'avro' ? 'ENRICHED_FORMAT=avro' : null;
    if (needs !== null) throw new ConfigError('SCHEMA_REGISTRY_URL', `is required with ${needs} (the base URL of a Confluent-compatible Schema Registry)`);
    const stray = username !== null ? 'SCHEMA_REGISTRY_USERNAME' : password !== null ? 'SCHEMA_REGISTRY_PASSWORD' : caFile !== undefined ? 'SCHEMA_REGISTRY_CA_FILE' : null;
    if (stray !== null) throw new ConfigError('SCHEMA_REGISTRY_URL', `is required when ${stray} is set`);
    return null;
  }
  if ((username === null) !== (password === null)) {
    throw new ConfigError(username === null ? 'SCHEMA_REGISTRY_USERNAME' : 'SCHEMA_REGISTRY_PASSWORD', 'set both SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD for basic auth, or neither');
  }
  let ca: string | null = null;
  if (caFile !== undefined) {
    ca = readTextFile('SCHEMA_REGISTRY_CA_FILE', caFile, 'expected a PEM file of CA certificates', () => 'error');
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError('SCHEMA_REGISTRY_CA_FILE', `${JSON.stringify(caFile)} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  return { url: registryUrl, username, password, ca, requestTimeoutMs: int(env, 'SCHEMA_REGISTRY_TIMEOUT_MS', 5_000, 100, 600_000) };
}
