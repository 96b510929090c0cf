/** One complaint at `/complaints/<id>` (Slack messages link here): details, live changes, actions with a note. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { gql, live } from '../api.js';
import { later } from '../complaint-order.js';
import { COMPLAINT_FIELDS, actionsFor, ackLine, isSnoozed, slackLine, type Acknowledgement, type Complaint, type ComplaintAction } from '../complaint-model.js';
import { dateTime, stars } from '../format.js';
import { html } from '../html.js';
import { ActionButtons, StatusBadge } from './complaints.js';

/** "olivia via GraphQL, 5 Dec 2026, 01:02:03", or "Not yet". */
const handled = (a: Acknowledgement | null) => (a ? html`${ackLine(a)}, <time datetime=${a.at}>${dateTime(a.at)}</time>` : 'Not yet');

/** How often an id the index does not know is asked again (250 ms doubling to 4 s: about 20 s in all). */
const NOT_FOUND_RETRIES = 8;

export function ComplaintPage({ id, canAct }: { id: string; canAct: boolean }) {
  const [complaint, setComplaint] = useState<Complaint | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState('');
  const note = useRef<HTMLTextAreaElement>(null);
  // The picked choice of each action that has some (index into its options).
  const [picked, setPicked] = useState<Record<string, number>>({});

  useEffect(() => {
    let cancelled = false;
    setComplaint(undefined);
    const stop = live<{ complaintUpdated: Complaint }>({
      query: `subscription ComplaintUpdated($id: ID) { complaintUpdated(id: $id) { ${COMPLAINT_FIELDS} } }`,
      variables: () => ({ id }),
      // Never back along the lifecycle: a late or stale copy loses to what is shown (complaint-order.ts).
      next: ({ complaintUpdated }) => setComplaint((prev) => later(prev, complaintUpdated)),
    });
    // A complaint seen in the live queue a moment ago may not be indexed yet (the sink
    // writes it a little later): an id the index does not know is asked again, with
    // backoff, for about 20 s before the page says there is no such complaint.
    let retry: ReturnType<typeof setTimeout> | undefined;
    const load = (attempt: number): void => {
      gql<{ complaint: Complaint | null }>(`query Complaint($id: ID!) { complaint(id: $id) { ${COMPLAINT_FIELDS} } }`, { id })
        .then((r) => {
          if (cancelled) return;
          if (r.complaint === null && attempt < NOT_FOUND_RETRIES) retry = setTimeout(() => load(attempt + 1), Math.min(250 * 2 ** attempt, 4_000));
          else setComplaint((prev) => prev ?? r.complaint);
        })
        .catch((e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)));
    };
    load(0);
    return () => {
      cancelled = true;
      clearTimeout(retry);
      stop();
    };
  }, [id]);

  if (error) return html`<h1>Complaint ${id}</h1><p class="error" role="alert">${error}</p>`;
  if (complaint === undefined) return html`<h1>Complaint ${id}</h1><p class="placeholder" role="status">Loading…</p>`;
  if (complaint === null) return html`<h1>Complaint ${id}</h1><p>No complaint has this id. <a href="/complaints">Back to the queue</a>.</p>`;
  const c = complaint;
  const actions = canAct ? actionsFor(c) : [];
  return html`<article aria-labelledby="complaint-h" class="complaint-page">
    <p class="crumbs"><a href="/complaints">Complaints</a> › ${c.id}</p>
    <div class="view-head">
      <h1 id="complaint-h"><span id=${`c-${c.id}`}>${c.customer.fullName}</span>, ${c.rating.stars} star${c.rating.stars === 1 ? '' : 's'}</h1>
      <${StatusBadge} status=${c.status} />
    </div>
    <blockquote class="quote">${c.rating.message}</blockquote>
    <dl class="facts">
      <dt>Raised</dt><dd><time datetime=${c.raisedAt}>${dateTime(c.raisedAt)}</time></dd>
      <dt>Stars</dt><dd><span class="stars" aria-label=${`${c.rating.stars} of 5 stars`}>${stars(c.rating.stars)}</span></dd>
      <dt>Channel</dt><dd>${c.rating.channel}</dd>
      <dt>Route</dt><dd>${c.rating.routeId ?? '—'}</dd>
      <dt>Customer</dt><dd>${c.customer.fullName} (id ${c.customer.id}, ${c.customer.clubStatus ?? 'unknown status'})${c.customer.email ? html` · <a href=${`mailto:${c.customer.email}`}>${c.customer.email}</a>` : null}</dd>
      <dt>Acknowledged</dt><dd>${handled(c.acknowledgement)}</dd>
      <dt>Note</dt><dd>${c.acknowledgement?.note ?? '—'}</dd>
      <dt>Resolved</dt><dd>${handled(c.resolution)}</dd>
      ${c.resolution ? html`<dt>Resolution note</dt><dd>${c.resolution.note ?? '—'}</dd>` : null}
      <dt>Slack</dt><dd>${slackLine(c.slackMessage)}</dd>
      <dt>Reminders sent</dt><dd>${c.remindersSent}${c.status === 'OPEN' && c.nextReminderAt ? html` · next <time datetime=${c.nextReminderAt}>${dateTime(c.nextReminderAt)}</time>` : null}</dd>
      <dt>Escalated</dt><dd>${c.escalatedAt ? html`<time datetime=${c.escalatedAt}>${dateTime(c.escalatedAt)}</time>` : 'No'}</dd>
      <dt>Snoozed until</dt><dd>${c.snoozedUntil ? html`<time datetime=${c.snoozedUntil}>${dateTime(c.snoozedUntil)}</time>${isSnoozed(c) ? null : ' (over)'}` : '—'}</dd>
    </dl>
    ${
      actions.length > 0
        ? html`<form class="act-form" onSubmit=${(e: Event) => e.preventDefault()}>
          ${actions.some((a) => a.note) ? html`<label for="note">Note (optional)</label><textarea id="note" ref=${note} rows="2" maxlength="2000"></textarea>` : null}
          <div class="actions">
          ${actions
            .filter((a) => a.choices)
            .map(
              (a) => html`<span class="choice"><label for=${`choice-${a.label}`}>${a.choices!.label}</label><select
                  id=${`choice-${a.label}`}
                  value=${String(picked[a.label] ?? 0)}
                  onChange=${(e: Event) => setPicked({ ...picked, [a.label]: Number((e.target as HTMLSelectElement).value) })}
                >${a.choices!.options.map((o, i) => html`<option value=${String(i)}>${o.label}</option>`)}</select></span>`,
            )}
          <${ActionButtons}
            complaint=${c}
            note=${() => note.current?.value.trim() || null}
            choice=${(a: ComplaintAction) => a.choices?.options[picked[a.label] ?? 0]?.value() ?? null}
            onDone=${(updated: Complaint, message: string) => {
              if (note.current) note.current.value = '';
              setComplaint((prev) => later(prev, updated));
              setNotice(message);
            }}
            onError=${setError}
          />
          </div>
        </form>`
        : null
    }
    <p role="status" class="notice">${notice}</p>
  </article>`;
}
