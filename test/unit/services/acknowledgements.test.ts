import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryEventLog } from '../../../src/adapters/memory/event-log.js';
import { createMemorySearch } from '../../../src/adapters/memory/search-index.js';
import { enrich, openComplaint, parseAcknowledgement, type Customer } from '../../../src/domain/index.js';
import { ErrorCode, UnavailableError, type AppError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/logger.js';
import type { EventLog, OutRecord } from '../../../src/ports/event-log.js';
import type { ComplaintStore } from '../../../src/ports/search.js';
import { createAcknowledgementService as create, type AcknowledgementServiceOptions } from '../../../src/services/acknowledgements.js';
import { createAcknowledgementService } from '../../../src/services/acknowledgements.js';
import { waitFor } from '../../support/wait.js';

const customer: Customer = { id: 2, firstName: 'Ruthie', lastName: 'Brockherst', email: 'r@ow.ly', gender: 'Female', clubStatus: 'platinum', comments: null, createTs: null, updateTs: null };
const complaint = openComplaint(enrich({ ratingId: 42, userId: 2, stars: 1, routeId: 1, ratingTime: 1, channel: 'web', message: 'meh' }, customer));
const TOPIC = 'acks';

async function setup(wrap: (s: ComplaintStore) => ComplaintStore = (s) => s) {
  const search = createMemorySearch();
  await search.createIfAbsent(complaint);
  const log = createMemoryEventLog();
  const service = createAcknowledgementService({ store: wrap(search), log, topic: TOPIC, logger: silentLogger });
  const published = () => log.records(TOPIC).map((r) => parseAcknowledgement(JSON.parse(String(r.value))));
  return { search, log, service, published };
}

describe('the acknowledgement service', () => {
  it('acknowledges once and publishes the acknowledgement', async () => {
    const { service, search, published } = await setup();
    const out = await service.acknowledge({ complaintId: '42', by: 'alice', via: 'graphql', note: ' on it ' });
    expect(out.kind).toBe('acknowledged');
    expect(out.complaint.acknowledgement).toMatchObject({ by: 'alice', via: 'graphql', note: 'on it' });
    expect((await search.get('42'))?.complaint.status).toBe('ACKNOWLEDGED');
    expect(published()).toEqual([{ ok: true, value: expect.objectContaining({ complaintId: '42', by: 'alice' }) }]);
  });

  it('lets the first of many concurrent acknowledgements win and tells the others who won', async () => {
    const { service, published } = await setup();
    const outs = await Promise.all(Array.from({ length: 50 }, (_, i) => service.acknowledge({ complaintId: '42', by: `agent-${i}`, via: 'graphql' })));
    const winners = outs.filter((o) => o.kind === 'acknowledged');
    expect(winners).toHaveLength(1);
    const winner = winners[0]?.complaint.acknowledgement?.by;
    for (const o of outs) expect(o.complaint.acknowledgement?.by).toBe(winner);
    expect(published()).toHaveLength(1);
  });

  it('ends heavy contention in a retriable CONFLICT, not an internal error', async () => {
    const { service } = await setup((s) => ({ ...s, get: s.get.bind(s), acknowledge: async () => 'conflict' as const }) as ComplaintStore);
    const err = (await service.acknowledge({ complaintId: '42', by: 'alice', via: 'graphql' }).catch((e: unknown) => e)) as AppError;
    expect(err.code).toBe(ErrorCode.Conflict);
    expect(err.retriable).toBe(true);
  });

  it('resolves once, acknowledging an open complaint in the same step, and publishes both to the transitions topic', async () => {
    const search = createMemorySearch();
    await search.createIfAbsent(complaint);
    const log = createMemoryEventLog();
    const service = createAcknowledgementService({ store: search, log, topic: TOPIC, transitionsTopic: 'transitions', logger: silentLogger });
    const out = await service.resolve({ complaintId: '42', by: 'alice', via: 'graphql', note: 'refunded' });
    expect(out.kind).toBe('resolved');
    expect(out.complaint).toMatchObject({ status: 'RESOLVED', resolution: { by: 'alice', note: 'refunded' }, acknowledgement: { by: 'alice' } });
    const again = await service.resolve({ complaintId: '42', by: 'bob', via: 'slack' });
    expect(again).toMatchObject({ kind: 'already_resolved', complaint: { resolution: { by: 'alice' } } });
    expect(log.records(TOPIC)).toHaveLength(1);
    expect(log.records('transitions').map((r) => (JSON.parse(String(r.value)) as { transition: string }).transition)).toEqual(['acknowledged', 'resolved']);
    expect(await service.acknowledge({ complaintId: '42', by: 'carol', via: 'graphql' })).toMatchObject({ kind: 'already_acknowledged', complaint: { acknowledgement: { by: 'alice' } } });
  });

  it('reports an unknown complaint as NOT_FOUND and a malformed id as bad input', async () => {
    const { service } = await setup();
    await expect(service.acknowledge({ complaintId: '7', by: 'a', via: 'slack' })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    await expect(service.acknowledge({ complaintId: 'x y', by: 'a', via: 'slack' })).rejects.toMatchObject({ code: ErrorCode.BadInput });
    await expect(service.acknowledge({ complaintId: '42', by: 'a', via: 'slack', note: 'n'.repeat(5000) })).rejects.toMatchObject({ code: ErrorCode.BadInput } as Partial<AppError>);
  });

  it('acknowledges a complaint raised but not indexed yet, creating it first', async () => {
    const search = createMemorySearch();
    const log = createMemoryEventLog();
    const fresh = openComplaint(enrich({ ratingId: 77, userId: 2, stars: 2, routeId: 1, ratingTime: 1, channel: 'ios', message: 'cold' }, customer));
    const service = createAcknowledgementService({ store: search, log, topic: TOPIC, logger: silentLogger, recentComplaint: (id) => (id === '77' ? fresh : null) });
    const out = await service.acknowledge({ complaintId: '77', by: 'alice', via: 'graphql' });
    expect(out.kind).toBe('acknowledged');
    expect((await search.get('77'))?.complaint).toMatchObject({ status: 'ACKNOWLEDGED', rating: { message: 'cold' } });
    // The sink's later create of the same complaint leaves the acknowledgement alone.
    await search.createIfAbsent(fresh);
    expect((await search.get('77'))?.complaint.status).toBe('ACKNOWLEDGED');
  });

  it('counts an update that was applied but answered with a timeout as its own win', async () => {
    let failed = false;
    const { service, published } = await setup((s) => ({
      ...s,
      get: (id) => s.get(id),
      createIfAbsent: (c) => s.createIfAbsent(c),
      setSlackMessage: (id, ref, v) => s.setSlackMessage(id, ref, v),
      acknowledge: async (id, ack, v) => {
        const r = await s.acknowledge(id, ack, v);
        if (!failed) {
          failed = true;
          throw new UnavailableError('request timed out');
        }
        return r;
      },
    }));
    const out = await service.acknowledge({ complaintId: '42', by: 'bob', via: 'slack' });
    expect(out.kind).toBe('acknowledged');
    expect(published()).toHaveLength(1);
  });

  describe('outbox: an acknowledgement stored but not published is published later', () => {
    const started: { stop(): Promise<void> }[] = [];
    afterEach(async () => {
      for (const s of started.splice(0)) await s.stop();
    });

    /** The memory log behind a switch: while `down`, every produce fails as with a broker outage. */
    function switchable(): { log: EventLog; published: () => string[]; setDown(d: boolean): void; produced: () => number } {
      const inner = createMemoryEventLog();
      let down = false;
      let produced = 0;
      const log = Object.assign(Object.create(inner) as EventLog, {
        produce: async (records: readonly OutRecord[]) => {
          if (down) throw new UnavailableError('broker down');
          produced += records.length;
          return inner.produce(records);
        },
      });
      return {
        log,
        published: () => inner.records(TOPIC).map((r) => String(r.key)),
        setDown: (d) => (down = d),
        produced: () => produced,
      };
    }

    async function service(over: Partial<AcknowledgementServiceOptions> = {}) {
      const search = createMemorySearch();
      await search.createIfAbsent(complaint);
      const sw = switchable();
      let clock = Date.parse('2024-01-01T00:00:00.000Z');
      const s = create({ store: search, log: sw.log, topic: TOPIC, logger: silentLogger, publishAttempts: 1, now: () => new Date(clock), ...over });
      started.push(s);
      return { search, s, ...sw, advance: (ms: number) => (clock += ms) };
    }

    it('answers acknowledged when the publish failed, and publishes on the next call that finds it unpublished', async () => {
      const { s, search, published, setDown } = await service();
      setDown(true);
      const first = await s.acknowledge({ complaintId: '42', by: 'alice', via: 'graphql' });
      expect(first.kind).toBe('acknowledged');
      expect(published()).toEqual([]);
      expect((await search.get('42'))?.acknowledgementPublished).toBe(false);
      setDown(false);
      // A retry (or anybody else) learns who won, and the acknowledgement is published now.
      const retried = await s.acknowledge({ complaintId: '42', by: 'alice', via: 'graphql' });
      expect(retried.kind).toBe('already_acknowledged');
      expect(retried.complaint.acknowledgement?.at).toBe(first.complaint.acknowledgement?.at);
      expect(published()).toEqual(['42']);
      expect((await search.get('42'))?.acknowledgementPublished).toBe(true);
      await s.acknowledge({ complaintId: '42', by: 'bob', via: 'slack' });
      expect(published()).toEqual(['42']);
    });

    it('sweeps acknowledgements a crashed process stored but never published, once they are old enough', async () => {
      const { s, search, published, advance } = await service({ sweepMinAgeMs: 5_000 });
      // What a process that died right after the update leaves behind.
      const v = (await search.get('42'))!.version;
      const ack = { complaintId: '42', by: 'alice', byName: null, at: '2024-01-01T00:00:00.000Z', via: 'slack' as const, note: null };
      expect(await search.acknowledge('42', ack, v)).toBe('ok');
      expect(await s.sweep()).toBe(0); // too young: maybe still being published by its own call
      advance(6_000);
      expect(await s.sweep()).toBe(1);
      expect(published()).toEqual(['42']);
      expect((await search.get('42'))?.acknowledgementPublished).toBe(true);
      expect(await s.sweep()).toBe(0);
      expect(published()).toEqual(['42']);
    });

    it('runs the sweeper on an interval between start() and stop()', async () => {
      // The interval is fake: only the test moves it, so "no sweep after stop" is exact.
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      try {
        const { s, search, published, setDown, produced, advance } = await service({ sweepIntervalMs: 5, sweepMinAgeMs: 0 });
        setDown(true);
        await s.acknowledge({ complaintId: '42', by: 'alice', via: 'graphql' });
        advance(1);
        expect((await search.get('42'))?.acknowledgementPublished).toBe(false);
        setDown(false);
        const sweeps = vi.spyOn(search, 'unpublishedAcknowledgements');
        s.start();
        s.start(); // idempotent
        expect(vi.getTimerCount()).toBe(1);
        expect(sweeps).not.toHaveBeenCalled();
        await vi.advanceTimersByTimeAsync(5);
        await waitFor(() => published().length > 0, 'the sweeper to publish');
        expect(published()).toEqual(['42']);
        const running = sweeps.mock.calls.length;
        expect(running).toBeGreaterThanOrEqual(1);
        await vi.advanceTimersByTimeAsync(5);
        expect(sweeps.mock.calls.length).toBeGreaterThan(running);
        await s.stop();
        await s.stop();
        expect(vi.getTimerCount()).toBe(0);
        const v = (await search.get('42'))!;
        expect(v.acknowledgementPublished).toBe(true);
        const count = produced();
        const after = sweeps.mock.calls.length;
        await vi.advanceTimersByTimeAsync(1_000); // 200 intervals, had it kept running
        expect(sweeps.mock.calls.length).toBe(after);
        expect(produced()).toBe(count);
      } finally {
        vi.useRealTimers();
      }
    });

    it('publishes once when many callers and the sweeper find the same unpublished acknowledgement together', async () => {
      const { s, search, published, setDown, advance } = await service({ sweepMinAgeMs: 0 });
      setDown(true);
      await s.acknowledge({ complaintId: '42', by: 'alice', via: 'graphql' });
      setDown(false);
      advance(1);
      const outs = await Promise.all([...Array.from({ length: 10 }, (_, i) => s.acknowledge({ complaintId: '42', by: `agent-${i}`, via: 'graphql' })), s.sweep()]);
      expect(outs.slice(0, 10).every((o) => typeof o === 'object' && o.kind === 'already_acknowledged')).toBe(true);
      expect(published()).toEqual(['42']);
      expect((await search.get('42'))?.acknowledgementPublished).toBe(true);
    });
  });
});
