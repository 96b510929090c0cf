/**
 * Claims on a complaint's Slack message. Before posting, a poster writes
 * `pending:<instance>:<epochMs>` as the message ts with optimistic
 * concurrency (ComplaintStore.setSlackMessage at the version it read); only
 * the instance whose write succeeds posts. A claim older than the claim
 * timeout belongs to an instance presumed dead and may be taken over.
 */
import { SLACK_CLAIM_PREFIX } from '../src/domain/index.js';

export interface SlackClaim {
  /** The poster instance that holds it. */
  readonly instance: string;
  /** When it was written or last renewed, epoch ms. */
  readonly at: number;
}

export function claimTs(instance: string, at: number): string {
  if (instance.includes(':')) throw new TypeError(`a poster instance id cannot contain ":" (got ${JSON.stringify(instance)})`);
  return `${SLACK_CLAIM_PREFIX}${instance}:${at}`;
}

/**
 * The claim in `ts`, or null when `ts` is a real message ts. A malformed
 * claim reads as one from nobody at time 0: abandoned, free to take over.
 */
export function parseClaim(ts: string): SlackClaim | null {
  if (!ts.startsWith(SLACK_CLAIM_PREFIX)) return null;
  const rest = ts.slice(SLACK_CLAIM_PREFIX.length);
  const sep = rest.lastIndexOf(':');
  const at = Number(rest.slice(sep + 1));
  if (sep <= 0 || !Number.isSafeInteger(at)) return { instance: '', at: 0 };
  return { instance: rest.slice(0, sep), at };
}
