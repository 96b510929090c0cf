/** One complaint at `/complaints/<id>` (Slack messages link here): details, live changes, actions with a note. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { gql, live } from '../api.js';
import { COMPLAINT_FIELDS, actionsFor, ackLine, type Complaint } from '../complaint-model.js';
import { dateTime, stars } from '../format.js';
import { html } from '../html.js';
import { ActionButtons, StatusBadge } from './complaints.js';

export function ComplaintPage({ id, canAct }: { id: string; canAct: boolean }) {
  const [complaint, setComplaint] = useState<Complaint | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState('');
  const note = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    let cancelled = false;
    setComplaint(undefined);
    const stop = live<{ complaintUpdated: Complaint }>({
      query: `subscription ComplaintUpdated($id: ID) { complaintUpdated(id: $id) { ${COMPLAINT_FIELDS} } }`,
      variables: () => ({ id }),
      next: ({ complaintUpdated }) => setComplaint(complaintUpdated),
    });
    gql<{ complaint: Complaint | null }>(`query Complaint($id: ID!) { complaint(id: $id) { ${COMPLAINT_FIELDS} } }`, { id })
      .then((r) => !cancelled && setComplaint((prev) => prev ?? r.complaint))
      .catch((e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      cancelled = true;
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
      <dt>Handled</dt><dd>${c.acknowledgement ? html`${ackLine(c.acknowledgement)}, <time datetime=${c.acknowledgement.at}>${dateTime(c.acknowledgement.at)}</time>` : 'Not yet'}</dd>
      <dt>Note</dt><dd>${c.acknowledgement?.note ?? '—'}</dd>
      <dt>Slack</dt><dd>${c.slackMessage ? `posted in ${c.slackMessage.channel}` : 'not posted'}</dd>
    </dl>
    ${actions.length > 0
      ? html`<form class="act-form" onSubmit=${(e: Event) => e.preventDefault()}>
          ${actions.some((a) => a.note) ? html`<label for="note">Note (optional)</label><textarea id="note" ref=${note} rows="2" maxlength="2000"></textarea>` : null}
          <${ActionButtons}
            complaint=${c}
            note=${() => note.current?.value.trim() || null}
            onDone=${(updated: Complaint, message: string) => {
              setComplaint(updated);
              setNotice(message);
            }}
            onError=${setError}
          />
        </form>`
      : null}
    <p role="status" class="notice">${notice}</p>
  </article>`;
}
