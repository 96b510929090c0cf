/**
 * The idempotent producer behind `KafkaEventLog.produce`: one producer
 * (acks=-1, maxInFlightRequests=1, which kafkajs needs to keep sequence
 * numbers in order: https://github.com/tulios/kafkajs/issues/598),
 * Java-compatible murmur2 partitioner; concurrent sends go one at a time
 * (see {@link ProducerPool.inTurn}). A producer whose sequence broke is
 * retired (disconnected once no send on it is in flight) and replaced.
 */
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { Logger } from '../../logger.js';
import type { OutRecord } from '../../ports/event-log.js';
import { byTopic } from './client.js';
import { translateKafkaError } from './errors.js';

export class ProducerPool {
  private producerPromise: Promise<Producer> | null = null;
  /** The producer `producerPromise` resolved to, while it is in use. */
  private currentProducer: Producer | null = null;
  /** Sends in flight per producer, and producers taken out of use, disconnected once idle. */
  private readonly sending = new Map<Producer, number>();
  private readonly retired = new Set<Producer>();
  /** Per producer, the end of its queue of sends (see {@link inTurn}). */
  private readonly sendQueues = new Map<Producer, Promise<void>>();

  /** `assertOpen` throws once the event log was closed. */
  constructor(
    private readonly client: Kafka,
    private readonly logger: Logger,
    private readonly assertOpen: () => void,
  ) {}

  private producer(): Promise<Producer> {
    this.assertOpen();
    if (!this.producerPromise) {
      const producer = this.client.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
      this.producerPromise = producer.connect().then(
        () => {
          this.currentProducer = producer;
          return producer;
        },
        (e: unknown) => {
          this.producerPromise = null;
          throw translateKafkaError(e, 'connecting the producer');
        },
      );
    }
    return this.producerPromise;
  }

  async send(records: readonly OutRecord[]): Promise<void> {
    if (records.length === 0) return;
    const what = `producing to ${[...new Set(records.map((r) => r.topic))].join(', ')}`;
    for (let attempt = 1; ; attempt++) {
      const producer = await this.producer();
      this.sending.set(producer, (this.sending.get(producer) ?? 0) + 1);
      try {
        await this.inTurn(producer, () => producer.sendBatch({ acks: -1, topicMessages: byTopic(records) }));
        return;
      } catch (e) {
        // kafkajs' idempotent producer can lose track of its sequence numbers
        // when a request to a just-created partition is retried internally;
        // the broker then refuses every later batch with
        // OUT_OF_ORDER_SEQUENCE_NUMBER, non-retriable in kafkajs
        // (https://github.com/tulios/kafkajs/issues/598). A new producer gets
        // a new producer id and starts at sequence 0; the refused batch was
        // not written (other partitions' batches of the same send may have
        // been, so this retry is at-least-once, like any produce retry).
        // A concurrent send replaced the producer this one used (its sequence
        // broke for all of them): send again on the new one.
        if ((isOutOfOrderSequence(e) || this.retired.has(producer)) && attempt < 3) {
          this.logger.warn({ err: e, attempt }, 'idempotent producer out of sequence; replacing it and sending again');
          this.retireProducer(producer);
          continue;
        }
        throw translateKafkaError(e, what);
      } finally {
        this.doneSending(producer);
      }
    }
  }

  /**
   * Runs `send` once every earlier send on `producer` has ended: one
   * `sendBatch` at a time per idempotent producer. kafkajs 2.2.4 takes a
   * batch's sequence numbers under a per-broker lock, but when the produce
   * request throws (a timeout, a just-created partition's leader not known
   * yet) it hands them back (sendMessages.js, `updateSequence(-n)`) and
   * releases the lock before its retry, although the broker may have written
   * that batch. A concurrent send then takes the same sequence numbers; when
   * its record count on a partition equals the written batch's, the broker
   * answers DUPLICATE_SEQUENCE_NUMBER as a success and never writes it, so
   * records are lost without an error (CI: one 40-record CDC send of
   * test/integration/stream-join-readiness.test.ts vanished, and the batch
   * written before it twice). With one send at a time the retry gets its own
   * sequence numbers back: the broker de-duplicates it, and no other batch
   * can be mistaken for it.
   */
  private inTurn(producer: Producer, send: () => Promise<unknown>): Promise<unknown> {
    const previous = this.sendQueues.get(producer) ?? Promise.resolve();
    const mine = previous.then(send);
    const done = mine.then(
      () => undefined,
      () => undefined,
    );
    this.sendQueues.set(producer, done);
    void done.then(() => {
      if (this.sendQueues.get(producer) === done) this.sendQueues.delete(producer);
    });
    return mine;
  }

  /**
   * Takes `broken` out of use: the next send gets a new producer. It is
   * disconnected once no send on it is in flight; disconnecting it under
   * concurrent sends would fail them with kafkajs internals' TypeErrors
   * ("Cannot set properties of undefined") instead of a retriable error.
   */
  private retireProducer(broken: Producer): void {
    if (this.retired.has(broken)) return;
    this.retired.add(broken);
    if (this.currentProducer === broken) {
      this.currentProducer = null;
      this.producerPromise = null;
    }
    if (!this.sending.get(broken)) void this.disconnectRetired(broken);
  }

  private doneSending(producer: Producer): void {
    const left = (this.sending.get(producer) ?? 1) - 1;
    if (left > 0) return void this.sending.set(producer, left);
    this.sending.delete(producer);
    if (this.retired.has(producer)) void this.disconnectRetired(producer);
  }

  private async disconnectRetired(producer: Producer): Promise<void> {
    this.retired.delete(producer);
    await producer.disconnect().catch(() => undefined);
  }

  /** Takes every producer out of use and disconnects them; the disconnects run in the promise returned. */
  close(): Promise<unknown> {
    const producer = this.producerPromise;
    this.producerPromise = null;
    const retired = [...this.retired];
    this.retired.clear();
    return Promise.all([producer?.then((p) => p.disconnect()).catch(() => undefined), ...retired.map((p) => p.disconnect().catch(() => undefined))]);
  }
}

/** kafkajs' OUT_OF_ORDER_SEQUENCE_NUMBER (protocol error code 45). */
function isOutOfOrderSequence(e: unknown): boolean {
  const err = e as { type?: unknown; code?: unknown; cause?: unknown } | null;
  if (!err || typeof err !== 'object') return false;
  if (err.type === 'OUT_OF_ORDER_SEQUENCE_NUMBER' || err.code === 45) return true;
  return err.cause !== undefined && err.cause !== e && isOutOfOrderSequence(err.cause);
}
