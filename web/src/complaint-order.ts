/**
 * Which of two copies of one complaint the page should show. Live changes come
 * from two topics read independently (acknowledgements and transitions), each
 * completed from the search index, which may lag; a mutation's answer races
 * them. So an acknowledgement can arrive after the resolution it preceded, or
 * a copy read before the index caught up can arrive after a newer one, and
 * must not turn a Resolved complaint back into Acknowledged (the dashboard's
 * browser test once saw the resolution note vanish that way). A complaint only
 * moves forward, OPEN → ACKNOWLEDGED → RESOLVED: a copy at an earlier status is
 * stale; at the same status the incoming copy wins (reminders sent, the Slack
 * message, a snooze change without a status change).
 */
const RANK: Readonly<Record<string, number>> = { OPEN: 0, ACKNOWLEDGED: 1, RESOLVED: 2 };

const rank = (status: string): number => RANK[status] ?? 0;

/** `incoming`, unless `current` is further along its lifecycle. */
export function later<T extends { readonly status: string }>(current: T | null | undefined, incoming: T): T {
  if (current === null || current === undefined) return incoming;
  return rank(incoming.status) < rank(current.status) ? current : incoming;
}
