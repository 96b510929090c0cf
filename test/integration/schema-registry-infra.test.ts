/**
 * The Schema Registry of the test set-up (Apicurio Registry, scripts/infra/apicurio.ts):
 * its Confluent-compatible API registers a schema under a subject and serves it by id.
 * Pausing (SIGSTOP), resuming and stopping a registry of its own are exercised by the
 * outage test of avro-schema-registry.test.ts, which needs one anyway.
 */
import { describe, expect, it } from 'vitest';
import { schemaRegistryUrl, uniqueName } from '../support/infra.js';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

async function register(baseUrl: string, subject: string, schema: object): Promise<number> {
  const response = await fetch(`${baseUrl}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: 'POST',
    headers: { 'content-type': CONTENT_TYPE },
    body: JSON.stringify({ schema: JSON.stringify(schema) }),
  });
  expect(response.status).toBe(200);
  const { id } = (await response.json()) as { id: number };
  return id;
}

async function schemaById(baseUrl: string, id: number): Promise<unknown> {
  const response = await fetch(`${baseUrl}/schemas/ids/${id}`, { signal: AbortSignal.timeout(10_000) });
  expect(response.status).toBe(200);
  const { schema } = (await response.json()) as { schema: string };
  return JSON.parse(schema);
}

const ratingSchema = (name: string): object => ({
  type: 'record',
  name,
  namespace: 'test.registry',
  fields: [
    { name: 'rating_id', type: 'long' },
    { name: 'message', type: ['null', 'string'], default: null },
  ],
});

describe('Schema Registry (Apicurio, Confluent-compatible API)', () => {
  it('registers a schema under <topic>-value and serves it by id', async () => {
    const url = schemaRegistryUrl();
    const subject = `${uniqueName('registry-infra')}-value`;
    const schema = ratingSchema('Rating');
    const id = await register(url, subject, schema);

    expect(await schemaById(url, id)).toEqual(schema);
    const subjects = (await (await fetch(`${url}/subjects`)).json()) as string[];
    expect(subjects).toContain(subject);
    // Registering the same schema again returns the same id.
    expect(await register(url, subject, schema)).toBe(id);
  });
});
