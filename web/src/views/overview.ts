/**
 * Overview: ratings per interval and average stars over the chosen range,
 * count and average by club status and by channel, and the latest ratings.
 * One query on load and every minute (to stay exact); in between every
 * `ratingAdded` event updates the numbers in place.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { gql, live } from '../api.js';
import { Chart } from '../chart.js';
import { duration, num, stars, time } from '../format.js';
import { html } from '../html.js';

interface Bucket {
  start: string;
  count: number;
  averageStars: number | null;
}
interface Stat {
  key: string;
  count: number;
  averageStars: number | null;
}
interface TickerRating {
  id: string;
  stars: number;
  channel: string;
  channelFamily: string;
  message: string;
  ratedAt: string;
  customer: { fullName: string; clubStatus: string | null };
}
interface ComplaintDay {
  count: number;
  acknowledged: number;
  resolved: number;
  medianSecondsToAcknowledge: number | null;
  p90SecondsToAcknowledge: number | null;
  medianSecondsToResolve: number | null;
  p90SecondsToResolve: number | null;
}
interface Data {
  complaintsToday: ComplaintDay[];
  ratingHistogram: Bucket[];
  byClub: Stat[];
  byChannel: Stat[];
  latest: { nodes: TickerRating[] };
}

const RANGES = [
  { id: '15m', label: 'Last 15 min', ms: 15 * 60_000, interval: 'MINUTE', stepMs: 60_000, unit: 'minute' },
  { id: '1h', label: 'Last hour', ms: 3_600_000, interval: 'MINUTE', stepMs: 60_000, unit: 'minute' },
  { id: '1d', label: 'Last day', ms: 86_400_000, interval: 'HOUR', stepMs: 3_600_000, unit: 'hour' },
] as const;
type Range = (typeof RANGES)[number];

const TICKER = 10;
const RATING_FIELDS = 'id stars channel channelFamily message ratedAt customer { fullName clubStatus }';
const QUERY = `query Overview($filter: RatingFilter, $interval: HistogramInterval, $today: DateTime) {
  complaintsToday: complaintStats(from: $today) { count acknowledged resolved medianSecondsToAcknowledge p90SecondsToAcknowledge medianSecondsToResolve p90SecondsToResolve }
  ratingHistogram(filter: $filter, interval: $interval) { start count averageStars }
  byClub: ratingStats(filter: $filter, groupBy: CLUB_STATUS) { key count averageStars }
  byChannel: ratingStats(filter: $filter, groupBy: CHANNEL) { key count averageStars }
  latest: ratings(first: ${TICKER}) { nodes { ${RATING_FIELDS} } }
}`;

/** Adds one rating to a group's count and average. */
function addTo(stats: Stat[], key: string, starsGiven: number): Stat[] {
  const i = stats.findIndex((s) => s.key === key);
  if (i < 0) return [...stats, { key, count: 1, averageStars: starsGiven }];
  const s = stats[i]!;
  const next = { key, count: s.count + 1, averageStars: ((s.averageStars ?? 0) * s.count + starsGiven) / (s.count + 1) };
  return stats.map((x, j) => (j === i ? next : x));
}

function StatsTable({ caption, keyLabel, rows }: { caption: string; keyLabel: string; rows: Stat[] | null }) {
  const max = Math.max(1, ...(rows ?? []).map((r) => r.count));
  const sorted = rows ? [...rows].sort((a, b) => b.count - a.count) : null;
  return html`<table class="stats">
    <caption>${caption}</caption>
    <thead><tr><th scope="col">${keyLabel}</th><th scope="col" class="n">Ratings</th><th scope="col" class="n">Avg stars</th></tr></thead>
    <tbody>
      ${
        sorted === null
          ? Array.from({ length: 4 }, () => html`<tr class="skeleton" aria-hidden="true"><td colspan="3"> </td></tr>`)
          : sorted.length === 0
            ? html`<tr><td colspan="3" class="empty">No ratings in this range.</td></tr>`
            : sorted.map(
                (r) => html`<tr key=${r.key}>
                <th scope="row">${r.key}</th>
                <td class="n"><span class="bar" aria-hidden="true"><span style=${{ width: `${(r.count / max) * 100}%` }}></span></span>${num(r.count)}</td>
                <td class="n">${num(r.averageStars, 2)}</td>
              </tr>`,
              )
      }
    </tbody>
  </table>`;
}

const EMPTY_DAY: ComplaintDay = { count: 0, acknowledged: 0, resolved: 0, medianSecondsToAcknowledge: null, p90SecondsToAcknowledge: null, medianSecondsToResolve: null, p90SecondsToResolve: null };

/** Today's complaints (UTC day, by rating time) and how fast they were handled; refreshed with the rest every minute. */
function ComplaintsToday({ day }: { day: ComplaintDay | null }) {
  const v = (s: string): string => (day === null ? '…' : s);
  return html`<section class="kpis complaint-kpis" aria-labelledby="ct-h">
    <h2 id="ct-h" class="sr-only">Complaints today</h2>
    <div class=${`kpi${day && day.count > day.acknowledged ? ' kpi-alert' : ''}`}><span class="kpi-label">Complaints today (UTC)</span><span class="kpi-value">${v(num(day?.count))}</span><span class="kpi-sub">${day ? `${num(day.count - day.acknowledged)} open · ${num(day.resolved)} resolved` : ' '}</span></div>
    <div class="kpi"><span class="kpi-label">Time to acknowledge</span><span class="kpi-value">${v(duration(day?.medianSecondsToAcknowledge))}</span><span class="kpi-sub">median · p90 ${day ? duration(day.p90SecondsToAcknowledge) : '…'}</span></div>
    <div class="kpi"><span class="kpi-label">Time to resolve</span><span class="kpi-value">${v(duration(day?.medianSecondsToResolve))}</span><span class="kpi-sub">median · p90 ${day ? duration(day.p90SecondsToResolve) : '…'}</span></div>
  </section>`;
}

export function Overview() {
  const [range, setRange] = useState<Range>(RANGES[0]);
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    let cancelled = false;
    setData(null);
    const load = (): void => {
      const t = Date.now();
      // Complaint stats are per UTC day: today's.
      const today = new Date(Math.floor(t / 86_400_000) * 86_400_000).toISOString();
      gql<Data>(QUERY, { filter: { from: new Date(t - range.ms).toISOString() }, interval: range.interval, today })
        .then((d) => {
          if (cancelled) return;
          setError(null);
          setNow(t);
          setData(d);
        })
        .catch((e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)));
    };
    load();
    const timer = setInterval(load, 60_000);
    const stop = live<{ ratingAdded: TickerRating }>({
      query: `subscription Ratings { ratingAdded { ${RATING_FIELDS} } }`,
      next: ({ ratingAdded: r }) => {
        setNow(Date.now());
        setData((d) => {
          if (!d) return d;
          const at = Date.parse(r.ratedAt);
          const start = new Date(Math.floor(at / range.stepMs) * range.stepMs).toISOString();
          const hist = [...d.ratingHistogram];
          const i = hist.findIndex((b) => Date.parse(b.start) === Date.parse(start));
          if (i >= 0) {
            const b = hist[i]!;
            hist[i] = { start: b.start, count: b.count + 1, averageStars: ((b.averageStars ?? 0) * b.count + r.stars) / (b.count + 1) };
          } else hist.push({ start, count: 1, averageStars: r.stars });
          return {
            complaintsToday: d.complaintsToday,
            ratingHistogram: hist,
            byClub: addTo(d.byClub, r.customer.clubStatus ?? 'unknown', r.stars),
            byChannel: addTo(d.byChannel, r.channelFamily, r.stars),
            latest: { nodes: [r, ...d.latest.nodes.filter((n) => n.id !== r.id)].slice(0, TICKER) },
          };
        });
      },
    });
    return () => {
      cancelled = true;
      clearInterval(timer);
      stop();
    };
  }, [range]);

  // Every interval of the range, empty ones at zero, so the time axis always spans the range.
  const series = useMemo(() => {
    const end = Math.floor(now / range.stepMs) * range.stepMs;
    const first = Math.floor((now - range.ms) / range.stepMs) * range.stepMs + range.stepMs;
    const byStart = new Map((data?.ratingHistogram ?? []).map((b) => [Date.parse(b.start), b]));
    const x: number[] = [];
    const counts: number[] = [];
    const avgs: (number | null)[] = [];
    for (let t = first; t <= end; t += range.stepMs) {
      const b = byStart.get(t);
      x.push(t / 1000);
      counts.push(b?.count ?? 0);
      avgs.push(b?.averageStars ?? null);
    }
    return { x, counts, avgs };
  }, [data, now, range]);

  const total = data ? data.byClub.reduce((n, s) => n + s.count, 0) : null;
  const avg = data && total ? data.byClub.reduce((n, s) => n + (s.averageStars ?? 0) * s.count, 0) / total : null;

  return html`<section aria-labelledby="overview-h">
    <div class="view-head">
      <h1 id="overview-h">Overview</h1>
      <div class="segmented" role="group" aria-label="Time range">
        ${RANGES.map((r) => html`<button type="button" aria-pressed=${r.id === range.id} onClick=${() => setRange(r)}>${r.label}</button>`)}
      </div>
    </div>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    <div class="kpis">
      <div class="kpi"><span class="kpi-label">Ratings</span><span class="kpi-value">${total === null ? '…' : num(total)}</span></div>
      <div class="kpi"><span class="kpi-label">Average stars</span><span class="kpi-value">${avg === null ? '—' : num(avg, 2)}</span></div>
      <div class="kpi"><span class="kpi-label">Ratings per ${range.unit}</span><span class="kpi-value">${total === null ? '…' : num(total / (range.ms / range.stepMs), 1)}</span></div>
    </div>
    <${ComplaintsToday} day=${data ? (data.complaintsToday.at(-1) ?? EMPTY_DAY) : null} />
    <div class="grid2">
      <figure class="panel">
        <figcaption>Ratings per ${range.unit}</figcaption>
        <${Chart} label=${`Ratings per ${range.unit}, ${range.label.toLowerCase()}`} x=${series.x} y=${series.counts} series="ratings" kind="bars" />
      </figure>
      <figure class="panel">
        <figcaption>Average stars per ${range.unit}</figcaption>
        <${Chart} label=${`Average stars per ${range.unit}, ${range.label.toLowerCase()}`} x=${series.x} y=${series.avgs} series="stars" kind="line" yRange=${[1, 5]} />
      </figure>
    </div>
    <div class="grid3">
      <div class="panel"><${StatsTable} caption="By club status" keyLabel="Club status" rows=${data?.byClub ?? null} /></div>
      <div class="panel"><${StatsTable} caption="By channel" keyLabel="Channel" rows=${data?.byChannel ?? null} /></div>
      <div class="panel">
        <h2 class="panel-h" id="ticker-h">Latest ratings</h2>
        <ol class="ticker" aria-labelledby="ticker-h">
          ${(data?.latest.nodes ?? []).map(
            (r) => html`<li key=${r.id}>
              <span class="stars" aria-label=${`${r.stars} of 5 stars`}>${stars(r.stars)}</span>
              <span class="t-msg">${r.message}</span>
              <span class="sub">${r.customer.fullName} · ${r.channel} · <time datetime=${r.ratedAt}>${time(r.ratedAt)}</time></span>
            </li>`,
          )}
        </ol>
      </div>
    </div>
  </section>`;
}
