/**
 * The product as an operator runs it against a Kafka that demands SASL over TLS
 * (the secured test broker: SCRAM-SHA-512 on a SASL_SSL listener, its own test CA),
 * configured only through KAFKA_SASL_* / KAFKA_SSL* variables: ratings produced
 * with SCRAM over TLS become complaints visible through GraphQL (sink) and on the
 * live feed; a wrong password stops start-up with one line naming the variables.
 */
import { Kafka, Partitioners, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, gql, until, wsClient, type Loose } from '../unit/api/harness.js';
import { elasticsearchUrl, secureKafka, uniqueName } from '../support/infra.js';
import { runToExit, startProduct, subscribersAttached, type ProductProcess } from '../support/product-process.js';

const VIEWER = 'viewer-key-secure-1';
const run = uniqueName('secure');

const env = (): Record<string, string> => ({
  ...secureKafka().env,
  ELASTICSEARCH_URL: elasticsearchUrl(),
  KAFKA_GROUP_PREFIX: run,
  DEMO: 'off',
  API_KEYS: `${VIEWER}:viewer:dash`,
  JOIN_GRACE_MS: '3000',
  SINK_FLUSH_MS: '50',
  TOPIC_RATINGS: `${run}.ratings`,
  TOPIC_CUSTOMERS_CDC: `${run}.asgard.demo.CUSTOMERS`,
  TOPIC_CUSTOMERS_REKEYED: `${run}.CUSTOMERS_SRC_REKEY`,
  TOPIC_RATINGS_ENRICHED: `${run}.ratings-with-customer-data`,
  TOPIC_COMPLAINTS: `${run}.UNHAPPY_PLATINUM_CUSTOMERS`,
  TOPIC_ACKNOWLEDGEMENTS: `${run}.complaint-acknowledgements`,
  TOPIC_DEAD_LETTERS: `${run}.dead-letters`,
  INDEX_RATINGS: `${run}-ratings`,
  INDEX_COMPLAINTS: `${run}-complaints`,
  INDEX_CUSTOMERS: `${run}-customers`,
});

let product: ProductProcess | undefined;
let producer: Producer;

beforeAll(async () => {
  const k = secureKafka();
  const kafka = new Kafka({ clientId: run, brokers: k.brokers, ssl: { ca: [k.ca] }, sasl: k.sasl, logLevel: logLevel.NOTHING });
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
  await producer.connect();
  product = await startProduct(env(), { name: 'secure' });
}, 120_000);

afterAll(async () => {
  await producer?.disconnect();
  if (product) expect((await product.stop('SIGTERM')).code).toBe(0);
});

describe('the product on a Kafka that requires SCRAM over TLS', () => {
  it('turns ratings into complaints seen on the live feed and through GraphQL queries, and never logs the password', async () => {
    const p = product!;
    const client = wsClient(p, VIEWER);
    const raised = collect<Loose>(client, 'subscription { complaintRaised { cursor complaint { id } } }');
    await until(async () => (await fetch(`${p.url}/readyz`)).status === 200, 'ready', 60_000);
    // A live subscription starts at the end of the topic: raise nothing before it is attached.
    await subscribersAttached(p, 'complaints', 1);
    await producer.send({
      topic: `${run}.asgard.demo.CUSTOMERS`,
      messages: [
        { key: JSON.stringify({ id: 1 }), value: JSON.stringify({ id: 1, first_name: 'Rica', last_name: 'Blaisdell', email: 'r@example.com', gender: 'Female', club_status: 'bronze' }) },
        { key: JSON.stringify({ id: 2 }), value: JSON.stringify({ id: 2, first_name: 'Ruthie', last_name: 'Brockherst', email: 'b@example.com', gender: 'Female', club_status: 'platinum' }) },
      ],
    });
    const rating = (id: number, user: number, stars: number) => ({
      key: String(id),
      value: JSON.stringify({ rating_id: id, user_id: user, stars, route_id: 7, rating_time: Date.now(), channel: 'iOS', message: 'worst. flight. ever.' }),
    });
    await producer.send({ topic: `${run}.ratings`, messages: [rating(501, 2, 1), rating(502, 1, 1), rating(503, 2, 5)] });

    await raised.waitFor(1);
    await until(
      async () => {
        const r = await gql<Loose>(p, '{ complaints(first: 10) { totalCount nodes { id } } ratings(first: 10) { totalCount } }', undefined, VIEWER);
        return r.body.data?.complaints?.totalCount === 1 && r.body.data?.ratings?.totalCount === 3;
      },
      'the complaint and the three ratings indexed',
      60_000,
    );
    const r = await gql<Loose>(p, '{ complaints(first: 10) { nodes { id } } }', undefined, VIEWER);
    expect(r.body.data?.complaints?.nodes).toEqual([{ id: '501' }]);
    expect(raised.results.map((x) => (x.data?.complaintRaised as Loose)?.complaint)).toEqual([{ id: '501' }]);
    await client.dispose();
    expect(p.lines.join('\n')).not.toContain(secureKafka().sasl.password);
  }, 120_000);

  it('stops start-up within 60 s with one line naming KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD when the password is wrong', async () => {
    const wrong = `${secureKafka().sasl.password}-wrong`;
    const { code, stdout, stderr } = await runToExit({ ...env(), KAFKA_SASL_PASSWORD: wrong }, 60_000);
    expect(code).toBe(78);
    const lines = stderr.trim().split('\n');
    expect(lines).toEqual([`kafka: authentication failed for user "${secureKafka().sasl.username}" (SASL SCRAM-SHA-512): check KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD`]);
    expect(`${stdout}${stderr}`).not.toContain(wrong);
  }, 70_000);

  it('stops start-up within 60 s with one line naming KAFKA_SSL when it connects in plaintext', async () => {
    const plain = { ...env(), KAFKA_SSL: 'off', KAFKA_SSL_CA_FILE: '' };
    const { code, stderr } = await runToExit(plain, 60_000);
    expect(code).toBe(78);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^kafka: .*check KAFKA_SSL\b/);
  }, 70_000);
});
