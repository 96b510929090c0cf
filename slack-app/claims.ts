/**
 * Claims on a complaint's Slack message. Before posting, a poster writes
 * `pending:<instance>:<phase>:<epochMs>` as the message ts with optimistic
 * concurrency (ComplaintStore.setSlackMessage at the version it read); only
 * the instance whose write succeeds posts. A claim older than the claim
 * timeout belongs to an instance presumed dead and may be taken over.
 *
 * The phase says whether a message may exist: `claimed` (nothing sent yet)
 * or `sending` (written immediately before each chat.postMessage call, or
 * when an earlier attempt may have posted). Whoever takes over a `claimed`
 * claim posts without searching the channel history.
 *
 * Older versions wrote `pending:<instance>:<epochMs>` without a phase; such a
 * claim reads as `sending` (the conservative reading). They read a phased
 * claim as held by instance `<instance>:<phase>`, with the right time.
 */
import { assertOption } from '../src/errors.js';
import { SLACK_CLAIM_PREFIX, SLACK_UNKNOWN_MESSAGE_PREFIX } from '../src/domain/index.js';

/** `claimed`: no chat.postMessage started under this claim. `sending`: one may have (a message may exist). */
export type ClaimPhase = 'claimed' | 'sending';

export interface SlackClaim {
  /** The poster instance that holds it. */
  readonly instance: string;
  /** When it was written or last renewed, epoch ms. */
  readonly at: number;
  readonly phase: ClaimPhase;
}

export function claimTs(instance: string, at: number, phase: ClaimPhase = 'claimed'): string {
  assertOption(!instance.includes(':'), `a poster instance id cannot contain ":" (got ${JSON.stringify(instance)})`);
  return `${SLACK_CLAIM_PREFIX}${instance}:${phase}:${at}`;
}

/**
 * The claim in `ts`, or null when `ts` is a real message ts. A malformed
 * claim reads as one from nobody at time 0, `sending`: abandoned, free to
 * take over after searching the channel.
 */
export function parseClaim(ts: string): SlackClaim | null {
  if (!ts.startsWith(SLACK_CLAIM_PREFIX)) return null;
  const parts = ts.slice(SLACK_CLAIM_PREFIX.length).split(':');
  const at = Number(parts.at(-1));
  const phase = parts.length === 3 ? parts[1] : parts.length === 2 ? 'sending' : undefined;
  if (!parts[0] || !Number.isSafeInteger(at) || (phase !== 'claimed' && phase !== 'sending')) return { instance: '', at: 0, phase: 'sending' };
  return { instance: parts[0], at, phase };
}

/** The ts recorded for a complaint that may or may not have been posted (see SLACK_UNKNOWN_MESSAGE_PREFIX). */
export const unknownMessageTs = (at: number): string => `${SLACK_UNKNOWN_MESSAGE_PREFIX}${at}`;
