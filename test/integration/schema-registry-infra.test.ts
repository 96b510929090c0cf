/**
 * The Schema Registry of the test set-up (Apicurio Registry, scripts/infra/apicurio.ts):
 * its Confluent-compatible API registers a schema under a subject and serves it by id,
 * and a registry of its own can be paused (SIGSTOP) and resumed with its schemas kept.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startApicurio, type ApicurioServer } from '../../scripts/infra/index.js';
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

async function schemaById(baseUrl: string, id: number, timeoutMs = 10_000): Promise<unknown> {
  const response = await fetch(`${baseUrl}/schemas/ids/${id}`, { signal: AbortSignal.timeout(timeoutMs) });
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

  describe('a registry of its own', () => {
    let registry: ApicurioServer | undefined;

    afterAll(async () => {
      await registry?.stop();
    });

    it('binds 127.0.0.1 only, pauses without answering, resumes with its schemas, and stops', { timeout: 180_000 }, async () => {
      registry = await startApicurio();
      expect(registry.schemaRegistryUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/apis\/ccompat\/v7$/);
      const schema = ratingSchema('Paused');
      const id = await register(registry.schemaRegistryUrl, 'paused-value', schema);

      registry.pause();
      await expect(schemaById(registry.schemaRegistryUrl, id, 1_000)).rejects.toThrow(/timeout|aborted/i);
      registry.resume();
      expect(await schemaById(registry.schemaRegistryUrl, id)).toEqual(schema);

      const stopped = registry;
      await stopped.stop();
      await expect(fetch(`${stopped.schemaRegistryUrl}/subjects`)).rejects.toThrow();
    });
  });
});
