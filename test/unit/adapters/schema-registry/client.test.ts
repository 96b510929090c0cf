/**
 * How the Schema Registry adapter classifies what a registry answers, against a minimal
 * HTTP server speaking the two routes it uses (`/schemas/ids/{id}`): a schema avsc refuses
 * (Debezium's names for a topic prefix with a `-`, written without
 * `schema.name.adjustment.mode=avro`) is the record's problem (a dead letter), never a
 * retriable outage; a registry that answers 503 is an outage.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchemaRegistry } from '../../../../src/adapters/schema-registry/client.js';
import { frame } from '../../../../src/domain/index.js';
import { InvalidRecordError, UnavailableError } from '../../../../src/errors.js';

const INVALID_NAME = { type: 'record', name: 'Key', namespace: 'cdc-avro-1-asgard.demo.CUSTOMERS', fields: [{ name: 'id', type: 'int' }] };
const VALID_NAME = { ...INVALID_NAME, namespace: 'cdc_avro_1_asgard.demo.CUSTOMERS' };

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const id = /\/schemas\/ids\/(\d+)/.exec(request.url ?? '')?.[1];
    const schema = id === '1' ? INVALID_NAME : id === '2' ? VALID_NAME : null;
    if (id === '3') {
      response.writeHead(503, { 'content-type': 'application/json' }).end('{"error_code":50301,"message":"unavailable"}');
    } else if (schema === null) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error_code":40403,"message":"Schema not found"}');
    } else {
      response.writeHead(200, { 'content-type': 'application/vnd.schemaregistry.v1+json' }).end(JSON.stringify({ schema: JSON.stringify(schema) }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('schema registry adapter: decode', () => {
  const key = Buffer.from([2]); // the int 1, zig-zag encoded

  it('decodes with a schema whose names are valid Avro (what schema.name.adjustment.mode=avro writes)', async () => {
    await expect(createSchemaRegistry({ url, requestTimeoutMs: 2_000 }).decode(frame(2, key))).resolves.toEqual({ id: 1 });
  });

  it('a schema avsc refuses (a record name with a -) is an InvalidRecordError naming the id, not a retriable outage', async () => {
    const error = await createSchemaRegistry({ url, requestTimeoutMs: 2_000 })
      .decode(frame(1, key))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRecordError);
    expect((error as Error).message).toMatch(/schema id 1 of the schema registry is not a valid Avro schema: invalid name/);
  });

  it('an unknown id is an InvalidRecordError; a registry answering 503 is an UnavailableError', async () => {
    const registry = createSchemaRegistry({ url, requestTimeoutMs: 2_000 });
    await expect(registry.decode(frame(9, key))).rejects.toBeInstanceOf(InvalidRecordError);
    await expect(registry.decode(frame(3, key))).rejects.toBeInstanceOf(UnavailableError);
  });
});
