/**
 * Kafka security against the secured test broker (SASL_SSL only, SCRAM-SHA-512,
 * a certificate from the broker's own test CA; test/global-setup.ts): the broker
 * refuses plaintext and unauthenticated clients, the product's start-up check
 * names what to fix, and the exactly-once stream layer runs over SCRAM and TLS.
 * The same broker's mutual-TLS listener (a client certificate is the credential)
 * takes the product configured with KAFKA_SSL_CERT_FILE / KAFKA_SSL_KEY_FILE and
 * refuses a client without a certificate or with one another CA signed.
 */
import { createTestCa } from '../support/test-ca.js';
import { loadConfig } from '../../src/config.js';
import { describe, expect, it } from 'vitest';
import { createKafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import { createKafkaStreamRuntime, type CommitHookInfo } from '../../stream/runtime/kafka-runtime.js';
import { DEFAULT_COMPLAINT_RULE } from '../../src/domain/index.js';
import { AccessError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import type { OutRecord } from '../../src/ports/event-log.js';
import { createStreamLayer } from '../../stream/pipeline.js';
import { collect, deferred, eventually } from '../contract/helpers.js';
import { secureKafka, uniqueName } from '../support/infra.js';
import { expectExactlyOnce, prefixedTopics, streamTestBed } from './kafka-stream-support.js';

const STATUSES = ['bronze', 'silver', 'gold', 'platinum'];

/** The start-up check of a log configured with `o`: null when access works, else the AccessError. */
async function accessCheck(o: { sasl?: { mechanism: 'scram-sha-512'; username: string; password: string } | null; tls: boolean }): Promise<AccessError | null> {
  const k = secureKafka();
  const log = createKafkaEventLog({ brokers: k.brokers, clientId: uniqueName('access'), logger: silentLogger, sasl: o.sasl ?? null, ssl: o.tls ? { ca: k.ca, cert: null, key: null } : null });
  try {
    await log.checkAccess();
    // Not refused: prove it by a real request too.
    await log.ensureTopics([{ name: uniqueName('access-ok') }]);
    return null;
  } catch (e) {
    if (e instanceof AccessError) return e;
    throw e;
  } finally {
    await log.close();
  }
}

describe('the secured broker', () => {
  it('accepts SCRAM-SHA-512 over TLS and refuses a wrong password, a client without SASL and a plaintext client, each with the variables to fix', async () => {
    const k = secureKafka();
    const [ok, wrongPassword, noSasl, plaintext, plaintextNoSasl] = await Promise.all([
      accessCheck({ sasl: k.sasl, tls: true }),
      accessCheck({ sasl: { ...k.sasl, password: `${k.sasl.password}-wrong` }, tls: true }),
      accessCheck({ sasl: null, tls: true }),
      accessCheck({ sasl: k.sasl, tls: false }),
      accessCheck({ sasl: null, tls: false }),
    ]);
    expect(ok).toBeNull();
    expect(wrongPassword?.message).toBe(`kafka: authentication failed for user "${k.sasl.username}" (SASL SCRAM-SHA-512): check KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD`);
    expect(wrongPassword?.retriable).toBe(false);
    expect(noSasl?.variables).toEqual(['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD']);
    expect(plaintext?.variables).toContain('KAFKA_SSL');
    expect(plaintextNoSasl?.variables).toContain('KAFKA_SSL');
    for (const e of [wrongPassword, noSasl, plaintext, plaintextNoSasl]) expect(e?.message).not.toContain(k.sasl.password);
  }, 90_000);

  it('refuses a TLS client that does not trust its certificate, naming KAFKA_SSL_CA_FILE', async () => {
    const k = secureKafka();
    // TLS with the system's CAs only: the test CA is not among them.
    const log = createKafkaEventLog({ brokers: k.brokers, clientId: uniqueName('access'), logger: silentLogger, sasl: k.sasl, ssl: { ca: null, cert: null, key: null } });
    try {
      await expect(log.checkAccess()).rejects.toThrow(/^kafka: the broker's TLS certificate is not trusted \([A-Z_]+\): check KAFKA_SSL_CA_FILE$/);
    } finally {
      await log.close();
    }
  }, 90_000);
});

describe('the mutual-TLS listener (a client certificate, no SASL)', () => {
  const mtls = () => {
    const m = secureKafka().mtls;
    if (!m) throw new Error('the secured broker of this run has no mutual-TLS listener (a broker reused through KAFKA_SECURE_*_TEST has none): let the test set-up start it');
    return m;
  };

  it('takes the product configured by KAFKA_SSL_CERT_FILE / KAFKA_SSL_KEY_FILE: start-up check, produce and read back', async () => {
    const m = mtls();
    const config = loadConfig({ ...m.env, ELASTICSEARCH_URL: 'http://127.0.0.1:9200', DEMO: 'off' });
    expect(config.kafka?.ssl).toMatchObject({ cert: m.cert });
    const log = createKafkaEventLog({ brokers: m.brokers, clientId: uniqueName('mtls'), logger: silentLogger, sasl: null, ssl: config.kafka!.ssl });
    try {
      await log.checkAccess();
      const topic = uniqueName('mtls');
      await log.ensureTopics([{ name: topic, partitions: 1 }]);
      await log.produce([{ topic, key: 'k', value: 'over mutual TLS' }]);
      const c = await collect(log, topic);
      const [r] = await c.atLeast(1);
      await c.stop();
      expect(r?.value?.toString()).toBe('over mutual TLS');
    } finally {
      await log.close();
    }
  }, 90_000);

  it('refuses a client without a certificate, or with one another CA signed, naming KAFKA_SSL_CERT_FILE / KAFKA_SSL_KEY_FILE', async () => {
    const m = mtls();
    const k = secureKafka();
    const other = createTestCa('another CA');
    const refused = async (ssl: { ca: string; cert: string | null; key: string | null }): Promise<AccessError> => {
      const log = createKafkaEventLog({ brokers: m.brokers, clientId: uniqueName('mtls-refused'), logger: silentLogger, sasl: null, ssl });
      try {
        await log.checkAccess();
        throw new Error('the mutual-TLS listener accepted a client it should refuse');
      } catch (e) {
        if (e instanceof AccessError) return e;
        throw e;
      } finally {
        await log.close();
      }
    };
    try {
      const none = await refused({ ca: k.ca, cert: null, key: null });
      const foreign = await refused({ ca: k.ca, cert: other.certPem, key: other.keyPem });
      expect(none.message).toMatch(/^kafka: the broker requires a client certificate and none is configured: set KAFKA_SSL_CERT_FILE \/ KAFKA_SSL_KEY_FILE \(/);
      expect(foreign.message).toMatch(/^kafka: the broker refused the client certificate .*: check KAFKA_SSL_CERT_FILE \/ KAFKA_SSL_KEY_FILE \(/);
      for (const e of [none, foreign]) {
        expect(e.variables).toEqual(['KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE']);
        expect(e.retriable).toBe(false);
      }
    } finally {
      other.remove();
    }
  }, 90_000);
});

describe('the stream layer over SCRAM and TLS', () => {
  const k = secureKafka();
  const { log, runtimes, layers, logger } = streamTestBed(6_000, 8_192, { brokers: k.brokers, sasl: k.sasl, ssl: { ca: k.ca, cert: null, key: null } });

  it('delivers each rating exactly once downstream although the runtime crashes mid-way', async () => {
    const id = uniqueName('eos-secure');
    const topics = prefixedTopics(id);
    const CUSTOMERS = 40;
    const RATINGS = 400;
    const layer = (beforeCommit?: (info: CommitHookInfo) => Promise<void>) => {
      const runtime = createKafkaStreamRuntime({ log, groupPrefix: id, statusIntervalMs: 0, retryInitialDelayMs: 50, logger, ...(beforeCommit ? { beforeCommit } : {}) });
      const l = createStreamLayer({ runtime, topics, rule: DEFAULT_COMPLAINT_RULE, joinGraceMs: 60_000, logger, pendingTopic: `${id}-join-pending` });
      runtimes.push(runtime);
      layers.push(l);
      return { runtime, layer: l };
    };
    await log.ensureTopics(Object.values(topics).map((name) => ({ name })));
    await log.produce(
      Array.from({ length: CUSTOMERS }, (_, i) => ({
        topic: topics.customersCdc,
        key: JSON.stringify({ id: i + 1 }),
        value: JSON.stringify({ id: i + 1, first_name: `F${i}`, last_name: `L${i}`, email: `c${i}@example.com`, gender: 'Female', club_status: STATUSES[(i + 1) % STATUSES.length] }),
      })),
    );
    const ratings = Array.from({ length: RATINGS }, (_, i) => ({ id: i + 1, user: 1 + (i % CUSTOMERS), stars: 1 + (i % 5) }));
    const record = (r: (typeof ratings)[number]): OutRecord => ({
      topic: topics.ratings,
      key: String(r.id),
      value: JSON.stringify({ rating_id: r.id, user_id: r.user, stars: r.stars, route_id: 7, rating_time: 1_528_800_000_000 + r.id, channel: 'web', message: 'meh' }),
    });
    for (let i = 0; i < RATINGS; i += 40) await log.produce(ratings.slice(i, i + 40).map(record));
    const expectedComplaints = ratings.filter((r) => r.stars < 3 && STATUSES[r.user % STATUSES.length] === 'platinum').length;

    // Crash inside the 3rd join transaction that carries records, after they were sent.
    const crashed = deferred<CommitHookInfo>();
    let joins = 0;
    const first = layer(async (info) => {
      if (info.processor !== 'enrich-ratings' || info.records === 0) return;
      if (++joins === 3) {
        crashed.resolve(info);
        await new Promise(() => undefined);
      }
    });
    await first.layer.start();
    await crashed.promise;
    await first.runtime.kill();

    const second = layer();
    await second.layer.start();
    const enriched = await collect(log, topics.ratingsEnriched);
    const complaints = await collect(log, topics.complaints);
    await enriched.atLeast(RATINGS, 90_000);
    await complaints.atLeast(expectedComplaints, 30_000);
    await eventually(async () => (await second.layer.status()).every((s) => s.consumerLag === 0), 'every processor caught up', 60_000, 200);
    await Promise.all([enriched.stop(), complaints.stop()]);
    expectExactlyOnce(enriched.records, RATINGS, complaints.records, expectedComplaints);
  }, 180_000);
});
