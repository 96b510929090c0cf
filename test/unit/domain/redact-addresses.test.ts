import { describe, expect, it } from 'vitest';
import { redactAddresses } from '../../../src/domain/redact-addresses.js';

describe('redactAddresses', () => {
  it.each([
    ['connect ECONNREFUSED 127.0.0.1:9092', 'connect ECONNREFUSED <address>'],
    ['getaddrinfo ENOTFOUND kafka-1', 'getaddrinfo ENOTFOUND <address>'],
    ['Connection timeout to broker kafka-2.internal.example.com:9093', 'Connection timeout to broker <address>'],
    ['request to https://user@es.prod.example.com:9243/ratings/_bulk failed', 'request to <address> failed'],
    ['no route to [fd00::12]:9200 or fe80::1:2 or 2001:db8:0:0:0:0:2:1', 'no route to <address> or <address> or <address>'],
    ['timed out at 12:30:45 after 3 retries', 'timed out at 12:30:45 after 3 retries'],
    ['index [ratings] blocked by: [FORBIDDEN/8/index write (api)];', 'index [ratings] blocked by: [FORBIDDEN/8/index write (api)];'],
    ['mapper_parsing_exception: failed to parse field [stars] of type [integer]', 'mapper_parsing_exception: failed to parse field [stars] of type [integer]'],
  ])('%s', (input, expected) => expect(redactAddresses(input)).toBe(expected));
});
