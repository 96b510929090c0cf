import { describe, expect, it } from 'vitest';
import { isFencedError, kafkaAccessError, transactionLogUnavailable, translateKafkaError } from '../../../../src/adapters/kafka/errors.js';
import { AccessError, AppError, ErrorCode, InvalidRecordError, UnavailableError } from '../../../../src/errors.js';

/** kafkajs errors as kafkajs builds them (name, type, retriable, cause), without importing its classes. */
const kafkaError = (name: string, o: { type?: string; code?: number | string; retriable?: boolean; cause?: unknown; message?: string } = {}) =>
  Object.assign(new Error(o.message ?? `${name} happened`), { name, retriable: o.retriable ?? true, ...o });

describe('translating kafkajs errors', () => {
  it.each([
    ['an unreachable broker', kafkaError('KafkaJSConnectionError', { code: 'ECONNREFUSED' }), UnavailableError, true],
    ['a request timeout', kafkaError('KafkaJSRequestTimeoutError'), UnavailableError, true],
    ['exhausted retries', kafkaError('KafkaJSNumberOfRetriesExceeded', { retriable: false, cause: kafkaError('KafkaJSProtocolError', { type: 'LEADER_NOT_AVAILABLE' }) }), UnavailableError, true],
    ['a retriable broker error', kafkaError('KafkaJSProtocolError', { type: 'NOT_LEADER_FOR_PARTITION', retriable: true }), UnavailableError, true],
    ['a denied topic', kafkaError('KafkaJSProtocolError', { type: 'TOPIC_AUTHORIZATION_FAILED', retriable: false }), UnavailableError, false],
    ['a record too large', kafkaError('KafkaJSProtocolError', { type: 'MESSAGE_TOO_LARGE', retriable: false }), InvalidRecordError, false],
  ])('maps %s', (_, e, cls, retriable) => {
    const t = translateKafkaError(e, 'producing to ratings');
    expect(t).toBeInstanceOf(cls);
    expect(t.retriable).toBe(retriable);
    expect(t.message).toContain('producing to ratings');
    expect(t.cause).toBe(e);
  });

  it('keeps AppErrors and calls anything else internal', () => {
    const app = new UnavailableError('already ours');
    expect(translateKafkaError(app, 'x')).toBe(app);
    const bug = translateKafkaError(new TypeError('undefined is not a function'), 'x');
    expect(bug).toBeInstanceOf(AppError);
    expect(bug.code).toBe(ErrorCode.Internal);
  });

  it('recognises a fenced producer, also behind exhausted retries and by Kafka error code 90', () => {
    expect(isFencedError(kafkaError('KafkaJSProtocolError', { type: 'INVALID_PRODUCER_EPOCH', retriable: false }))).toBe(true);
    expect(isFencedError(kafkaError('KafkaJSNumberOfRetriesExceeded', { cause: kafkaError('KafkaJSProtocolError', { type: 'PRODUCER_FENCED' }) }))).toBe(true);
    expect(isFencedError(kafkaError('KafkaJSProtocolError', { code: 90 }))).toBe(true);
    expect(isFencedError(translateKafkaError(kafkaError('KafkaJSProtocolError', { type: 'INVALID_PRODUCER_EPOCH', retriable: false }), 'committing'))).toBe(true);
    expect(isFencedError(kafkaError('KafkaJSProtocolError', { type: 'NOT_LEADER_FOR_PARTITION' }))).toBe(false);
  });
});

describe('refused credentials and TLS', () => {
  const scramTls = { mechanism: 'scram-sha-512', username: 'svc', tls: true };
  const exhausted = (cause: unknown) => kafkaError('KafkaJSNumberOfRetriesExceeded', { retriable: false, cause });

  it('names the user, the mechanism and the variables for a failed SASL authentication, behind any wrapping', () => {
    const sasl = kafkaError('KafkaJSSASLAuthenticationError', { retriable: false, message: 'SASL SCRAM SHA512 authentication failed: invalid credentials' });
    for (const e of [sasl, kafkaError('KafkaJSNonRetriableError', { retriable: false, cause: sasl }), translateKafkaError(sasl, 'connecting')]) {
      const a = kafkaAccessError(e, scramTls);
      expect(a).toBeInstanceOf(AccessError);
      expect(a?.message).toBe('kafka: authentication failed for user "svc" (SASL SCRAM-SHA-512): check KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD');
      expect(a?.retriable).toBe(false);
    }
    // Without the settings (deep in a running consumer): still an AccessError, not retried.
    const translated = translateKafkaError(sasl, 'consuming');
    expect(translated).toBeInstanceOf(AccessError);
    expect(translated.retriable).toBe(false);
  });

  it('sends an unsupported mechanism to KAFKA_SASL_MECHANISM', () => {
    const e = kafkaError('KafkaJSSASLAuthenticationError', { retriable: false, message: 'SASL PLAIN mechanism is not supported by the server' });
    expect(kafkaAccessError(e, { ...scramTls, mechanism: 'plain' })?.variables).toEqual(['KAFKA_SASL_MECHANISM']);
  });

  it('sends an untrusted certificate to KAFKA_SSL_CA_FILE and a wrong host name to KAFKA_BROKERS', () => {
    const untrusted = exhausted(kafkaError('KafkaJSConnectionError', { code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'Connection error: self-signed certificate in certificate chain' }));
    expect(kafkaAccessError(untrusted, scramTls)?.message).toBe("kafka: the broker's TLS certificate is not trusted (SELF_SIGNED_CERT_IN_CHAIN): check KAFKA_SSL_CA_FILE");
    const altname = exhausted(kafkaError('KafkaJSConnectionError', { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }));
    expect(kafkaAccessError(altname, scramTls)?.variables).toEqual(['KAFKA_BROKERS', 'KAFKA_SSL_CA_FILE']);
  });

  it('sends a TLS alert about the client certificate (none, or one the broker does not trust) to KAFKA_SSL_CERT_FILE / KAFKA_SSL_KEY_FILE', () => {
    const tlsOnly = { mechanism: null, username: null, tls: true };
    // What kafkajs reports when a listener with ssl.client.auth=required gets no certificate (seen against Kafka 3.9).
    const none = exhausted(
      kafkaError('KafkaJSConnectionError', {
        code: 'ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE',
        message:
          'Connection error: 40DD6957AF7F0000:error:0A000412:SSL routines:ssl3_read_bytes:ssl/tls alert bad certificate:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:918:SSL alert number 42',
      }),
    );
    expect(kafkaAccessError(none, tlsOnly)?.message).toBe(
      'kafka: the broker requires a client certificate and none is configured: set KAFKA_SSL_CERT_FILE / KAFKA_SSL_KEY_FILE (ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE)',
    );
    const untrusted = exhausted(kafkaError('KafkaJSConnectionError', { code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', message: 'Connection error: tlsv1 alert unknown ca' }));
    const refused = kafkaAccessError(untrusted, { ...tlsOnly, clientCertificate: true });
    expect(refused?.message).toMatch(/^kafka: the broker refused the client certificate/);
    expect(refused?.variables).toEqual(['KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE']);
    expect(refused?.retriable).toBe(false);
  });

  it('reads a reset TLS handshake as a plaintext listener, and a closed connection as a missing SASL or TLS, only at the start-up check', () => {
    const reset = exhausted(kafkaError('KafkaJSConnectionError', { code: 'ECONNRESET', message: 'Client network socket disconnected before secure TLS connection was established' }));
    expect(kafkaAccessError(reset, scramTls)?.variables).toEqual(['KAFKA_SSL', 'KAFKA_BROKERS']);
    expect(kafkaAccessError(reset, { ...scramTls, tls: false })).toBeNull();
    const closed = kafkaError('KafkaJSConnectionClosedError', { message: 'Closed connection' });
    expect(kafkaAccessError(closed, { mechanism: null, username: null, tls: true })?.variables).toEqual(['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD']);
    expect(kafkaAccessError(exhausted(closed), { ...scramTls, tls: false })?.variables).toContain('KAFKA_SSL');
    expect(kafkaAccessError(closed, null)).toBeNull();
    expect(translateKafkaError(closed, 'fetching')).toBeInstanceOf(UnavailableError);
  });

  it('leaves a broker that is down to the retries', () => {
    const refused = exhausted(kafkaError('KafkaJSConnectionError', { code: 'ECONNREFUSED' }));
    expect(kafkaAccessError(refused, scramTls)).toBeNull();
    expect(kafkaAccessError(refused, { mechanism: null, username: null, tls: false })).toBeNull();
  });
});

describe('a broker that cannot run transactions', () => {
  it('is recognised from the exhausted coordinator lookup or NOT_ENOUGH_REPLICAS, not from a broker that is down', () => {
    const lookup = kafkaError('KafkaJSNumberOfRetriesExceeded', { retriable: false, cause: kafkaError('KafkaJSProtocolError', { type: 'GROUP_COORDINATOR_NOT_AVAILABLE' }) });
    expect(transactionLogUnavailable(lookup)).toBe(true);
    expect(transactionLogUnavailable(kafkaError('KafkaJSProtocolError', { type: 'NOT_ENOUGH_REPLICAS' }))).toBe(true);
    expect(transactionLogUnavailable(kafkaError('KafkaJSGroupCoordinatorNotFound'))).toBe(true);
    expect(transactionLogUnavailable(kafkaError('KafkaJSConnectionError', { code: 'ECONNREFUSED' }))).toBe(false);
    expect(transactionLogUnavailable(kafkaError('KafkaJSProtocolError', { type: 'CONCURRENT_TRANSACTIONS' }))).toBe(false);
  });
});
