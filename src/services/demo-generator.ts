/**
 * The demo generator: what the article's Debezium connector and ratings
 * generator produced, built from `data/` (the article's 20 customers and its
 * ratings vocabulary). It writes only to the INPUT topics (customers CDC and
 * ratings), so everything downstream is the real pipeline.
 *
 * Scenario, on a steady clock:
 * - at start, the customers as flat Debezium rows, except one held back;
 * - ratings at `ratingsPerSecond`, some anonymous (user_id -1), with a bad
 *   rating from a platinum customer every `complaintEveryMs`;
 * - the held-back customer arrives `lateCustomerAfterMs` later (their early
 *   ratings wait in the join's grace period);
 * - after `statusChangeAfterMs`, one customer's club status changes, sent as
 *   a full Debezium envelope (`op: "u"`);
 * - one record in `malformedEvery` is not JSON at all (it lands in dead-letters).
 *
 * With a {@link CustomerDatabase} (`DEMO_DB_URL`, the article's MariaDB), customer changes
 * are written there instead, as SQL, and reach the CDC topic through Debezium: customers
 * the table lacks are inserted at start (rows it holds are left as they are), the late one
 * later, and the status change is an `UPDATE CUSTOMERS SET club_status = 'platinum'`.
 */
import { readFileSync } from 'node:fs';
import { isObject } from '../domain/fields.js';
import type { Logger } from '../logger.js';
import type { CustomerDatabase, CustomerRow } from '../ports/customer-database.js';
import type { EventLog, OutRecord } from '../ports/event-log.js';
import type { TopicNames } from '../topics.js';

export interface DemoVocabulary {
  readonly channels: readonly string[];
  readonly messages: readonly string[];
  readonly stars: readonly number[];
  readonly routeIdRange: readonly [number, number];
}

export interface DemoOptions {
  log: EventLog;
  topics: Pick<TopicNames, 'ratings' | 'customersCdc'>;
  /** Folder with customers.jsonl and ratings-vocabulary.json. */
  dataDir: string;
  logger: Logger;
  /** @default 5 */
  ratingsPerSecond?: number;
  /** @default 4_000 // ms */
  complaintEveryMs?: number;
  /** @default 8_000 // ms */
  lateCustomerAfterMs?: number;
  /** @default 20_000 // ms */
  statusChangeAfterMs?: number;
  /** @default 500 // one rating in 500 is garbage bytes; 0 turns it off */
  malformedEvery?: number;
  random?: () => number;
  /** Write customer changes into this database (Debezium captures them) instead of to `customersCdc`. */
  customerDb?: CustomerDatabase;
  /**
   * Encodes a rating's value (the hook for Avro ratings through a Schema Registry).
   * @default JSON.stringify
   */
  encodeRating?: (rating: Record<string, unknown>) => Promise<string | Buffer>;
}

export interface DemoGenerator {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly produced: { customers: number; ratings: number };
}

export function loadDemoData(dataDir: string): { customers: Record<string, unknown>[]; vocabulary: DemoVocabulary } {
  const customers = readFileSync(`${dataDir}/customers.jsonl`, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as unknown)
    .filter(isObject);
  const v = JSON.parse(readFileSync(`${dataDir}/ratings-vocabulary.json`, 'utf8')) as Record<string, unknown>;
  const range = (v.route_id_range as [number, number] | undefined) ?? [1, 9999];
  return {
    customers,
    vocabulary: {
      channels: (v.channels as string[] | undefined) ?? ['web'],
      messages: (v.messages as string[] | undefined) ?? ['meh'],
      stars: (v.stars as number[] | undefined) ?? [1, 2, 3, 4, 5],
      routeIdRange: range,
    },
  };
}

export function createDemoGenerator(o: DemoOptions): DemoGenerator {
  const {
    log,
    topics,
    logger,
    ratingsPerSecond = 5,
    complaintEveryMs = 4_000,
    lateCustomerAfterMs = 8_000,
    statusChangeAfterMs = 20_000,
    malformedEvery = 500,
    random = Math.random,
    customerDb,
    encodeRating = (r: Record<string, unknown>) => Promise.resolve(JSON.stringify(r)),
  } = o;
  const { customers, vocabulary } = loadDemoData(o.dataDir);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const idOf = (c: Record<string, unknown>): number => Number(c.id);
  const platinum = customers.filter((c) => c.club_status === 'platinum');
  // The last platinum customer arrives late, so some of their ratings wait in the join.
  const late = platinum.at(-1);
  const early = customers.filter((c) => c !== late);
  const changing = customers.find((c) => c.club_status === 'gold');
  const produced = { customers: 0, ratings: 0 };
  const timers = new Set<NodeJS.Timeout>();
  // Unique across restarts, so ids in a real Kafka never collide.
  let nextRatingId = Date.now();
  let lastComplaint = Date.now();
  let running = false;

  const customerRecord = (c: Record<string, unknown>): OutRecord => ({
    topic: topics.customersCdc,
    key: JSON.stringify({ id: idOf(c) }),
    value: JSON.stringify(c),
  });

  const customerRow = (c: Record<string, unknown>): CustomerRow => {
    const s = (k: string): string | null => (typeof c[k] === 'string' ? c[k] : null);
    return { id: idOf(c), first_name: s('first_name'), last_name: s('last_name'), email: s('email'), gender: s('gender'), club_status: s('club_status'), comments: s('comments') };
  };
  /** Writes customers where they live: the database when there is one, else the CDC topic. */
  const writeCustomers = async (cs: readonly Record<string, unknown>[]): Promise<void> => {
    if (customerDb) await customerDb.insertMissing(cs.map(customerRow));
    else await log.produce(cs.map(customerRecord));
  };

  async function rating(): Promise<OutRecord> {
    const now = Date.now();
    const complaintDue = now - lastComplaint >= complaintEveryMs && platinum.length > 0;
    const anonymous = !complaintDue && random() < 0.05;
    const customer = complaintDue ? pick(platinum) : pick(customers);
    const stars = complaintDue ? pick([1, 2]) : pick(vocabulary.stars);
    if (complaintDue) lastComplaint = now;
    const [lo, hi] = vocabulary.routeIdRange;
    const id = nextRatingId++;
    produced.ratings++;
    if (malformedEvery > 0 && produced.ratings % malformedEvery === 0) {
      return { topic: topics.ratings, key: String(id), value: `{"rating_id":${id},"stars":` };
    }
    return {
      topic: topics.ratings,
      key: String(id),
      timestamp: now,
      value: await encodeRating({
        rating_id: id,
        user_id: anonymous ? -1 : idOf(customer),
        stars,
        route_id: lo + Math.floor(random() * (hi - lo + 1)),
        rating_time: now,
        channel: pick(vocabulary.channels),
        message: pick(vocabulary.messages),
      }),
    };
  }

  const later = (ms: number, fn: () => Promise<void>): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (running) fn().catch((err: unknown) => logger.warn({ err }, 'demo generator step failed'));
    }, ms);
    timers.add(t);
  };

  return {
    produced,
    async start() {
      if (running) return;
      running = true;
      await writeCustomers(early);
      produced.customers += early.length;
      logger.info({ customers: early.length, ratingsPerSecond, customersTo: customerDb ? 'database' : 'topic' }, 'demo generator started');
      if (late) {
        later(lateCustomerAfterMs, async () => {
          await writeCustomers([late]);
          produced.customers++;
          logger.info({ customerId: idOf(late) }, 'demo: a late customer arrived');
        });
      }
      if (changing) {
        later(statusChangeAfterMs, async () => {
          if (customerDb) {
            await customerDb.setClubStatus(idOf(changing), 'platinum');
            logger.info({ customerId: idOf(changing) }, "demo: UPDATE CUSTOMERS SET club_status = 'platinum'");
            return;
          }
          const after = { ...changing, club_status: 'platinum', update_ts: new Date().toISOString() };
          await log.produce([{ topic: topics.customersCdc, key: JSON.stringify({ id: idOf(changing) }), value: JSON.stringify({ before: changing, after, op: 'u', ts_ms: Date.now() }) }]);
          logger.info({ customerId: idOf(changing) }, 'demo: a customer became platinum');
        });
      }
      // Ticks of at most 10 per second keep the rate steady at any setting.
      const tickMs = Math.max(100, 1000 / ratingsPerSecond);
      const perTick = (ratingsPerSecond * tickMs) / 1000;
      let owed = 0;
      const tick = setInterval(() => {
        owed += perTick;
        const n = Math.floor(owed);
        owed -= n;
        if (n > 0) {
          Promise.all(Array.from({ length: n }, rating))
            .then((records) => log.produce(records))
            .catch((err: unknown) => logger.warn({ err }, 'demo: producing ratings failed'));
        }
      }, tickMs);
      timers.add(tick);
    },
    async stop() {
      running = false;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
