import { describe, expect, it } from 'vitest';
import { isFencedError, translateKafkaError } from '../../src/adapters/kafka/errors.js';
import { AppError, ErrorCode, InvalidRecordError, UnavailableError } from '../../src/errors.js';

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
