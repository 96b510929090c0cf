/**
 * Deterministic bench data in the contract formats of docs/data-contracts.md:
 * customers (flat Debezium rows; the article's 20 first, generated ones
 * after), ratings (as the apps send them) and enriched ratings (as the
 * stream layer writes them). Product and baseline always get the same bytes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { customerToRekeyRecord, enrich, enrichedToRecord, parseCustomerChange, type Customer, type Rating } from '../../src/domain/index.js';
import { projectRoot } from './child.js';
import { seededRandom } from './util.js';

export interface RawCustomer {
  readonly id: number;
  readonly first_name: string;
  readonly last_name: string;
  readonly email: string;
  readonly gender: string;
  readonly club_status: string;
  readonly comments: string;
  readonly create_ts: string;
  readonly update_ts: string;
}

export interface RawRating {
  readonly rating_id: number;
  readonly user_id: number;
  readonly stars: number;
  readonly route_id: number;
  readonly rating_time: number;
  readonly channel: string;
  readonly message: string;
}

interface Vocabulary {
  readonly channels: readonly string[];
  readonly messages: readonly string[];
}

let vocabulary: Vocabulary | undefined;

export function loadVocabulary(): Vocabulary {
  if (vocabulary) return vocabulary;
  const v = JSON.parse(readFileSync(join(projectRoot, 'data', 'ratings-vocabulary.json'), 'utf8')) as Partial<Vocabulary>;
  vocabulary = { channels: v.channels ?? ['iOS', 'android', 'web'], messages: v.messages ?? ['meh'] };
  return vocabulary;
}

const STATUSES = ['platinum', 'gold', 'silver', 'bronze'] as const;

/** `count` customers: the article's 20 (data/customers.jsonl), then generated ones with statuses in turn. */
export function makeCustomers(count: number): RawCustomer[] {
  const article = readFileSync(join(projectRoot, 'data', 'customers.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as RawCustomer & Record<string, unknown>)
    .map(({ id, first_name, last_name, email, gender, club_status, comments, create_ts, update_ts }) => ({ id, first_name, last_name, email, gender, club_status, comments, create_ts, update_ts }));
  const out: RawCustomer[] = article.slice(0, count);
  for (let id = out.length + 1; out.length < count; id++) {
    out.push({
      id,
      first_name: `First${id}`,
      last_name: `Last${id}`,
      email: `customer${id}@example.com`,
      gender: id % 2 === 0 ? 'Female' : 'Male',
      club_status: STATUSES[id % STATUSES.length] as string,
      comments: 'Generated for the benchmarks',
      create_ts: '2018-06-12T11:47:30Z',
      update_ts: '2018-06-12T11:47:30Z',
    });
  }
  return out;
}

/** The domain customer of a raw row (as the stream layer would parse it). */
export function toCustomer(c: RawCustomer): Customer {
  const r = parseCustomerChange({ id: c.id }, c);
  if (!r.ok || r.value.kind !== 'upsert') throw new Error(`bench customer ${c.id} does not parse`);
  return r.value.customer;
}

/** A CDC record of `asgard.demo.CUSTOMERS`: key `{"id":1}`, value the flat row. */
export const cdcMessage = (c: RawCustomer): { key: string; value: string } => ({ key: JSON.stringify({ id: c.id }), value: JSON.stringify(c) });

/** A `CUSTOMERS_SRC_REKEY` record: key the customer id, value KSQL-style upper-case columns. */
export const rekeyMessage = (c: RawCustomer): { key: string; value: string } => ({ key: String(c.id), value: JSON.stringify(customerToRekeyRecord(toCustomer(c))) });

export interface RatingOptions {
  /** First rating id. @default 1 */
  readonly firstId?: number;
  /** @default 42 */
  readonly seed?: number;
  /**
   * rating_time of the first rating; each next one is 1 ms later. It becomes
   * the record timestamp of the enriched ratings, so it must be recent: the
   * broker deletes segments older than its retention (7 days) within a
   * minute of start-up. @default now − count ms − 1 minute
   */
  readonly startTime?: number;
}

/** Whether a rating is a complaint under the default rule (stars < 3, platinum). */
export const isComplaint = (r: Pick<RawRating, 'stars' | 'user_id'>, customers: ReadonlyMap<number, RawCustomer>): boolean =>
  r.stars < 3 && customers.get(r.user_id)?.club_status.toLowerCase() === 'platinum';

/** `count` ratings from known customers (uniform), stars 1 to 5 (uniform): about 1 in 10 is a complaint. */
export function makeRatings(count: number, customers: readonly RawCustomer[], o: RatingOptions = {}): RawRating[] {
  const { firstId = 1, seed = 42, startTime = Date.now() - count - 60_000 } = o;
  const random = seededRandom(seed);
  const { channels, messages } = loadVocabulary();
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const out: RawRating[] = [];
  for (let i = 0; i < count; i++) {
    out.push({
      rating_id: firstId + i,
      user_id: pick(customers).id,
      stars: 1 + Math.floor(random() * 5),
      route_id: 1 + Math.floor(random() * 9_999),
      rating_time: startTime + i,
      channel: pick(channels),
      message: pick(messages),
    });
  }
  return out;
}

/** The domain rating of a raw one. */
export const toRating = (r: RawRating): Rating => ({
  ratingId: r.rating_id,
  userId: r.user_id,
  stars: r.stars,
  routeId: r.route_id,
  ratingTime: r.rating_time,
  channel: r.channel,
  message: r.message,
});

/** The `ratings-with-customer-data` value of a rating (what the stream layer writes), as JSON text. */
export function enrichedValue(r: RawRating, customers: ReadonlyMap<number, RawCustomer>): string {
  const c = customers.get(r.user_id);
  if (!c) throw new Error(`bench rating ${r.rating_id} has no customer ${r.user_id}`);
  return JSON.stringify(enrichedToRecord(enrich(toRating(r), toCustomer(c))));
}

export const byId = (customers: readonly RawCustomer[]): Map<number, RawCustomer> => new Map(customers.map((c) => [c.id, c]));
