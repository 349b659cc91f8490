/** A hash router: `#/setoran/baru` → {path: ['setoran', 'baru'], query}. Works offline, no server routes. */
import { useEffect, useState } from './html.js';

export function parseHash(hash = location.hash) {
  const [p, q] = hash.replace(/^#\/?/, '').split('?');
  return { path: p ? p.split('/').map(decodeURIComponent) : [], query: Object.fromEntries(new URLSearchParams(q ?? '')) };
}

export function useRoute() {
  const [route, setRoute] = useState(parseHash());
  useEffect(() => {
    const on = () => { setRoute(parseHash()); window.scrollTo(0, 0); };
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function go(path) {
  location.hash = path.startsWith('#') ? path : `#${path}`;
}
