/**
 * kafkajs 2.2.4 let records of aborted transactions through to read_committed
 * consumers when several aborted transactions started before one record
 * (producers interleaved on a partition, as our per-input-partition
 * transactional producers are) or when the broker listed them out of
 * first-offset order. A broker crash mid-run showed it as duplicates
 * downstream (test/integration/stream-broker-bounce.test.ts). The fix lives in
 * patches/kafkajs+2.2.4.patch (applied by patch-package on npm ci); this
 * checks the patched filter directly.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

interface Message {
  offset: string;
  key: Buffer | null;
  isControlRecord: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
}
type Filter = (o: { messages: Message[]; abortedTransactions: { producerId: string; firstOffset: string }[] }) => Message[];
const filterAbortedMessages = createRequire(import.meta.url)('kafkajs/src/consumer/filterAbortedMessages.js') as Filter;

const record = (offset: number, producerId: string): Message => ({ offset: String(offset), key: Buffer.from('k'), isControlRecord: false, batchContext: { producerId, inTransaction: true } });
const marker = (offset: number, producerId: string, commit: boolean): Message => ({
  offset: String(offset),
  key: Buffer.from([0, 0, 0, commit ? 1 : 0]),
  isControlRecord: true,
  batchContext: { producerId, inTransaction: true },
});
const offsetsOf = (ms: Message[]) => ms.filter((m) => !m.isControlRecord).map((m) => Number(m.offset));

describe('kafkajs aborted-transaction filter (patched)', () => {
  it('drops every aborted transaction that started before a record, not only the first', () => {
    // Producers 1 and 2 opened transactions at 0 and 1 and both aborted; producer 3 commits.
    // The fetch starts at 2 (a seek, or the previous fetch ended there): the first record
    // the filter sees is past the start of both aborted transactions.
    const messages = [record(2, '2'), record(3, '1'), record(4, '3'), marker(5, '1', false), marker(6, '2', false), marker(7, '3', true)];
    const kept = filterAbortedMessages({
      messages,
      abortedTransactions: [
        { producerId: '1', firstOffset: '0' },
        { producerId: '2', firstOffset: '1' },
      ],
    });
    expect(offsetsOf(kept)).toEqual([4]);
  });

  it('does not depend on the order the broker lists aborted transactions in', () => {
    // Listed by abort marker (producer 2 aborted first), not by first offset.
    const messages = [record(10, '1'), record(11, '2'), record(12, '1'), marker(13, '2', false), record(14, '3'), marker(15, '1', false), marker(16, '3', true)];
    const kept = filterAbortedMessages({
      messages,
      abortedTransactions: [
        { producerId: '2', firstOffset: '11' },
        { producerId: '1', firstOffset: '10' },
      ],
    });
    expect(offsetsOf(kept)).toEqual([14]);
  });

  it('keeps a later committed transaction of a producer whose earlier one was aborted', () => {
    const messages = [record(0, '1'), marker(1, '1', false), record(2, '1'), marker(3, '1', true)];
    expect(offsetsOf(filterAbortedMessages({ messages, abortedTransactions: [{ producerId: '1', firstOffset: '0' }] }))).toEqual([2]);
  });
});
