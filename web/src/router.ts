/** History-API routing for the dashboard's few paths (the server answers index.html for each). */
import { useEffect, useState } from 'preact/hooks';

export type Route = { view: 'overview' } | { view: 'complaints' } | { view: 'complaint'; id: string } | { view: 'search' } | { view: 'pipeline' } | { view: 'not-found' };

export function parseRoute(path: string): Route {
  const p = path.replace(/\/+$/, '') || '/';
  if (p === '/') return { view: 'overview' };
  if (p === '/complaints') return { view: 'complaints' };
  if (p === '/search') return { view: 'search' };
  if (p === '/pipeline') return { view: 'pipeline' };
  const m = /^\/complaints\/([^/]+)$/.exec(p);
  if (m?.[1]) return { view: 'complaint', id: decodeURIComponent(m[1]) };
  return { view: 'not-found' };
}

export function navigate(path: string): void {
  if (path === location.pathname) return;
  history.pushState(null, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const on = (): void => setRoute(parseRoute(location.pathname));
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return route;
}

/** Same-origin link clicks become pushState navigation (modified clicks keep their browser meaning). */
export function onLinkClick(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element | null)?.closest('a');
  if (!a || a.origin !== location.origin || a.target) return;
  e.preventDefault();
  navigate(a.pathname);
}
