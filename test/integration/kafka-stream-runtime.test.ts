import { afterAll, describe, expect, it } from 'vitest';
import { createKafkaPipelineStatusSource, STATUS_RETENTION_MS } from '../../stream/runtime/status-topic.js';
import { createKafkaStreamRuntime, type KafkaStreamRuntime } from '../../stream/runtime/kafka-runtime.js';
import { silentLogger } from '../../src/logger.js';
import type { EventLog } from '../../src/ports/event-log.js';
import type { ProcessorDefinition } from '../../src/ports/stream-runtime.js';
import { collect, deferred, eventually, text } from '../contract/helpers.js';
import { streamRuntimeContract } from '../contract/stream-runtime.contract.js';
import { uniqueName } from '../support/infra.js';
import { kafkaTestLog } from './kafka-stream-support.js';

streamRuntimeContract('kafka', async () => {
  const log = kafkaTestLog();
  return {
    log,
    runtime: async (groupPrefix) => createKafkaStreamRuntime({ log, groupPrefix, statusIntervalMs: 0, retryInitialDelayMs: 50, logger: silentLogger }),
    name: (prefix) => uniqueName(prefix),
    close: () => log.close(),
  };
});

/** Sum of end offsets: records plus transaction markers plus aborted records. */
async function rawEnd(log: EventLog, topic: string): Promise<number> {
  return (await log.offsets(topic)).reduce((s, o) => s + Number(o.high), 0);
}

const copy = (input: string, out: string): ProcessorDefinition => ({
  name: 'copy',
  sources: [input],
  sinks: [out],
  process: (r) => ({ kind: 'done', emit: [{ topic: out, key: r.key, value: r.value }] }),
});

describe('Kafka stream runtime', () => {
  const log = kafkaTestLog(6_000);
  const runtimes: KafkaStreamRuntime[] = [];
  afterAll(async () => {
    await Promise.all(runtimes.map((r) => r.close()));
    await log.close();
  });
  const runtime = (o: Partial<Parameters<typeof createKafkaStreamRuntime>[0]> = {}): KafkaStreamRuntime => {
    const r = createKafkaStreamRuntime({ log, groupPrefix: uniqueName('app'), statusIntervalMs: 0, retryInitialDelayMs: 50, logger: silentLogger, ...o });
    runtimes.push(r);
    return r;
  };
  async function topics(n = 2): Promise<string[]> {
    const ts = Array.from({ length: n }, (_, i) => uniqueName(`t${i}`));
    await log.ensureTopics(ts.map((name) => ({ name, partitions: 2 })));
    return ts;
  }

  it('aborts a transaction that fails after its records were sent, so readers see them once', async () => {
    const [input, out] = await topics();
    let failed = 0;
    const rt = runtime({
      beforeCommit: () => {
        if (failed++ === 0) throw new Error('commit refused once');
      },
    });
    await log.produce(Array.from({ length: 40 }, (_, i) => ({ topic: input!, key: `k${i}`, value: `v${i}` })));
    await rt.run(copy(input!, out!));
    const c = await collect(log, out!);
    await c.atLeast(40);
    await eventually(async () => (await rt.status())[0]?.consumerLag === 0, 'committed');
    await c.stop();
    expect(c.records).toHaveLength(40);
    expect(new Set(c.records.map((r) => text(r.value))).size).toBe(40);
    // The aborted attempt's records are in the log, invisible to read_committed readers.
    expect(await rawEnd(log, out!)).toBeGreaterThan(40);
  });

  it('fences a zombie: a member that lost its partitions cannot commit over the new owner', async () => {
    const [input, out] = await topics();
    const prefix = uniqueName('zombie');
    const held = deferred();
    const release = deferred();
    let holding = true;
    const zombie = runtime({
      groupPrefix: prefix,
      partitionsConsumedConcurrently: 2,
      beforeCommit: async () => {
        if (!holding) return;
        held.resolve();
        // Stuck (a long GC pause, a hung call): no heartbeats, the group moves on without it.
        await release.promise;
      },
    });
    await log.produce(Array.from({ length: 20 }, (_, i) => ({ topic: input!, key: `k${i}`, value: `v${i}` })));
    await zombie.run(copy(input!, out!));
    await held.promise;
    const successor = runtime({ groupPrefix: prefix });
    await successor.run(copy(input!, out!));
    const c = await collect(log, out!);
    await c.atLeast(20, 60_000);
    // Now wake the zombie: its transaction was aborted by the successor's InitProducerId; its commit must fail.
    holding = false;
    release.resolve();
    await log.produce(Array.from({ length: 10 }, (_, i) => ({ topic: input!, key: `k${i}`, value: `w${i}` })));
    await c.atLeast(30, 60_000);
    await eventually(async () => (await successor.status())[0]?.consumerLag === 0, 'all committed', 60_000);
    await c.stop();
    const values = c.records.map((r) => text(r.value));
    expect(values).toHaveLength(30);
    expect(new Set(values).size).toBe(30);
  }, 90_000);

  it('runs at-least-once without transactions when exactly-once is off', async () => {
    const [input, out] = await topics();
    const rt = runtime({ exactlyOnce: false });
    expect(rt.exactlyOnce).toBe(false);
    await log.produce(Array.from({ length: 30 }, (_, i) => ({ topic: input!, key: `k${i}`, value: `v${i}` })));
    await rt.run(copy(input!, out!));
    const c = await collect(log, out!);
    await c.atLeast(30);
    await eventually(async () => (await rt.status())[0]?.consumerLag === 0, 'committed');
    await c.stop();
    expect(new Set(c.records.map((r) => text(r.value))).size).toBe(30);
    // No transaction markers: the end offsets count the records alone.
    expect(await rawEnd(log, out!)).toBe(30);
  });

  it('publishes processor status that another process reads, with live lag, and STOPPED after close', async () => {
    const [input, out] = await topics();
    const statusTopic = uniqueName('status');
    const rt = runtime({ statusTopic, statusIntervalMs: 200, instanceId: 'instance-a' });
    await log.produce(Array.from({ length: 25 }, (_, i) => ({ topic: input!, key: `k${i}`, value: `v${i}` })));
    await rt.run(copy(input!, out!));
    const apiLog = kafkaTestLog();
    const source = createKafkaPipelineStatusSource({ log: apiLog, topic: statusTopic });
    try {
      const s = await eventually(
        async () => {
          const [x] = await source.status();
          return x && x.totalMessages === 25 && x.consumerLag === 0 ? x : null;
        },
        'the status of 25 processed records',
        30_000,
      );
      expect(s).toMatchObject({ name: 'copy', sources: [input], sinks: [out], state: 'RUNNING', instances: 1, failedMessages: 0, consumerGroup: rt.groupId('copy') });
      expect(s.lastMessageTime).not.toBeNull();
      await rt.close();
      await eventually(async () => (await source.status())[0]?.state === 'STOPPED', 'STOPPED', 30_000);
    } finally {
      await source.stop();
      await apiLog.close();
    }
  });

  it('tombstones its instance key on close, leaving one STOPPED last word per processor, in a compact,delete status topic', async () => {
    const [input, out] = await topics();
    const statusTopic = uniqueName('status');
    const rt = runtime({ statusTopic, statusIntervalMs: 100, instanceId: 'instance-b' });
    await log.produce(Array.from({ length: 5 }, (_, i) => ({ topic: input!, key: `k${i}`, value: `v${i}` })));
    await rt.run(copy(input!, out!));
    // The runtime creates the topic with its first report (listTopics, unlike a metadata request, never auto-creates it).
    const admin = await log.admin();
    await eventually(async () => (await admin.listTopics()).includes(statusTopic), 'the status topic');
    const raw = await collect(log, statusTopic);
    await eventually(() => raw.records.some((r) => text(r.key) === 'copy@instance-b'), 'a report under the instance key');
    await rt.close();
    await eventually(() => raw.records.some((r) => text(r.key) === 'copy@instance-b' && r.value === null), 'the instance key tombstoned', 30_000);
    await raw.stop();
    const lastOf = (key: string) => raw.records.filter((r) => text(r.key) === key).at(-1);
    expect(lastOf('copy@instance-b')?.value).toBeNull();
    expect(JSON.parse(text(lastOf('copy')!.value)!)).toMatchObject({ name: 'copy', instance: 'instance-b', state: 'STOPPED', totalMessages: 5 });

    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: statusTopic, configNames: ['cleanup.policy', 'retention.ms'] }] });
    const config = Object.fromEntries(resources[0]!.configEntries.map((c) => [c.configName, c.configValue]));
    expect(config).toEqual({ 'cleanup.policy': 'compact,delete', 'retention.ms': String(STATUS_RETENTION_MS) });
  });

  it('commits past a trailing transaction marker left after a restart, so the lag reaches 0 with no more data', async () => {
    const input = uniqueName('markers');
    const out = uniqueName('out');
    await log.ensureTopics([
      { name: input, partitions: 1 },
      { name: out, partitions: 1 },
    ]);
    // A transactional input: 3 records, then the commit marker at offset 3.
    const producer = log.client.producer({ transactionalId: uniqueName('writer'), idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const tx = await producer.transaction();
    await tx.send({ topic: input, messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
    await tx.commit();
    await producer.disconnect();
    await eventually(async () => (await log.offsets(input))[0]?.high === '4', 'the marker written');
    // The group committed the records but not the marker (as when it restarted before the marker's fetch).
    const prefix = uniqueName('resume');
    const admin = await log.admin();
    await admin.setOffsets({ groupId: `${prefix}-copy`, topic: input, partitions: [{ partition: 0, offset: '3' }] });
    const rt = runtime({ groupPrefix: prefix });
    await rt.run(copy(input, out));
    await eventually(async () => (await rt.status())[0]?.consumerLag === 0, 'lag 0 past the trailing marker', 20_000, 100);
    const committed = await admin.fetchOffsets({ groupId: `${prefix}-copy`, topics: [input] });
    expect(committed[0]?.partitions[0]?.offset).toBe('4');
    expect(await rawEnd(log, out)).toBe(0); // nothing re-emitted
  });
});
