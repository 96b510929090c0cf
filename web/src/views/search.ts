/** Search: the `ratings` filter (stars, channels, club statuses, text, time range), a page at a time. */
import { useEffect, useState } from 'preact/hooks';
import { gql } from '../api.js';
import { dateTime, num, stars } from '../format.js';
import { html } from '../html.js';

interface Row {
  id: string;
  stars: number;
  channel: string;
  message: string;
  ratedAt: string;
  customer: { fullName: string; clubStatus: string | null };
  complaint: { id: string; status: string } | null;
}
interface Page {
  /** 1-based, of the page shown. */
  number?: number;
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  nodes: Row[];
}

const CHANNELS = ['ios', 'android', 'web'];
const CLUBS = ['platinum', 'gold', 'silver', 'bronze'];
const PAGE = 20;
const QUERY = `query Search($filter: RatingFilter, $sort: RatingSort, $first: Int, $after: String) {
  ratings(filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id stars channel message ratedAt customer { fullName clubStatus } complaint { id status } }
  }
}`;

interface Form {
  starsMin: string;
  starsMax: string;
  channels: string[];
  clubStatuses: string[];
  text: string;
  from: string;
  to: string;
  sort: string;
}
const EMPTY: Form = { starsMin: '1', starsMax: '5', channels: [], clubStatuses: [], text: '', from: '', to: '', sort: 'NEWEST' };

function toFilter(f: Form): Record<string, unknown> {
  const filter: Record<string, unknown> = { starsMin: Number(f.starsMin), starsMax: Number(f.starsMax) };
  if (f.channels.length) filter.channels = f.channels;
  if (f.clubStatuses.length) filter.clubStatuses = f.clubStatuses;
  if (f.text.trim()) filter.text = f.text.trim();
  if (f.from) filter.from = new Date(f.from).toISOString();
  if (f.to) filter.to = new Date(f.to).toISOString();
  return filter;
}

const toggle = (list: string[], v: string): string[] => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);

export function Search() {
  const [form, setForm] = useState<Form>(EMPTY);
  const [applied, setApplied] = useState<Form>(EMPTY);
  // Cursors of the pages visited: [null, c1, c2...]; the last is the current page's `after`.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<Page | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let cancelled = false;
    setBusy(true);
    gql<{ ratings: Page }>(QUERY, { filter: toFilter(applied), sort: applied.sort, first: PAGE, after: cursors[cursors.length - 1] })
      .then((r) => {
        if (cancelled) return;
        setError(null);
        setPage({ ...r.ratings, number: cursors.length });
      })
      .catch((e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)))
      .finally(() => !cancelled && setBusy(false));
    return () => {
      cancelled = true;
    };
  }, [applied, cursors]);

  const set = (patch: Partial<Form>): void => setForm((f) => ({ ...f, ...patch }));
  const starOptions = [1, 2, 3, 4, 5].map((n) => html`<option value=${String(n)}>${n}</option>`);

  return html`<section aria-labelledby="search-h">
    <div class="view-head"><h1 id="search-h">Search ratings</h1></div>
    <form
      class="filters panel"
      onSubmit=${(e: Event) => {
        e.preventDefault();
        setApplied(form);
        setCursors([null]);
      }}
    >
      <div class="field"><label for="s-min">Stars from</label><select id="s-min" value=${form.starsMin} onChange=${(e: Event) => set({ starsMin: (e.target as HTMLSelectElement).value })}>${starOptions}</select></div>
      <div class="field"><label for="s-max">to</label><select id="s-max" value=${form.starsMax} onChange=${(e: Event) => set({ starsMax: (e.target as HTMLSelectElement).value })}>${starOptions}</select></div>
      <fieldset><legend>Channels</legend>${CHANNELS.map(
        (c) => html`<label class="check"><input type="checkbox" checked=${form.channels.includes(c)} onChange=${() => set({ channels: toggle(form.channels, c) })} />${c}</label>`,
      )}</fieldset>
      <fieldset><legend>Club status</legend>${CLUBS.map(
        (c) => html`<label class="check"><input type="checkbox" checked=${form.clubStatuses.includes(c)} onChange=${() => set({ clubStatuses: toggle(form.clubStatuses, c) })} />${c}</label>`,
      )}</fieldset>
      <div class="field grow"><label for="s-text">Message contains</label><input id="s-text" type="search" value=${form.text} maxlength="256" onInput=${(e: Event) => set({ text: (e.target as HTMLInputElement).value })} /></div>
      <div class="field"><label for="s-from">From</label><input id="s-from" type="datetime-local" value=${form.from} onInput=${(e: Event) => set({ from: (e.target as HTMLInputElement).value })} /></div>
      <div class="field"><label for="s-to">To</label><input id="s-to" type="datetime-local" value=${form.to} onInput=${(e: Event) => set({ to: (e.target as HTMLInputElement).value })} /></div>
      <div class="field"><label for="s-sort">Order</label><select id="s-sort" value=${form.sort} onChange=${(e: Event) => set({ sort: (e.target as HTMLSelectElement).value })}>
        <option value="NEWEST">Newest first</option><option value="OLDEST">Oldest first</option><option value="STARS_ASC">Fewest stars</option><option value="STARS_DESC">Most stars</option>
      </select></div>
      <div class="field buttons">
        <button type="submit" class="primary">Search</button>
        <button type="button" onClick=${() => {
          setForm(EMPTY);
          setApplied(EMPTY);
          setCursors([null]);
        }}>Reset</button>
      </div>
    </form>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    <p class="summary" role="status">${page === null ? 'Searching…' : `${num(page.totalCount)} rating${page.totalCount === 1 ? '' : 's'} · page ${page.number ?? 1} of ${Math.max(1, Math.ceil(page.totalCount / PAGE))}`}</p>
    <div class="table-wrap" aria-busy=${busy}>
      <table>
        <caption class="sr-only">Ratings matching the filter</caption>
        <thead><tr><th scope="col">Given</th><th scope="col">Stars</th><th scope="col">Customer</th><th scope="col">Club</th><th scope="col">Channel</th><th scope="col">Message</th><th scope="col">Complaint</th></tr></thead>
        <tbody>
          ${
            page === null
              ? Array.from({ length: 8 }, () => html`<tr class="skeleton" aria-hidden="true"><td colspan="7"> </td></tr>`)
              : page.nodes.length === 0
                ? html`<tr><td colspan="7" class="empty">No rating matches.</td></tr>`
                : page.nodes.map(
                    (r) => html`<tr key=${r.id}>
                    <td><time datetime=${r.ratedAt}>${dateTime(r.ratedAt)}</time></td>
                    <td><span class="stars" aria-label=${`${r.stars} of 5 stars`}>${stars(r.stars)}</span></td>
                    <th scope="row">${r.customer.fullName}</th>
                    <td>${r.customer.clubStatus ?? '—'}</td>
                    <td>${r.channel}</td>
                    <td class="msg">${r.message}</td>
                    <td>${r.complaint ? html`<a href=${`/complaints/${encodeURIComponent(r.complaint.id)}`}>${r.complaint.status.toLowerCase()}</a>` : '—'}</td>
                  </tr>`,
                  )
          }
        </tbody>
      </table>
    </div>
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled=${cursors.length <= 1 || busy} onClick=${() => setCursors((c) => c.slice(0, -1))}>Previous page</button>
      <button type="button" disabled=${!page?.pageInfo.hasNextPage || busy} onClick=${() => page?.pageInfo.endCursor && setCursors((c) => [...c, page.pageInfo.endCursor])}>Next page</button>
    </nav>
  </section>`;
}
