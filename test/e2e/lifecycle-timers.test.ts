/**
 * Durable, exactly-once reminders on real Kafka and Elasticsearch, with the
 * product as child processes (`ROLES=slack`) and the Slack Web API recorder:
 *
 * - the process holding the timers is SIGKILLed after the first reminder and
 *   a new one started: the complaint still gets reminders 1, 2, 3 exactly
 *   once each in its thread, then one escalation;
 * - two instances run side by side: each reminder of each complaint is
 *   posted once.
 *
 * The counts are read once the escalation (the last step) is there: a
 * sentinel, not a sleep. REMIND_AFTER=2s keeps the run short.
 */
import { Kafka, Partitioners, logLevel, type Producer } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { enrichedToRecord, type EnrichedRating } from '../../src/domain/index.js';
import { elasticsearchUrl, kafkaBrokers, uniqueName } from '../support/infra.js';
import { startProduct, type ProductProcess } from '../support/product-process.js';
import { startSlackRecorder, type SlackRecorder, type StoredMessage } from '../support/slack-recorder.js';

const CHANNEL = 'C0COMPLAINTS';
const ESCALATION = 'C0ESCALATE';
let recorder: SlackRecorder;
let producer: Producer;
const processes: ProductProcess[] = [];
let nextId = 7_000;

function env(run: string): Record<string, string> {
  return {
    ROLES: 'slack',
    KAFKA_BROKERS: kafkaBrokers().join(','),
    ELASTICSEARCH_URL: elasticsearchUrl(),
    KAFKA_GROUP_PREFIX: run,
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    DEMO: 'off',
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: 'test-signing-secret-0123456789abcdef',
    SLACK_CHANNEL: CHANNEL,
    SLACK_API_URL: recorder.apiUrl,
    SLACK_POST_MAX_AGE_HOURS: '0',
    SLACK_CLAIM_TIMEOUT_MS: '3000',
    REMIND_AFTER: '2s',
    REMIND_MAX: '3',
    ESCALATION_CHANNEL: ESCALATION,
    ESCALATION_MENTION: 'S0ONCALL',
    TOPIC_COMPLAINTS: `${run}.UNHAPPY_PLATINUM_CUSTOMERS`,
    TOPIC_ACKNOWLEDGEMENTS: `${run}.complaint-acknowledgements`,
    TOPIC_TRANSITIONS: `${run}.complaint-transitions`,
    INDEX_RATINGS: `${run}-ratings`,
    INDEX_COMPLAINTS: `${run}-complaints`,
    INDEX_CUSTOMERS: `${run}-customers`,
  };
}

function complaint(): EnrichedRating {
  return {
    ratingId: nextId++,
    userId: 2,
    stars: 1,
    routeId: 7,
    ratingTime: Date.now(),
    channel: 'iOS',
    message: 'worst. flight. ever. #neveragain',
    customer: { id: 2, firstName: 'Ruthie', lastName: 'Brockherst', email: 'rbrockherst1@ow.ly', gender: 'Female', clubStatus: 'platinum', comments: null, createTs: null, updateTs: null },
  };
}

async function raise(run: string, ratings: EnrichedRating[]): Promise<void> {
  await producer.send({ topic: `${run}.UNHAPPY_PLATINUM_CUSTOMERS`, messages: ratings.map((r) => ({ key: String(r.ratingId), value: JSON.stringify(enrichedToRecord(r)) })) });
}

const payload = (m: StoredMessage): Record<string, unknown> => (m.metadata as { event_payload?: Record<string, unknown> } | null)?.event_payload ?? {};
const complaintPost = (id: number): StoredMessage | undefined => recorder.messages(CHANNEL).find((m) => m.threadTs === null && String(payload(m).complaint_id) === String(id));
const reminderNumbers = (id: number): unknown[] => {
  const post = complaintPost(id);
  return post ? recorder.replies(CHANNEL, post.ts).map((m) => payload(m).reminder) : [];
};
const escalationsOf = (id: number): StoredMessage[] => recorder.messages(ESCALATION).filter((m) => String(payload(m).complaint_id) === String(id));

beforeAll(async () => {
  recorder = await startSlackRecorder();
  const kafka = new Kafka({ clientId: uniqueName('lifecycle'), brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
  await producer.connect();
});

afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop('SIGTERM').catch(() => undefined)));
});

afterAll(async () => {
  await producer?.disconnect();
  await recorder?.close();
});

describe('durable, exactly-once reminders (real Kafka and Elasticsearch)', () => {
  it('loses and repeats no reminder when the process holding the timers is SIGKILLed between two reminders', async () => {
    const run = uniqueName('remind-kill');
    const first = await startProduct(env(run), { name: 'slack-1' });
    processes.push(first);
    const c = complaint();
    await raise(run, [c]);
    await recorder.until(() => reminderNumbers(c.ratingId).length >= 1, 'the first reminder', 150_000);

    await first.stop('SIGKILL');
    processes.splice(processes.indexOf(first), 1);
    processes.push(await startProduct(env(run), { name: 'slack-2' }));

    await recorder.until(() => escalationsOf(c.ratingId).length >= 1, 'the escalation', 150_000);
    expect(reminderNumbers(c.ratingId)).toEqual([1, 2, 3]);
    expect(escalationsOf(c.ratingId)).toHaveLength(1);
    expect(JSON.stringify(escalationsOf(c.ratingId)[0]!.blocks)).toContain('<!subteam^S0ONCALL>');
  }, 330_000);

  it('posts each reminder once with two instances running', async () => {
    const run = uniqueName('remind-two');
    processes.push(...(await Promise.all([startProduct(env(run), { name: 'slack-a' }), startProduct(env(run), { name: 'slack-b' })])));
    const cs = [complaint(), complaint(), complaint()];
    await raise(run, cs);
    await recorder.until(() => cs.every((c) => escalationsOf(c.ratingId).length >= 1), 'every escalation', 150_000);
    for (const c of cs) {
      expect(reminderNumbers(c.ratingId)).toEqual([1, 2, 3]);
      expect(escalationsOf(c.ratingId)).toHaveLength(1);
      expect(recorder.messages(CHANNEL).filter((m) => m.threadTs === null && String(payload(m).complaint_id) === String(c.ratingId))).toHaveLength(1);
    }
  }, 330_000);
});
