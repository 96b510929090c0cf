/**
 * The batches a group consumer's handler took in and finishes in the
 * background (`BatchTaken` in src/ports/event-log.ts), per partition in
 * offset order. This is what lets the sink keep bulk requests in flight
 * while kafkajs fetches the next records (kafkajs fetches again only once
 * every batch of the last fetch was handed back), as the Kafka Connect
 * Elasticsearch sink commits only what was flushed.
 *
 * Rules:
 * - A partition's offsets are committed in order: past a batch only once it
 *   and every earlier batch of the partition are done.
 * - When the oldest unfinished batch of a partition fails, everything from it
 *   on is dropped (later batches may have finished: they are delivered again
 *   anyway) and the partition is rewound to its first offset; the partition's
 *   epoch moves on, so a batch still being taken in when that happened is
 *   not added (its records come again too).
 * - `below(records, bytes)` waits while more than `records` records or more
 *   than `bytes` bytes (keys and values) are pending: the consumer calls it
 *   before fetching more, which bounds the memory taken, large records too.
 */
export interface PendingBatchesOptions {
  /** Commit `offset` (the next to read) on the partition; called in order per partition. */
  commit(topic: string, partition: number, offset: string): void;
  /** The oldest unfinished batch of the partition failed: deliver again from `offset`. */
  rewind(topic: string, partition: number, offset: string, error: unknown): void;
}

interface Entry {
  readonly first: string;
  readonly next: string;
  readonly records: number;
  readonly bytes: number;
  state: 'pending' | 'done' | 'failed';
  error?: unknown;
}

interface Partition {
  readonly topic: string;
  readonly partition: number;
  epoch: number;
  entries: Entry[];
}

export class PendingBatches {
  private readonly partitions = new Map<string, Partition>();
  private pendingRecords = 0;
  private pendingBytes = 0;
  private waiters: Array<() => void> = [];

  constructor(private readonly o: PendingBatchesOptions) {}

  /** Records taken in and not finished, over every partition. */
  get records(): number {
    return this.pendingRecords;
  }

  /** Bytes (keys and values) of the records taken in and not finished. */
  get bytes(): number {
    return this.pendingBytes;
  }

  /** Whether the partition has batches not committed yet. */
  has(topic: string, partition: number): boolean {
    return (this.partitions.get(key(topic, partition))?.entries.length ?? 0) > 0;
  }

  /** The first offset of the partition's oldest batch not committed yet. */
  oldest(topic: string, partition: number): string | undefined {
    return this.partitions.get(key(topic, partition))?.entries[0]?.first;
  }

  /** The partition's epoch: it moves on at every rewind and reset. */
  epoch(topic: string, partition: number): number {
    return this.partition(topic, partition).epoch;
  }

  /**
   * Adds a batch taken in at `epoch` (from {@link epoch}, read before the
   * handler ran); returns false, and adds nothing, when the partition was
   * rewound since (the batch will come again).
   */
  add(
    topic: string,
    partition: number,
    epoch: number,
    batch: { readonly first: string; readonly next: string; readonly records: number; readonly bytes: number; readonly done: Promise<void> },
  ): boolean {
    const p = this.partition(topic, partition);
    if (p.epoch !== epoch) {
      batch.done.catch(() => undefined);
      return false;
    }
    const entry: Entry = { first: batch.first, next: batch.next, records: batch.records, bytes: batch.bytes, state: 'pending' };
    const entries = p.entries;
    entries.push(entry);
    this.pendingRecords += entry.records;
    this.pendingBytes += entry.bytes;
    batch.done.then(
      () => {
        entry.state = 'done';
        this.settle(p, entries);
      },
      (error: unknown) => {
        entry.state = 'failed';
        entry.error = error;
        this.settle(p, entries);
      },
    );
    return true;
  }

  /** Forgets every pending batch (a replaced consumer starts again from the committed offsets). */
  reset(): void {
    for (const p of this.partitions.values()) this.drop(p);
    this.wake();
  }

  /** Forgets the partition's pending batches and moves its epoch on (the caller rewinds it). */
  resetPartition(topic: string, partition: number): void {
    const p = this.partitions.get(key(topic, partition));
    if (p) this.drop(p);
    this.wake();
  }

  /** Resolves once at most `records` records and `bytes` bytes are pending. */
  async below(records: number, bytes = Number.POSITIVE_INFINITY): Promise<void> {
    while (this.pendingRecords > records || this.pendingBytes > bytes) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private partition(topic: string, partition: number): Partition {
    const k = key(topic, partition);
    let p = this.partitions.get(k);
    if (p === undefined) this.partitions.set(k, (p = { topic, partition, epoch: 0, entries: [] }));
    return p;
  }

  private settle(p: Partition, entries: Entry[]): void {
    if (p.entries !== entries) return; // dropped by a rewind or reset meanwhile
    let committed: string | null = null;
    while (entries.length > 0 && entries[0]!.state !== 'pending') {
      const head = entries[0]!;
      if (head.state === 'failed') {
        this.drop(p);
        if (committed !== null) this.o.commit(p.topic, p.partition, committed);
        this.o.rewind(p.topic, p.partition, head.first, head.error);
        this.wake();
        return;
      }
      entries.shift();
      this.pendingRecords -= head.records;
      this.pendingBytes -= head.bytes;
      committed = head.next;
    }
    // One commit for every batch that finished in a row.
    if (committed !== null) this.o.commit(p.topic, p.partition, committed);
    this.wake();
  }

  private drop(p: Partition): void {
    const dropped = p.entries;
    for (const e of dropped) {
      this.pendingRecords -= e.records;
      this.pendingBytes -= e.bytes;
    }
    // A fresh array: settlements of the dropped entries see theirs is gone.
    p.entries = [];
    p.epoch++;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

function key(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}
