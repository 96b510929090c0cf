/**
 * The complaints queue: a first page from `complaints(status)`, new ones live
 * from `complaintRaised` (resumed from the last cursor after a reconnect),
 * changes live from `complaintUpdated`. Rows are keyed by id, so a complaint
 * delivered twice (the page and the feed overlap) shows once.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { type ApiError, gql, live } from '../api.js';
import { later } from '../complaint-order.js';
import { ACTIONS, COMPLAINT_FIELDS, FILTERS, ackLine, actionsFor, isSnoozed, statusOf, type ComplaintAction, type Complaint } from '../complaint-model.js';
import { ago, dateTime, stars } from '../format.js';
import { html } from '../html.js';

const PAGE = 50;

export function StatusBadge({ status }: { status: string }) {
  const s = statusOf(status);
  return html`<span class="badge tone-${s.tone}">${s.label}</span>`;
}

export function ActionButtons({
  complaint,
  onDone,
  onError,
  note,
  choice,
}: {
  complaint: Complaint;
  onDone: (c: Complaint, message: string) => void;
  onError: (m: string) => void;
  note?: () => string | null;
  /** The choice picked for an action that has some; without it, the first. */
  choice?: (a: ComplaintAction) => string | null;
}) {
  const [busy, setBusy] = useState<string | null>(null);
  const actions = actionsFor(complaint);
  if (actions.length === 0) return null;
  return html`<span class="actions">${actions.map(
    (a) => html`<button
      type="button"
      class=${a.primary ? 'primary' : undefined}
      disabled=${busy !== null}
      aria-describedby=${`c-${complaint.id}`}
      onClick=${() => {
        setBusy(a.label);
        a.run(complaint.id, a.note && note ? note() : null, a.choices ? (choice?.(a) ?? a.choices.options[0]!.value()) : null)
          .then((r) => onDone(r.complaint, r.message))
          .catch((e: unknown) => onError(e instanceof Error ? e.message : String(e)))
          .finally(() => setBusy(null));
      }}
    >${busy === a.label ? `${a.label}…` : a.label}</button>`,
  )}</span>`;
}

/** Who handled it last (the resolution, else the acknowledgement), and whether reminders are paused or escalated. */
function Handled({ complaint: c }: { complaint: Complaint }) {
  const h = c.resolution ?? c.acknowledgement;
  const extra = [
    c.escalatedAt ? html`<span class="sub">Escalated <time datetime=${c.escalatedAt} title=${dateTime(c.escalatedAt)}>${ago(c.escalatedAt)}</time></span>` : null,
    isSnoozed(c) ? html`<span class="sub">Snoozed until <time datetime=${c.snoozedUntil}>${dateTime(c.snoozedUntil)}</time></span>` : null,
    c.status === 'OPEN' && c.remindersSent > 0 ? html`<span class="sub">${c.remindersSent} reminder${c.remindersSent === 1 ? '' : 's'} sent</span>` : null,
  ];
  if (!h) return html`—${extra}`;
  return html`${ackLine(h)}<span class="sub"><time datetime=${h.at} title=${dateTime(h.at)}>${ago(h.at)}</time>${h.note ? html` · “${h.note}”` : null}</span>${extra}`;
}

export function Complaints({ canAct }: { canAct: boolean }) {
  const [filter, setFilter] = useState<string | null>('OPEN');
  // The rows by id, newest first; a ref so that live handlers see the current rows.
  const rowsRef = useRef<Map<string, Complaint> | null>(null);
  const [, rerender] = useState(0);
  const setRows = (m: Map<string, Complaint> | null): void => {
    rowsRef.current = m;
    rerender((n) => n + 1);
  };
  const rows = rowsRef.current;
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState('');
  const [announce, setAnnounce] = useState('');
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const cursor = useRef<string | null>(null);

  // "3 min ago" stays true.
  useEffect(() => {
    const t = setInterval(() => rerender((n) => n + 1), 30_000);
    return () => clearInterval(t);
  }, []);

  /** A changed complaint replaces its row, where it is (no jump), unless the row is further along (complaint-order.ts). */
  const update = (c: Complaint): void => {
    const current = rowsRef.current;
    if (!current?.has(c.id)) return;
    setRows(new Map(current).set(c.id, later(current.get(c.id), c)));
  };

  useEffect(() => {
    let cancelled = false;
    cursor.current = null;
    setRows(null);
    setTotal(null);
    setError(null);
    // The live feed starts before the first page is read: a complaint raised in between is in one or the other (or both: keyed by id).
    const stopRaised = live<{ complaintRaised: { cursor: string; complaint: Complaint } }>({
      query: `subscription Raised($after: String) { complaintRaised(after: $after) { cursor complaint { ${COMPLAINT_FIELDS} } } }`,
      variables: () => ({ after: cursor.current }),
      next: ({ complaintRaised: e }) => {
        cursor.current = e.cursor;
        const c = e.complaint;
        if (filter !== null && c.status !== filter) return;
        const current = rowsRef.current;
        if (current?.has(c.id)) return;
        // Before the first page arrives, rows is null: the page merges behind what came live.
        setRows(new Map([[c.id, c], ...(current ?? [])]));
        if (current !== null) setTotal((t) => (t === null ? t : t + 1));
        setFresh((f) => new Set(f).add(c.id));
        setAnnounce(`New complaint from ${c.customer.fullName}, ${c.rating.stars} star${c.rating.stars === 1 ? '' : 's'}: ${c.rating.message}`);
      },
      onError: (e: ApiError) => {
        // Retention deleted what the cursor points at: start again from now (the page below has the rest).
        if (e.code === 'CURSOR_EXPIRED') cursor.current = null;
      },
    });
    const stopUpdated = live<{ complaintUpdated: Complaint }>({
      query: `subscription Updated { complaintUpdated { ${COMPLAINT_FIELDS} } }`,
      next: ({ complaintUpdated: c }) => update(c),
    });
    gql<{ complaints: { totalCount: number; nodes: Complaint[] } }>(
      `query Complaints($status: ComplaintStatus, $first: Int) { complaints(status: $status, first: $first) { totalCount nodes { ${COMPLAINT_FIELDS} } } }`,
      { status: filter, first: PAGE },
    )
      .then((r) => {
        if (cancelled) return;
        // Live arrivals (newer) first, then the page; a live copy wins over the page's.
        const merged = new Map<string, Complaint>(rowsRef.current ?? []);
        let extra = merged.size;
        for (const c of r.complaints.nodes) {
          if (merged.has(c.id)) extra -= 1;
          else merged.set(c.id, c);
        }
        setTotal(r.complaints.totalCount + extra);
        setRows(merged);
      })
      .catch((e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      cancelled = true;
      stopRaised();
      stopUpdated();
    };
  }, [filter]);

  const list = rows ? [...rows.values()] : [];
  // Rows that changed status stay where they are (no jump) but no longer count for the filter.
  const shown = total === null ? null : total - (filter === null ? 0 : list.filter((c) => c.status !== filter).length);

  return html`<section aria-labelledby="complaints-h">
    <div class="view-head">
      <h1 id="complaints-h">Complaints</h1>
      <div class="segmented" role="group" aria-label="Show complaints">
        ${FILTERS.map((f) => html`<button type="button" aria-pressed=${filter === f.status} onClick=${() => setFilter(f.status)}>${f.label}</button>`)}
      </div>
    </div>
    <p class="summary">${shown === null ? html`<span class="placeholder">Loading…</span>` : `${shown} ${filter === null ? '' : `${statusOf(filter).label.toLowerCase()} `}complaint${shown === 1 ? '' : 's'}`}</p>
    <div class="sr-only" aria-live="polite" aria-atomic="true" id="complaint-announcer">${announce}</div>
    <div class="sr-only" role="status">${notice}</div>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    <div class="table-wrap">
      <table class="complaints">
        <caption class="sr-only">Complaints, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Raised</th>
            <th scope="col">Customer</th>
            <th scope="col">Stars</th>
            <th scope="col">Channel</th>
            <th scope="col">Message</th>
            <th scope="col">Status</th>
            <th scope="col">Handled</th>
            ${canAct ? html`<th scope="col"><span class="sr-only">Actions</span></th>` : null}
          </tr>
        </thead>
        <tbody>
          ${
            rows === null
              ? Array.from({ length: 6 }, () => html`<tr class="skeleton" aria-hidden="true"><td colspan=${canAct ? 8 : 7}> </td></tr>`)
              : list.length === 0
                ? html`<tr><td colspan=${canAct ? 8 : 7} class="empty">No ${filter === null ? '' : statusOf(filter).label.toLowerCase() + ' '}complaints.</td></tr>`
                : list.map(
                    (c) => html`<tr key=${c.id} data-complaint-id=${c.id} class=${fresh.has(c.id) ? 'fresh' : ''}>
                    <td><time datetime=${c.raisedAt} title=${dateTime(c.raisedAt)}>${ago(c.raisedAt)}</time></td>
                    <th scope="row" id=${`c-${c.id}`}><a href=${`/complaints/${encodeURIComponent(c.id)}`}>${c.customer.fullName}</a><span class="sub">${c.customer.clubStatus ?? ''}</span></th>
                    <td><span class="stars" aria-label=${`${c.rating.stars} of 5 stars`}>${stars(c.rating.stars)}</span></td>
                    <td>${c.rating.channel}</td>
                    <td class="msg">${c.rating.message}</td>
                    <td><${StatusBadge} status=${c.status} /></td>
                    <td><${Handled} complaint=${c} /></td>
                    ${
                      canAct
                        ? html`<td class="act"><${ActionButtons}
                          complaint=${c}
                          onDone=${(updated: Complaint, message: string) => {
                            update(updated);
                            setNotice(message);
                          }}
                          onError=${setError}
                        /></td>`
                        : null
                    }
                  </tr>`,
                  )
          }
        </tbody>
      </table>
    </div>
    ${ACTIONS.length > 0 && canAct ? html`<p class="hint">Snooze here pauses reminders for an hour. Open a complaint to add a note or snooze longer.</p>` : null}
  </section>`;
}
