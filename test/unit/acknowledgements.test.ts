import { describe, expect, it } from 'vitest';
import { createMemoryEventLog } from '../../src/adapters/memory/event-log.js';
import { createMemorySearch } from '../../src/adapters/memory/search-index.js';
import { enrich, openComplaint, parseAcknowledgement, type Customer } from '../../src/domain/index.js';
import { ErrorCode, UnavailableError, type AppError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import type { ComplaintStore } from '../../src/ports/search.js';
import { createAcknowledgementService } from '../../src/services/acknowledgements.js';

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
});
