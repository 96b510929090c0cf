/**
 * Text helpers for Block Kit: escaping, truncation, dates Slack renders in
 * each reader's time zone. Pure functions.
 */
import type { Acknowledgement, Customer } from '../../src/domain/index.js';
import { AckVia } from '../../src/domain/index.js';

/**
 * Escapes the three characters Slack's mrkdwn treats as control characters
 * (https://docs.slack.dev/messaging/formatting-message-text#escaping), so a
 * customer cannot inject `<!channel>` or links through their message.
 */
export function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts `s` to at most `max` characters, ending with an ellipsis when cut. */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  return `${s.slice(0, Math.max(0, max - 1))}…`;
}

/** `★☆☆☆☆` for 1 of 5. Out-of-range input is clamped. */
export function starBar(stars: number, of = 5): string {
  const n = Math.max(0, Math.min(of, Math.round(stars)));
  return '★'.repeat(n) + '☆'.repeat(of - n);
}

/** `2018-06-12 10:49 UTC`: the fallback for clients that cannot render `<!date>`. */
export function utcText(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/**
 * A date Slack shows in each reader's own time zone
 * (https://docs.slack.dev/messaging/formatting-message-text#date-formatting).
 */
export function slackDate(epochMs: number): string {
  return `<!date^${Math.floor(epochMs / 1000)}^{date_short_pretty} at {time}|${utcText(epochMs)}>`;
}

/** `Rica Blaisdell`, else the email, else `customer 7`. */
export function customerName(c: Pick<Customer, 'id' | 'firstName' | 'lastName' | 'email'>): string {
  const name = [c.firstName, c.lastName].filter((p): p is string => p !== null && p.trim() !== '').join(' ');
  if (name !== '') return name;
  return c.email ?? `customer ${c.id}`;
}

/** `Platinum` for `platinum`. */
export function capitalize(s: string): string {
  return s.length === 0 ? s : s[0]!.toUpperCase() + s.slice(1);
}

/** A Slack user id (`U…`/`W…`), which can be rendered as a mention. */
export const isSlackUserId = (s: string): boolean => /^[UW][A-Z0-9]{2,}$/.test(s);

/** `<@U123>` for a Slack acknowledgement, `*alice* (via GraphQL)` otherwise. */
export function acknowledgerText(ack: Pick<Acknowledgement, 'by' | 'byName' | 'via'>): string {
  if (ack.via === AckVia.Slack && isSlackUserId(ack.by)) return `<@${ack.by}>`;
  const who = `*${escapeText(ack.byName ?? ack.by)}*`;
  return ack.via === AckVia.GraphQL ? `${who} (via GraphQL)` : who;
}

/** `Acknowledged by <@U123> at <!date…>`, plus the note when there is one. */
export function acknowledgedText(ack: Acknowledgement): string {
  const at = Date.parse(ack.at);
  const when = Number.isNaN(at) ? escapeText(ack.at) : slackDate(at);
  const note = ack.note ? `\n>${escapeText(ack.note).replace(/\n/g, '\n>')}` : '';
  return `:white_check_mark: Acknowledged by ${acknowledgerText(ack)} at ${when}${note}`;
}

/** `${base}/complaints/<id>`, tolerant of a trailing slash in `base`. */
export function dashboardLink(base: string, complaintId: string): string {
  return `${base.replace(/\/+$/, '')}/complaints/${encodeURIComponent(complaintId)}`;
}

/** `Resolved by <@U123> at <!date…>`, plus the note when there is one. */
export function resolvedText(r: Acknowledgement): string {
  const at = Date.parse(r.at);
  const when = Number.isNaN(at) ? escapeText(r.at) : slackDate(at);
  const note = r.note ? `\n>${escapeText(r.note).replace(/\n/g, '\n>')}` : '';
  return `:checkered_flag: Resolved by ${acknowledgerText(r)} at ${when}${note}`;
}
