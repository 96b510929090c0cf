/**
 * Probes whether kafkajs works against a given Kafka broker (written for Kafka 4.x, see
 * docs/kafka-4.md). Compares the API version ranges kafkajs implements with those the
 * broker serves, then runs, step by step, what the product uses: topic creation (admin),
 * produce, a consumer group (join / sync / heartbeat / commit / leave), admin offset
 * look-ups, and a transaction with `sendOffsets` read back with `read_committed`.
 * Each step is reported as ok or with the exact error; the versions kafkajs actually sent
 * are listed from its debug log.
 *
 *   npx tsx scripts/kafka4-probe.ts                    # starts Kafka 4.4.0 itself
 *   npx tsx scripts/kafka4-probe.ts --version 4.1.1    # or KAFKA_VERSION=4.1.1
 *   npx tsx scripts/kafka4-probe.ts --brokers 127.0.0.1:9092   # an already running broker
 *
 * Exits 0 when every step passed, 1 otherwise. A broker it started is always stopped.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type Consumer, type LogEntry, type Producer } from 'kafkajs';
import { startKafka, type KafkaServer } from './infra/kafka.js';

const { values: args } = parseArgs({
  options: { brokers: { type: 'string' }, version: { type: 'string' } },
});

type Range = { min: number; max: number };

/** The request versions kafkajs implements, from its own protocol table. */
function kafkajsRanges(): Map<string, Range & { key: number }> {
  const require = createRequire(import.meta.url);
  const apiKeys = require('kafkajs/src/protocol/requests/apiKeys.js') as Record<string, number>;
  const { requests } = require('kafkajs/src/protocol/requests/index.js') as {
    requests: Record<string, { versions: string[] }>;
  };
  const ranges = new Map<string, Range & { key: number }>();
  for (const [name, definition] of Object.entries(requests)) {
    const versions = definition.versions.map(Number);
    const key = apiKeys[name];
    if (versions.length > 0 && key !== undefined) {
      ranges.set(name, { key, min: Math.min(...versions), max: Math.max(...versions) });
    }
  }
  return ranges;
}

/** Sends ApiVersions v0 over a raw socket; returns the broker's range per API key. */
async function brokerRanges(broker: string): Promise<Map<number, Range>> {
  const [host, port] = broker.split(':');
  const clientId = Buffer.from('kafka4-probe');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
  body.writeInt16BE(18, 0); // ApiVersions
  body.writeInt16BE(0, 2); // v0
  body.writeInt32BE(1, 4); // correlation id
  body.writeInt16BE(clientId.length, 8);
  clientId.copy(body, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  const response = await new Promise<Buffer>((resolve, reject) => {
    const socket = connect(Number(port), host, () => socket.write(Buffer.concat([size, body])));
    let data = Buffer.alloc(0);
    socket.setTimeout(10_000, () => socket.destroy(new Error('ApiVersions: no answer in 10 s')));
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= 4 && data.length >= 4 + data.readInt32BE(0)) {
        socket.end();
        resolve(data.subarray(4));
      }
    });
    socket.on('error', reject);
  });
  // correlation id (4), error code (2), array length (4), then [key, min, max] int16 each
  const errorCode = response.readInt16BE(4);
  if (errorCode !== 0 && errorCode !== 35) throw new Error(`ApiVersions error code ${errorCode}`);
  const ranges = new Map<number, Range>();
  const count = response.readInt32BE(6);
  for (let i = 0; i < count; i += 1) {
    const at = 10 + i * 6;
    ranges.set(response.readInt16BE(at), { min: response.readInt16BE(at + 2), max: response.readInt16BE(at + 4) });
  }
  return ranges;
}

/** Versions kafkajs actually sent, collected from its debug log ("Request Produce(key: 0, version: 7)"). */
const sent = new Map<string, Set<number>>();
/** Protocol errors kafkajs logged (error level), kept verbatim. */
const loggedErrors: string[] = [];
const logCreator = () => (entry: LogEntry) => {
  const message = String(entry.log.message);
  const match = /^Request (\w+)\(key: \d+, version: (\d+)\)/.exec(message);
  if (match?.[1] !== undefined) {
    const versions = sent.get(match[1]) ?? new Set<number>();
    versions.add(Number(match[2]));
    sent.set(match[1], versions);
  }
  if (entry.level === logLevel.ERROR && loggedErrors.length < 20) {
    const { error } = entry.log as { error?: unknown };
    loggedErrors.push(`${entry.namespace}: ${message}${error ? ` (${String(error)})` : ''}`);
  }
};

interface StepResult {
  readonly step: string;
  readonly ok: boolean;
  readonly detail: string;
}
const results: StepResult[] = [];

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const extra = error as Error & { type?: string; code?: number; retriable?: boolean; cause?: unknown };
  const parts = [`${error.name}: ${error.message}`];
  if (extra.type) parts.push(`type=${extra.type}`);
  if (extra.code !== undefined) parts.push(`code=${extra.code}`);
  if (extra.cause) parts.push(`cause=${describeError(extra.cause)}`);
  return parts.join(' ');
}

async function step(name: string, run: () => Promise<string>, timeoutMs = 30_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const detail = await Promise.race([
      run(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
    results.push({ step: name, ok: true, detail });
    console.log(`ok    ${name}: ${detail}`);
    return true;
  } catch (error) {
    results.push({ step: name, ok: false, detail: describeError(error) });
    console.log(`FAIL  ${name}: ${describeError(error)}`);
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a consumer until `count` messages arrived (or the step times out). */
async function consumeCount(consumer: Consumer, topic: string, count: number): Promise<string[]> {
  const values: string[] = [];
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer.on(consumer.events.CRASH, (event) => reject(event.payload.error));
    consumer
      .run({
        eachMessage: async ({ message }) => {
          values.push(message.value?.toString() ?? '');
          if (values.length >= count) resolve();
        },
      })
      .catch(reject);
  });
  return values;
}

async function probe(brokers: string): Promise<void> {
  const suffix = randomBytes(3).toString('hex');
  const topic = `probe-in-${suffix}`;
  const outTopic = `probe-out-${suffix}`;
  const groupId = `probe-group-${suffix}`;
  const txnGroupId = `probe-txn-group-${suffix}`;
  const kafka = new Kafka({
    clientId: 'kafka4-probe',
    brokers: brokers.split(','),
    logLevel: logLevel.DEBUG,
    logCreator,
    retry: { retries: 5, maxRetryTime: 2_000 },
  });

  // 1. Protocol version ranges.
  const broker = await brokerRanges(brokers.split(',')[0] ?? brokers);
  console.log(`\n${'API'.padEnd(28)}${'kafkajs'.padEnd(9)}${'broker'.padEnd(9)}kafkajs sends`);
  for (const [name, range] of kafkajsRanges()) {
    const served = broker.get(range.key);
    const chosen = served ? Math.min(range.max, served.max) : undefined;
    const verdict = served === undefined ? 'API not served' : chosen !== undefined && chosen < served.min ? `v${chosen} < min: FAILS` : `v${chosen}`;
    console.log(name.padEnd(28) + `v${range.min}-${range.max}`.padEnd(9) + (served ? `v${served.min}-${served.max}` : '-').padEnd(9) + verdict);
  }
  console.log('');

  const admin = kafka.admin();
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId, heartbeatInterval: 300, sessionTimeout: 10_000 });
  const txProducer = kafka.producer({
    transactionalId: `probe-tx-${suffix}`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  const committedReader = kafka.consumer({ groupId: `probe-rc-${suffix}`, readUncommitted: false });
  const uncommittedReader = kafka.consumer({ groupId: `probe-ru-${suffix}`, readUncommitted: true });
  try {
    await step('admin.connect + createTopics', async () => {
      await admin.connect();
      const created = await admin.createTopics({
        waitForLeaders: true,
        topics: [
          { topic, numPartitions: 3 },
          { topic: outTopic, numPartitions: 1 },
        ],
      });
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      return `created=${String(created)}, ${topic} has ${metadata.topics[0]?.partitions.length} partitions`;
    });

    await step('admin.describeCluster / listTopics', async () => {
      const cluster = await admin.describeCluster();
      const topics = await admin.listTopics();
      return `${cluster.brokers.length} broker(s), controller ${String(cluster.controller)}, ${topics.length} topics`;
    });

    await step('producer.send (idempotent, 10 messages)', async () => {
      await producer.connect();
      const sentRecords = await producer.send({
        topic,
        messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
      });
      return sentRecords.map((r) => `p${r.partition}@${r.baseOffset}`).join(' ');
    });

    let heartbeats = 0;
    let commits = 0;
    consumer.on(consumer.events.HEARTBEAT, () => (heartbeats += 1));
    consumer.on(consumer.events.COMMIT_OFFSETS, () => (commits += 1));
    await step('consumer group: join/sync/fetch', async () => {
      await consumer.connect();
      let joined = '';
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        joined = `member ${event.payload.memberId.slice(0, 24)}..., leader=${String(event.payload.isLeader)}`;
      });
      const values = await consumeCount(consumer, topic, 10);
      return `received ${values.length} messages; ${joined}`;
    });
    await step('consumer group: heartbeat + commit', async () => {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await consumer.commitOffsets([]);
      if (heartbeats === 0) throw new Error('no HEARTBEAT event in 2 s');
      return `${heartbeats} heartbeats, ${commits} commit events`;
    });
    await step('consumer.disconnect (LeaveGroup)', async () => {
      await consumer.disconnect();
      return 'left';
    });

    await step('admin.fetchTopicOffsets', async () => {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.map((o) => `p${o.partition} low=${o.low} high=${o.high}`).join(', ');
    });
    await step('admin.fetchTopicOffsetsByTimestamp', async () => {
      const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, Date.now() - 60_000);
      return offsets.map((o) => `p${o.partition}=${o.offset}`).join(', ');
    });
    await step('admin.fetchOffsets (committed by the group)', async () => {
      const [result] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const total = result?.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
      if (total !== 10) throw new Error(`committed offsets add up to ${String(total)}, expected 10`);
      return result?.partitions.map((p) => `p${p.partition}=${p.offset}`).join(', ') ?? '';
    });
    await step('admin.describeGroups / listGroups', async () => {
      const { groups } = await admin.describeGroups([groupId]);
      const { groups: all } = await admin.listGroups();
      return `state=${groups[0]?.state}, protocolType=${groups[0]?.protocolType}, listGroups: ${all.length}`;
    });

    await step('transaction: send + sendOffsets + commit', async () => {
      await txProducer.connect();
      const transaction = await txProducer.transaction();
      await transaction.send({ topic: outTopic, messages: [1, 2, 3, 4, 5].map((i) => ({ value: `committed-${i}` })) });
      await transaction.sendOffsets({
        consumerGroupId: txnGroupId,
        topics: [{ topic, partitions: [{ partition: 0, offset: '1' }] }],
      });
      await transaction.commit();
      return '5 messages + offset p0=1 for the group, committed';
    });
    await step('transaction: send + abort', async () => {
      const transaction = await txProducer.transaction();
      await transaction.send({ topic: outTopic, messages: [1, 2, 3].map((i) => ({ value: `aborted-${i}` })) });
      await transaction.abort();
      return '3 messages aborted';
    });
    await step('transaction: offsets committed via sendOffsets (admin.fetchOffsets)', async () => {
      const [result] = await admin.fetchOffsets({ groupId: txnGroupId, topics: [topic] });
      const p0 = result?.partitions.find((p) => p.partition === 0)?.offset;
      if (p0 !== '1') throw new Error(`partition 0 offset is ${String(p0)}, expected 1`);
      return `p0=${p0}`;
    });
    await step('read_committed consumer sees only committed', async () => {
      await committedReader.connect();
      const values = await consumeCount(committedReader, outTopic, 5);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      if (values.length !== 5 || values.some((v) => !v.startsWith('committed-'))) {
        throw new Error(`got ${values.join(',')}`);
      }
      return values.join(',');
    });
    await step('read_uncommitted consumer sees aborted too', async () => {
      await uncommittedReader.connect();
      const values = await consumeCount(uncommittedReader, outTopic, 8);
      return `${values.length} messages: ${values.join(',')}`;
    });
  } finally {
    await Promise.allSettled([admin, producer, consumer, txProducer, committedReader, uncommittedReader].map((client) => client.disconnect()));
  }
}

let server: KafkaServer | undefined;
try {
  let brokers = args.brokers;
  if (!brokers) {
    const version = args.version ?? process.env.KAFKA_VERSION ?? '4.4.0';
    console.log(`Starting Kafka ${version} (first run resolves it with Maven)...`);
    // No warm-up: it uses a kafkajs transaction, which is one of the things probed here.
    server = await startKafka({ version, warmUp: false });
    brokers = server.brokers;
  }
  console.log(`Broker ${brokers}${server ? `, Kafka ${server.version}` : ''}`);
  await probe(brokers);
} catch (error) {
  results.push({ step: 'setup', ok: false, detail: describeError(error) });
  console.error(describeError(error));
} finally {
  await server?.stop();
}

console.log('\nRequest versions kafkajs sent:');
for (const [name, versions] of [...sent].sort(([a], [b]) => a.localeCompare(b))) {
  console.log(`  ${name} v${[...versions].sort((a, b) => a - b).join(', v')}`);
}
if (loggedErrors.length > 0) console.log(`\nkafkajs error log (first ${loggedErrors.length}):\n  ${loggedErrors.join('\n  ')}`);
const failed = results.filter((result) => !result.ok);
console.log(`\n${results.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length > 0 ? 1 : 0);
