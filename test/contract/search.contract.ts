/**
 * The contract of the search ports (SearchIndex, SearchWriter, ComplaintStore),
 * run against every adapter: test/unit/adapters/memory/search-index.test.ts (in memory) and
 * test/integration/elasticsearch-search.test.ts (real Elasticsearch).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AckVia, ComplaintStatus, openComplaint, type Acknowledgement, type Customer, type EnrichedRating } from '../../src/domain/index.js';
import { BadInputError } from '../../src/errors.js';
import type { ComplaintStore, RatingFilter, RatingSort, SearchIndex, SearchWriter } from '../../src/ports/search.js';

export interface SearchFixture {
  readonly index: SearchIndex;
  readonly writer: SearchWriter;
  readonly store: ComplaintStore;
  /** Makes writes visible to search. */
  refresh(): Promise<void>;
  /** Deletes what the fixture created. */
  cleanup?(): Promise<void>;
}

export type SearchFactory = () => Promise<SearchFixture>;

const T0 = Date.UTC(2018, 5, 12, 10, 0, 0);
const MIN = 60_000;

export function customer(id: number, clubStatus: string | null = 'bronze', extra: Partial<Customer> = {}): Customer {
  return {
    id,
    firstName: `First${id}`,
    lastName: `Last${id}`,
    email: `c${id}@example.com`,
    gender: 'Female',
    clubStatus,
    comments: null,
    createTs: null,
    updateTs: null,
    ...extra,
  };
}

export function rating(ratingId: number, extra: Partial<EnrichedRating> = {}): EnrichedRating {
  return {
    ratingId,
    userId: 1,
    stars: 3,
    routeId: 100,
    ratingTime: T0 + ratingId * MIN,
    channel: 'web',
    message: `message ${ratingId}`,
    customer: customer(extra.customer?.id ?? 1),
    ...extra,
  };
}

const ack = (complaintId: string, by = 'alice'): Acknowledgement => ({
  complaintId,
  by,
  byName: by === 'alice' ? 'Alice' : null,
  at: '2018-06-12T11:00:00.000Z',
  via: AckVia.GraphQL,
  note: 'on it',
});

/** A small, varied set: ties in time, mixed channel spellings, a customer without status. */
const DATA: readonly EnrichedRating[] = [
  rating(1, { stars: 1, channel: 'iOS', message: 'Surprisingly good, maybe you are getting your mojo back', customer: customer(1, 'platinum') }),
  rating(2, { stars: 5, channel: 'ios', message: 'thank you for the most friendly, helpful experience today at your new lounge', customer: customer(2, 'gold') }),
  rating(3, { stars: 2, channel: 'iOS-test', message: 'why is it so difficult to keep the bathrooms clean ?', customer: customer(3, 'platinum') }),
  rating(4, { stars: 4, channel: 'android', message: 'meh', customer: customer(4, 'silver') }),
  rating(5, { stars: 3, channel: 'web', message: 'Exceeded all my expectations. Thank you !', customer: customer(1, 'platinum') }),
  // Same time as 5: only the tiebreaker orders them.
  rating(6, { stars: 3, channel: 'WEB', message: 'your team here rocks!', ratingTime: T0 + 5 * MIN, customer: customer(5, null) }),
  rating(7, { stars: 1, channel: 'android', message: 'more peanuts please', ratingTime: T0 + 5 * MIN, customer: customer(2, 'gold') }),
  rating(8, { stars: 5, channel: 'web', message: "Don't keep the bathrooms clean, keep them spotless", ratingTime: T0 + 120 * MIN, customer: customer(3, 'platinum') }),
];

export function searchContract(name: string, factory: SearchFactory): void {
  describe(`search ports contract: ${name}`, () => {
    let f: SearchFixture;

    beforeEach(async () => {
      f = await factory();
      await f.writer.ensureIndices();
    });
    afterEach(async () => {
      await f.cleanup?.();
    });

    async function load(data: readonly EnrichedRating[] = DATA): Promise<void> {
      const results = await f.writer.write(data.map((r) => ({ kind: 'upsertRating', rating: r })));
      expect(results).toEqual(data.map(() => ({ ok: true })));
      await f.refresh();
    }

    async function ids(filter?: RatingFilter, sort?: RatingSort): Promise<number[]> {
      const page = await f.index.searchRatings({ filter, sort, first: 100 });
      expect(page.totalCount).toBe(page.edges.length);
      return page.edges.map((e) => e.node.ratingId);
    }

    it('is reachable', async () => {
      expect(await f.index.ping()).toBe(true);
    });

    it('answers empty pages and no buckets before anything was written', async () => {
      const page = await f.index.searchRatings({ first: 10 });
      expect(page).toEqual({ edges: [], totalCount: 0, hasNextPage: false });
      expect(await f.index.ratingStats(undefined, 'CHANNEL')).toEqual([]);
      expect(await f.index.getRating('1')).toBeNull();
      expect(await f.index.getCustomersByIds([1, 2])).toEqual([null, null]);
      expect(await f.index.searchComplaints({ first: 5 })).toEqual({ edges: [], totalCount: 0, hasNextPage: false });
    });

    it('stores a rating by rating id and returns it as written', async () => {
      await load();
      expect(await f.index.getRating('3')).toEqual(DATA[2]);
      expect(await f.index.getRating('999')).toBeNull();
    });

    it('rewrites the same document when a rating is written again (idempotent replay)', async () => {
      await load();
      await load();
      const changed = { ...DATA[0]!, message: 'edited' };
      await load([changed]);
      const page = await f.index.searchRatings({ first: 100 });
      expect(page.totalCount).toBe(DATA.length);
      expect(await f.index.getRating('1')).toEqual(changed);
    });

    describe('filters', () => {
      beforeEach(() => load());

      it('filters by a stars range, both ends inclusive', async () => {
        expect(new Set(await ids({ starsMin: 2, starsMax: 3 }))).toEqual(new Set([3, 5, 6]));
        expect(new Set(await ids({ starsMax: 1 }))).toEqual(new Set([1, 7]));
        expect(new Set(await ids({ starsMin: 5 }))).toEqual(new Set([2, 8]));
      });

      it('matches channels case-insensitively, but only whole channels', async () => {
        expect(new Set(await ids({ channels: ['IOS'] }))).toEqual(new Set([1, 2]));
        expect(new Set(await ids({ channels: ['ios-TEST', 'Web'] }))).toEqual(new Set([3, 5, 6, 8]));
      });

      it('treats an empty list as no filter', async () => {
        expect(await ids({ channels: [], clubStatuses: [] })).toHaveLength(DATA.length);
      });

      it('filters by club statuses (case-insensitively) and by customer', async () => {
        expect(new Set(await ids({ clubStatuses: ['Platinum'] }))).toEqual(new Set([1, 3, 5, 8]));
        expect(new Set(await ids({ clubStatuses: ['gold', 'silver'] }))).toEqual(new Set([2, 4, 7]));
        expect(new Set(await ids({ customerId: 2 }))).toEqual(new Set([2, 7]));
        expect(await ids({ customerId: 42 })).toEqual([]);
      });

      it('matches every word of the text in the message, ignoring case and punctuation', async () => {
        expect(new Set(await ids({ text: 'bathrooms clean' }))).toEqual(new Set([3, 8]));
        expect(await ids({ text: 'THANK you!' })).toHaveLength(2);
        expect(await ids({ text: 'bathrooms peanuts' })).toEqual([]);
        expect(await ids({ text: "don't" })).toEqual([8]);
        expect(await ids({ text: '   ' })).toHaveLength(DATA.length);
      });

      it('filters by a time range, from inclusive and to exclusive', async () => {
        expect(new Set(await ids({ from: T0 + 2 * MIN, to: T0 + 5 * MIN }))).toEqual(new Set([2, 3, 4]));
        expect(new Set(await ids({ from: T0 + 5 * MIN, to: T0 + 5 * MIN + 1 }))).toEqual(new Set([5, 6, 7]));
        expect(await ids({ from: T0 + 121 * MIN })).toEqual([]);
      });

      it('combines filters with AND', async () => {
        expect(await ids({ clubStatuses: ['platinum'], starsMax: 2, channels: ['ios'] })).toEqual([1]);
      });
    });

    describe('sorting and pagination', () => {
      beforeEach(() => load());

      it('sorts newest first by default, ties broken by rating id', async () => {
        expect(await ids()).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
        expect(await ids(undefined, 'NEWEST')).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
        expect(await ids(undefined, 'OLDEST')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      });

      it('sorts by stars, newest first among equal stars', async () => {
        expect(await ids(undefined, 'STARS_ASC')).toEqual([7, 1, 3, 6, 5, 4, 8, 2]);
        expect(await ids(undefined, 'STARS_DESC')).toEqual([8, 2, 4, 6, 5, 3, 7, 1]);
      });

      for (const sort of ['NEWEST', 'OLDEST', 'STARS_ASC', 'STARS_DESC'] as const) {
        it(`walks every page of ${sort} with cursors, no item skipped or repeated`, async () => {
          const expected = await ids(undefined, sort);
          const seen: number[] = [];
          let after: string | null = null;
          for (let pages = 0; pages < 10; pages++) {
            const page = await f.index.searchRatings({ sort, first: 3, after });
            expect(page.totalCount).toBe(DATA.length);
            seen.push(...page.edges.map((e) => e.node.ratingId));
            if (!page.hasNextPage) break;
            after = page.edges.at(-1)!.cursor;
          }
          expect(seen).toEqual(expected);
        });
      }

      it('continues after any edge cursor and tells whether more follow', async () => {
        const all = await f.index.searchRatings({ first: 8 });
        expect(all.hasNextPage).toBe(false);
        const page = await f.index.searchRatings({ first: 2, after: all.edges[2]!.cursor });
        expect(page.edges.map((e) => e.node.ratingId)).toEqual([5, 4]);
        expect(page.hasNextPage).toBe(true);
        const last = await f.index.searchRatings({ first: 2, after: all.edges[7]!.cursor });
        expect(last).toEqual({ edges: [], totalCount: 8, hasNextPage: false });
      });

      it('counts every match in totalCount while returning first of them', async () => {
        const page = await f.index.searchRatings({ filter: { starsMin: 3 }, first: 1 });
        expect(page.totalCount).toBe(5);
        expect(page.edges).toHaveLength(1);
        expect(page.hasNextPage).toBe(true);
        const none = await f.index.searchRatings({ first: 0 });
        expect(none).toMatchObject({ edges: [], totalCount: 8, hasNextPage: true });
      });

      it('answers several searches in one call, each as searchRatings would, a bad one failing alone', async () => {
        expect(await f.index.searchRatingsMany([])).toEqual([]);
        const queries = [
          { filter: { customerId: 1 }, sort: 'NEWEST' as const, first: 1 },
          { filter: { customerId: 2 }, sort: 'OLDEST' as const, first: 5 },
          { filter: { customerId: 99 }, first: 3 },
          { filter: { channels: ['ios'] }, sort: 'STARS_ASC' as const, first: 2 },
        ];
        const single = await Promise.all(queries.map((q) => f.index.searchRatings(q)));
        expect(await f.index.searchRatingsMany(queries)).toEqual(single);
        const next = await f.index.searchRatingsMany([{ ...queries[0]!, after: single[0]!.edges[0]!.cursor }]);
        expect(next).toEqual([await f.index.searchRatings({ ...queries[0]!, after: single[0]!.edges[0]!.cursor })]);
        const mixed = await f.index.searchRatingsMany([queries[1]!, { first: 1, after: 'not a cursor!' }, { first: 100_000 }, queries[0]!]);
        expect(mixed[0]).toEqual(single[1]);
        expect(mixed[1]).toBeInstanceOf(BadInputError);
        expect(mixed[2]).toBeInstanceOf(BadInputError);
        expect(mixed[3]).toEqual(single[0]);
      });

      it('rejects a malformed cursor, a cursor of another sort and a bad page size with BadInputError', async () => {
        const page = await f.index.searchRatings({ sort: 'NEWEST', first: 1 });
        const cursor = page.edges[0]!.cursor;
        await expect(f.index.searchRatings({ first: 1, after: 'not a cursor!' })).rejects.toBeInstanceOf(BadInputError);
        await expect(f.index.searchRatings({ first: 1, after: Buffer.from('{"a":1}').toString('base64url') })).rejects.toBeInstanceOf(BadInputError);
        await expect(f.index.searchRatings({ first: 1, after: Buffer.from('["NEWEST",1,"x"]').toString('base64url') })).rejects.toBeInstanceOf(BadInputError);
        await expect(f.index.searchRatings({ sort: 'STARS_ASC', first: 1, after: cursor })).rejects.toBeInstanceOf(BadInputError);
        await expect(f.index.searchComplaints({ first: 1, after: cursor })).rejects.toBeInstanceOf(BadInputError);
        await expect(f.index.searchRatings({ first: -1 })).rejects.toBeInstanceOf(BadInputError);
        await expect(f.index.searchRatings({ first: 1.5 })).rejects.toBeInstanceOf(BadInputError);
        await expect(f.index.searchRatings({ first: 100_000 })).rejects.toBeInstanceOf(BadInputError);
      });
    });

    describe('aggregations', () => {
      beforeEach(() => load());

      it('counts and averages stars per club status, most ratings first, a missing status as unknown', async () => {
        expect(await f.index.ratingStats(undefined, 'CLUB_STATUS')).toEqual([
          { key: 'platinum', count: 4, averageStars: (1 + 2 + 3 + 5) / 4 },
          { key: 'gold', count: 2, averageStars: 3 },
          { key: 'silver', count: 1, averageStars: 4 },
          { key: 'unknown', count: 1, averageStars: 3 },
        ]);
      });

      it('groups channels by family (iOS, ios and iOS-test are ios)', async () => {
        expect(await f.index.ratingStats(undefined, 'CHANNEL')).toEqual([
          { key: 'ios', count: 3, averageStars: (1 + 5 + 2) / 3 },
          { key: 'web', count: 3, averageStars: (3 + 3 + 5) / 3 },
          { key: 'android', count: 2, averageStars: 2.5 },
        ]);
      });

      it('groups by stars in star order, within the filter', async () => {
        expect(await f.index.ratingStats({ clubStatuses: ['platinum'] }, 'STARS')).toEqual([
          { key: '1', count: 1, averageStars: 1 },
          { key: '2', count: 1, averageStars: 2 },
          { key: '3', count: 1, averageStars: 3 },
          { key: '5', count: 1, averageStars: 5 },
        ]);
      });

      it('builds a histogram of epoch-aligned buckets, leaving out empty ones', async () => {
        const hourly = await f.index.ratingHistogram(undefined, 'HOUR');
        expect(hourly).toEqual([
          { start: T0, count: 7, averageStars: (1 + 5 + 2 + 4 + 3 + 3 + 1) / 7 },
          { start: T0 + 120 * MIN, count: 1, averageStars: 5 },
        ]);
        const minutes = await f.index.ratingHistogram({ starsMin: 3, to: T0 + 6 * MIN }, 'MINUTE');
        expect(minutes).toEqual([
          { start: T0 + 2 * MIN, count: 1, averageStars: 5 },
          { start: T0 + 4 * MIN, count: 1, averageStars: 4 },
          { start: T0 + 5 * MIN, count: 2, averageStars: 3 },
        ]);
        const daily = await f.index.ratingHistogram({ customerId: 3 }, 'DAY');
        expect(daily).toEqual([{ start: Date.UTC(2018, 5, 12), count: 2, averageStars: 3.5 }]);
      });
    });

    describe('customers', () => {
      it('upserts, looks up many in order and deletes customers', async () => {
        const results = await f.writer.write([
          { kind: 'upsertCustomer', customer: customer(1, 'platinum', { comments: 'VIP', createTs: '2018-06-12T10:00:00Z' }) },
          { kind: 'upsertCustomer', customer: customer(2, 'gold') },
          { kind: 'upsertCustomer', customer: customer(2, 'silver') },
          { kind: 'deleteCustomer', id: 77 },
        ]);
        expect(results).toEqual([{ ok: true }, { ok: true }, { ok: true }, { ok: true }]);
        expect(await f.index.getCustomer(1)).toEqual(customer(1, 'platinum', { comments: 'VIP', createTs: '2018-06-12T10:00:00Z' }));
        expect(await f.index.getCustomersByIds([2, 3, 1, 2])).toEqual([
          customer(2, 'silver'),
          null,
          customer(1, 'platinum', { comments: 'VIP', createTs: '2018-06-12T10:00:00Z' }),
          customer(2, 'silver'),
        ]);
        expect(await f.index.getCustomersByIds([])).toEqual([]);
        await f.writer.write([{ kind: 'deleteCustomer', id: 2 }]);
        expect(await f.index.getCustomer(2)).toBeNull();
      });
    });

    describe('complaints', () => {
      const c1 = openComplaint(DATA[0]!);
      const c3 = openComplaint(DATA[2]!);
      const c8 = openComplaint(DATA[7]!);

      async function raise(): Promise<void> {
        const results = await f.writer.write([c1, c3, c8].map((complaint) => ({ kind: 'createComplaint', complaint })));
        expect(results).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
        await f.refresh();
      }

      it('creates a complaint once, keyed by rating id', async () => {
        await raise();
        expect(await f.index.getComplaint('1')).toEqual(c1);
        expect(await f.index.getComplaintsByIds(['8', '2', '3'])).toEqual([c8, null, c3]);
        expect(await f.index.getComplaintsByIds([])).toEqual([]);
      });

      it('never resets an acknowledged complaint when it is raised again (replay)', async () => {
        await raise();
        const current = await f.store.get('1');
        expect(await f.store.acknowledge('1', ack('1'), current!.version)).toBe('ok');
        await raise();
        await f.store.createIfAbsent(c1);
        const after = await f.index.getComplaint('1');
        expect(after?.status).toBe(ComplaintStatus.Acknowledged);
        expect(after?.acknowledgement).toEqual(ack('1'));
      });

      it('lists complaints newest first, by status, with cursors', async () => {
        await raise();
        const v = await f.store.get('3');
        await f.store.acknowledge('3', ack('3'), v!.version);
        await f.refresh();
        const all = await f.index.searchComplaints({ first: 2 });
        expect(all.totalCount).toBe(3);
        expect(all.edges.map((e) => e.node.id)).toEqual(['8', '3']);
        expect(all.hasNextPage).toBe(true);
        const rest = await f.index.searchComplaints({ first: 2, after: all.edges[1]!.cursor });
        expect(rest.edges.map((e) => e.node.id)).toEqual(['1']);
        expect(rest.hasNextPage).toBe(false);
        const open = await f.index.searchComplaints({ status: ComplaintStatus.Open, first: 10 });
        expect(open.edges.map((e) => e.node.id)).toEqual(['8', '1']);
        const acked = await f.index.searchComplaints({ status: ComplaintStatus.Acknowledged, first: 10 });
        expect(acked.edges.map((e) => e.node)).toEqual([{ ...c3, status: ComplaintStatus.Acknowledged, acknowledgement: ack('3') }]);
      });
    });

    describe('complaint lifecycle', () => {
      const open = (id: number): ReturnType<typeof openComplaint> => openComplaint(rating(id, { stars: 1, customer: customer(9, 'platinum') }));
      const at = (id: number, afterMs: number): string => new Date(T0 + id * MIN + afterMs).toISOString();
      const by = (complaintId: string, who: string, when: string): Acknowledgement => ({ complaintId, by: who, byName: null, at: when, via: AckVia.GraphQL, note: 'called back' });

      it('lets the first resolution win, acknowledging an OPEN complaint in the same update, and keeps it unpublished until marked', async () => {
        await f.store.createIfAbsent(open(50));
        const v = (await f.store.get('50'))!.version;
        const r = by('50', 'alice', at(50, 60_000));
        expect(await f.store.resolve('50', r, v, { raisedAt: T0 + 50 * MIN, acknowledge: r })).toBe('ok');
        expect(await f.store.resolve('50', by('50', 'bob', at(50, 90_000)), v)).toBe('conflict');
        const got = (await f.store.get('50'))!;
        expect(got.complaint.status).toBe(ComplaintStatus.Resolved);
        expect(got.complaint.resolution).toEqual(r);
        expect(got.complaint.acknowledgement).toEqual(r);
        expect(got.resolutionPublished).toBe(false);
        expect(got.acknowledgementPublished).toBe(false);
        await f.refresh();
        expect(await f.store.unpublishedResolutions({ resolvedBefore: at(50, 120_000), limit: 10 })).toEqual([r]);
        expect(await f.store.unpublishedAcknowledgements({ acknowledgedBefore: at(50, 120_000), limit: 10 })).toEqual([r]);
        await f.store.markResolutionPublished('50');
        await f.refresh();
        expect(await f.store.unpublishedResolutions({ resolvedBefore: at(50, 120_000), limit: 10 })).toEqual([]);
        expect((await f.store.get('50'))!.resolutionPublished).toBe(true);
      });

      it('finds the complaints whose reminder is due, most overdue first; an acknowledgement or a stale version stops one', async () => {
        for (const id of [60, 61, 62, 63]) await f.store.createIfAbsent(open(id));
        const schedule = async (id: string, nextAt: string | null): Promise<void> => {
          const v = (await f.store.get(id))!.version;
          expect(await f.store.setSlackMessage(id, { channel: 'C1', ts: `1.${id}` }, v, { nextReminderAt: nextAt })).toBe('ok');
        };
        await schedule('60', '2018-06-12T12:00:00.000Z');
        await schedule('61', '2018-06-12T11:00:00.000Z');
        await schedule('62', '2018-06-12T13:00:00.000Z');
        await schedule('63', null);
        await f.refresh();
        expect(await f.store.dueReminders({ now: '2018-06-12T12:00:00.000Z', limit: 10 })).toEqual(['61', '60']);
        expect(await f.store.dueReminders({ now: '2018-06-12T14:00:00.000Z', limit: 2 })).toEqual(['61', '60']);

        const v = (await f.store.get('61'))!.version;
        expect(await f.store.updateReminders('61', { claim: 'one:1:5', sent: 0 }, v)).toBe('ok');
        expect(await f.store.updateReminders('61', { claim: 'two:1:6' }, v)).toBe('conflict');
        const claimed = (await f.store.get('61'))!;
        expect(claimed.complaint.reminders).toEqual({ sent: 0, nextAt: '2018-06-12T11:00:00.000Z', claim: 'one:1:5', escalatedAt: null, escalationMessage: null, snoozedUntil: null });
        expect(
          await f.store.updateReminders(
            '61',
            { claim: null, sent: 1, nextAt: '2018-06-12T15:00:00.000Z', escalationMessage: { channel: 'C2', ts: '2.1' }, escalatedAt: '2018-06-12T11:01:00.000Z' },
            claimed.version,
          ),
        ).toBe('ok');
        expect((await f.store.get('61'))!.complaint.reminders).toEqual({
          sent: 1,
          nextAt: '2018-06-12T15:00:00.000Z',
          claim: null,
          escalatedAt: '2018-06-12T11:01:00.000Z',
          escalationMessage: { channel: 'C2', ts: '2.1' },
          snoozedUntil: null,
        });

        const v60 = (await f.store.get('60'))!.version;
        expect(await f.store.acknowledge('60', ack('60'), v60)).toBe('ok');
        expect((await f.store.get('60'))!.complaint.reminders?.nextAt ?? null).toBeNull();
        await f.refresh();
        expect(await f.store.dueReminders({ now: '2018-06-12T14:00:00.000Z', limit: 10 })).toEqual(['62']);
        expect(await f.store.updateReminders('99', { claim: null }, v60)).toBe('not_found');
      });

      it('counts complaints per day with the median and 90th percentile times to acknowledge and to resolve', async () => {
        const ids = [100, 101, 102, 103, 104];
        for (const [i, id] of ids.entries()) {
          await f.store.createIfAbsent(open(id));
          const v = (await f.store.get(String(id)))!.version;
          expect(await f.store.acknowledge(String(id), by(String(id), 'alice', at(id, (i + 1) * 10_000)), v, { raisedAt: T0 + id * MIN })).toBe('ok');
        }
        const v = (await f.store.get('104'))!.version;
        expect(await f.store.resolve('104', by('104', 'alice', at(104, 120_000)), v, { raisedAt: T0 + 104 * MIN })).toBe('ok');
        await f.store.createIfAbsent(open(2_000));
        await f.refresh();
        const day = (t: number): number => Math.floor(t / 86_400_000) * 86_400_000;
        expect(await f.index.complaintStats({})).toEqual([
          { day: day(T0 + 100 * MIN), count: 5, acknowledged: 5, resolved: 1, acknowledgeMedianMs: 30_000, acknowledgeP90Ms: 46_000, resolveMedianMs: 120_000, resolveP90Ms: 120_000 },
          { day: day(T0 + 2_000 * MIN), count: 1, acknowledged: 0, resolved: 0, acknowledgeMedianMs: null, acknowledgeP90Ms: null, resolveMedianMs: null, resolveP90Ms: null },
        ]);
        expect(await f.index.complaintStats({ from: day(T0 + 2_000 * MIN) })).toHaveLength(1);
        expect(await f.index.complaintStats({ to: T0 + 102 * MIN })).toMatchObject([{ count: 2, acknowledgeMedianMs: 15_000 }]);
      });
    });

    describe('complaint store (optimistic concurrency)', () => {
      const c = openComplaint(rating(42, { stars: 1, customer: customer(9, 'platinum') }));

      it('returns the complaint with a version, and nothing for an unknown id', async () => {
        expect(await f.store.get('42')).toBeNull();
        await f.store.createIfAbsent(c);
        const got = await f.store.get('42');
        expect(got?.complaint).toEqual(c);
        expect(got?.version).toEqual({ seqNo: expect.any(Number), primaryTerm: expect.any(Number) });
      });

      it('lets the first acknowledgement win; a stale version is a conflict', async () => {
        await f.store.createIfAbsent(c);
        const v = (await f.store.get('42'))!.version;
        expect(await f.store.acknowledge('42', ack('42', 'alice'), v)).toBe('ok');
        expect(await f.store.acknowledge('42', ack('42', 'bob'), v)).toBe('conflict');
        const now = await f.store.get('42');
        expect(now?.complaint.acknowledgement?.by).toBe('alice');
        expect(now?.complaint.status).toBe(ComplaintStatus.Acknowledged);
        expect(now?.version.seqNo).toBeGreaterThan(v.seqNo);
      });

      it('answers not_found for an unknown complaint', async () => {
        await f.store.createIfAbsent(c);
        const v = (await f.store.get('42'))!.version;
        expect(await f.store.acknowledge('43', ack('43'), v)).toBe('not_found');
        expect(await f.store.setSlackMessage('43', { channel: 'C1', ts: '1.2' }, v)).toBe('not_found');
      });

      it('marks an acknowledgement unpublished in the same update, lists it until it is marked published', async () => {
        await f.store.createIfAbsent(c);
        await f.store.createIfAbsent(openComplaint(rating(43, { stars: 1, customer: customer(9, 'platinum') })));
        expect((await f.store.get('42'))?.acknowledgementPublished).not.toBe(false);
        const v1 = (await f.store.get('42'))!.version;
        expect(await f.store.acknowledge('42', ack('42'), v1)).toBe('ok');
        const v2 = (await f.store.get('42'))!;
        expect(v2.acknowledgementPublished).toBe(false);
        // Another update (the Slack poster's) keeps the flag.
        expect(await f.store.setSlackMessage('42', { channel: 'C1', ts: '1.2' }, v2.version)).toBe('ok');
        expect((await f.store.get('42'))?.acknowledgementPublished).toBe(false);
        await f.refresh();
        expect(await f.store.unpublishedAcknowledgements({ acknowledgedBefore: '2018-06-12T11:00:01.000Z', limit: 10 })).toEqual([ack('42')]);
        // Younger than the bound: left to the call publishing it.
        expect(await f.store.unpublishedAcknowledgements({ acknowledgedBefore: '2018-06-12T11:00:00.000Z', limit: 10 })).toEqual([]);
        expect(await f.store.unpublishedAcknowledgements({ acknowledgedBefore: '2018-06-12T11:00:01.000Z', limit: 0 })).toEqual([]);
        await f.store.markAcknowledgementPublished('42');
        await f.store.markAcknowledgementPublished('999'); // unknown: ignored
        const v3 = (await f.store.get('42'))!;
        expect(v3.acknowledgementPublished).toBe(true);
        expect(v3.complaint.acknowledgement).toEqual(ack('42'));
        expect(v3.complaint.slackMessage).toEqual({ channel: 'C1', ts: '1.2' });
        await f.refresh();
        expect(await f.store.unpublishedAcknowledgements({ acknowledgedBefore: '2018-06-12T12:00:00.000Z', limit: 10 })).toEqual([]);
      });

      it('lists unpublished acknowledgements oldest first, at most limit', async () => {
        const at = (i: number): string => `2018-06-12T11:00:0${i}.000Z`;
        for (const [i, id] of [
          [3, '50'],
          [1, '51'],
          [2, '52'],
        ] as const) {
          await f.store.createIfAbsent(openComplaint(rating(Number(id), { stars: 1 })));
          const v = (await f.store.get(id))!.version;
          expect(await f.store.acknowledge(id, { ...ack(id), at: at(i) }, v)).toBe('ok');
        }
        await f.refresh();
        const listed = await f.store.unpublishedAcknowledgements({ acknowledgedBefore: '2018-06-12T12:00:00.000Z', limit: 2 });
        expect(listed.map((a) => [a.complaintId, a.at])).toEqual([
          ['51', at(1)],
          ['52', at(2)],
        ]);
      });

      it('records and clears the Slack message under the same concurrency rule, keeping the acknowledgement', async () => {
        await f.store.createIfAbsent(c);
        const v1 = (await f.store.get('42'))!.version;
        expect(await f.store.setSlackMessage('42', { channel: 'C123', ts: '1528800546.000100' }, v1)).toBe('ok');
        expect(await f.store.setSlackMessage('42', { channel: 'C999', ts: '1.1' }, v1)).toBe('conflict');
        const v2 = (await f.store.get('42'))!;
        expect(v2.complaint.slackMessage).toEqual({ channel: 'C123', ts: '1528800546.000100' });
        expect(await f.store.acknowledge('42', ack('42'), v2.version)).toBe('ok');
        const v3 = (await f.store.get('42'))!;
        expect(await f.store.setSlackMessage('42', null, v3.version)).toBe('ok');
        const v4 = (await f.store.get('42'))!;
        expect(v4.complaint.slackMessage).toBeNull();
        expect(v4.complaint.acknowledgement).toEqual(ack('42'));
        expect(await f.index.getComplaint('42')).toEqual(v4.complaint);
      });
    });
  });
}
