/**
 * Online-only admin calls: the screens that change reference data talk to the server directly (the
 * change comes back through the feed), so they say plainly when there is no connection.
 */
import { useEffect, useState } from '../html.js';
import { app } from '../app-state.js';

/** One API call as the signed-in user (refreshes an expired token once). */
export function call(method, path, options = {}) {
  return app.syncer.session.call(method, path, options);
}

/** GET `path` once (and again when `key` changes): {data, error, reload}. */
export function useGet(path, key = '') {
  const [state, setState] = useState({ data: null, error: null });
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    call('GET', path).then((data) => live && setState({ data, error: null }))
      .catch((err) => live && setState({ data: null, error: navigator.onLine ? err.message : 'Tersedia saat online.' }));
    return () => { live = false; };
  }, [path, key, n]);
  return { ...state, reload: () => setN(n + 1) };
}

/** "Tersimpan" / the server's message after an admin action. */
export function useNote() {
  const [note, setNote] = useState(null);
  const run = async (fn, ok = 'Tersimpan.') => {
    try { const r = await fn(); setNote({ ok: true, text: ok }); return r; }
    catch (err) { setNote({ ok: false, text: err.message }); return null; }
  };
  return [note, run, setNote];
}
