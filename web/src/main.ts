/**
 * The operational dashboard: a client of the product's public GraphQL API
 * (HTTP + graphql-transport-ws on the same origin), nothing else.
 */
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { ApiError, gql, onConnectionState, probe, setKey, storedKey, type ConnectionState, type Viewer } from './api.js';
import { html } from './html.js';
import { onLinkClick, useRoute, type Route } from './router.js';
import { ComplaintPage } from './views/complaint.js';
import { Complaints } from './views/complaints.js';
import { Overview } from './views/overview.js';
import { Pipeline } from './views/pipeline.js';
import { Search } from './views/search.js';

type Access = { state: 'checking' } | { state: 'prompt'; refused: boolean } | { state: 'ready'; viewer: Viewer } | { state: 'error'; message: string };

const VIEWER_QUERY = 'query Viewer { viewer { name role openAccess } }';

/** A new key (or none) is tried on a bare WebSocket first: a refusal there logs nothing in the console, unlike a 401. */
async function signIn(key: string | null): Promise<Access> {
  if (!(await probe(key))) return { state: 'prompt', refused: key !== null };
  setKey(key);
  const { viewer } = await gql<{ viewer: Viewer }>(VIEWER_QUERY);
  return { state: 'ready', viewer };
}

/** The key kept for this tab was accepted before: one query, no probe (a key revoked since gets the prompt). */
async function resume(): Promise<Access> {
  try {
    const { viewer } = await gql<{ viewer: Viewer }>(VIEWER_QUERY);
    return { state: 'ready', viewer };
  } catch (e) {
    if (e instanceof ApiError && e.code === 'UNAUTHENTICATED') {
      setKey(null);
      return signIn(null);
    }
    throw e;
  }
}

function KeyPrompt({ refused, onKey }: { refused: boolean; onKey: (key: string) => void }) {
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  return html`<main id="main" class="prompt">
    <form
      class="card"
      onSubmit=${(e: Event) => {
        e.preventDefault();
        const v = input.current?.value.trim() ?? '';
        if (v) onKey(v);
      }}
    >
      <h1>Feedback gateway</h1>
      <p>This gateway needs an API key. It is kept for this browser tab only.</p>
      <label for="api-key">API key</label>
      <input id="api-key" ref=${input} type="password" autocomplete="current-password" required aria-describedby=${refused ? 'key-error' : undefined} />
      ${refused ? html`<p id="key-error" class="error" role="alert">That key was refused. Check it and try again.</p>` : null}
      <button type="submit" class="primary">Sign in</button>
    </form>
  </main>`;
}

function Connection() {
  const [state, setState] = useState<ConnectionState>('idle');
  useEffect(() => onConnectionState(setState), []);
  // Views without subscriptions (search, pipeline) hold no socket: nothing to show, same width.
  const label = state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : state === 'reconnecting' ? 'Reconnecting…' : '';
  return html`<span class="conn conn-${state}" role="status" title="Live updates over WebSocket">${label ? html`<span class="dot" aria-hidden="true"></span>${label}` : null}</span>`;
}

const NAV: readonly { path: string; label: string; views: Route['view'][] }[] = [
  { path: '/', label: 'Overview', views: ['overview'] },
  { path: '/complaints', label: 'Complaints', views: ['complaints', 'complaint'] },
  { path: '/search', label: 'Search', views: ['search'] },
  { path: '/pipeline', label: 'Pipeline', views: ['pipeline'] },
];

function Shell({ viewer, onSignOut }: { viewer: Viewer; onSignOut: () => void }) {
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    const title = NAV.find((n) => n.views.includes(route.view))?.label ?? 'Not found';
    document.title = `${route.view === 'complaint' ? `Complaint ${route.id}` : title} · Feedback gateway`;
    // Moves focus to the new view for keyboard and screen-reader users (not on the first load).
    if (!first.current) main.current?.focus();
    first.current = false;
  }, [route]);
  const canAct = viewer.role === 'AGENT';
  let view;
  switch (route.view) {
    case 'overview':
      view = html`<${Overview} />`;
      break;
    case 'complaints':
      view = html`<${Complaints} canAct=${canAct} />`;
      break;
    case 'complaint':
      view = html`<${ComplaintPage} id=${route.id} canAct=${canAct} />`;
      break;
    case 'search':
      view = html`<${Search} />`;
      break;
    case 'pipeline':
      view = html`<${Pipeline} />`;
      break;
    default:
      view = html`<h1>Not found</h1><p>No such page. <a href="/">Back to the overview</a>.</p>`;
  }
  return html`<div class="shell" onClick=${onLinkClick}>
    <a class="skip" href="#main" onClick=${(e: Event) => {
      e.preventDefault();
      main.current?.focus();
    }}>Skip to content</a>
    <header class="top">
      <span class="brand">Feedback gateway</span>
      <nav aria-label="Views">
        <ul>
          ${NAV.map((n) => html`<li><a href=${n.path} aria-current=${n.views.includes(route.view) ? 'page' : undefined}>${n.label}</a></li>`)}
        </ul>
      </nav>
      <span class="who">
        <${Connection} />
        <span class="viewer">${viewer.openAccess ? 'Open access' : `${viewer.name} · ${viewer.role === 'AGENT' ? 'agent' : 'viewer'}`}</span>
        ${viewer.openAccess ? null : html`<button type="button" class="link" onClick=${onSignOut}>Sign out</button>`}
      </span>
    </header>
    <main id="main" ref=${main} tabindex="-1">${view}</main>
  </div>`;
}

function App() {
  const [access, setAccess] = useState<Access>({ state: 'checking' });
  const attempt = (key: string | null): void => {
    setAccess({ state: 'checking' });
    signIn(key)
      .then(setAccess)
      .catch((e: unknown) => setAccess({ state: 'error', message: e instanceof Error ? e.message : String(e) }));
  };
  useEffect(() => {
    // The key kept for this tab; else try without one (open access needs no prompt).
    if (storedKey() !== null) {
      resume()
        .then(setAccess)
        .catch((e: unknown) => setAccess({ state: 'error', message: e instanceof Error ? e.message : String(e) }));
    } else attempt(null);
  }, []);
  switch (access.state) {
    case 'checking':
      return html`<p class="boot" role="status">Connecting to the gateway…</p>`;
    case 'prompt':
      return html`<${KeyPrompt} refused=${access.refused} onKey=${attempt} />`;
    case 'error':
      return html`<main id="main" class="prompt"><div class="card"><h1>Feedback gateway</h1><p class="error" role="alert">${access.message}</p><button type="button" onClick=${() => attempt(storedKey())}>Try again</button></div></main>`;
    case 'ready':
      return html`<${Shell}
        viewer=${access.viewer}
        onSignOut=${() => {
          setKey(null);
          setAccess({ state: 'prompt', refused: false });
        }}
      />`;
  }
}

render(html`<${App} />`, document.getElementById('app')!);
