/**
 * Documents and QR codes on screen: a button that fetches a PDF from the server with the token and
 * hands it over as a blob URL (the server never stores a document, so there is nothing to cache:
 * offline it says so), and a QR drawn as SVG squares from a payload with the vendored encoder, so a
 * card or a Setoran request shows offline too and no server markup is ever inserted as HTML.
 */
import { html, useEffect, useState } from '../html.js';
import { app } from '../app-state.js';
import { PROTOCOL } from '../sync/api.js';
import { qrcode } from '../../vendor/qrcode-generator/qrcode.js';

const OFFLINE = 'Dokumen PDF dibuat oleh server: sambungkan ke internet untuk mengunduhnya.';

/** GET a PDF with the session's token (refreshed once if it expired); resolves to a Blob. */
export async function fetchPdf(path, query = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  const session = app.syncer.session;
  const get = () => fetch(url, { headers: { Authorization: `Bearer ${session.token}`, 'X-Lumbung-Protocol': PROTOCOL }, cache: 'no-store' });
  let res;
  try {
    res = await get();
    if (res.status === 401) { await session.refresh(); res = await get(); }
  } catch {
    throw new Error(OFFLINE);
  }
  if (!res.ok) {
    let message = `Server menjawab ${res.status}.`;
    try { message = (await res.json()).message ?? message; } catch { /* not JSON */ }
    throw new Error(message);
  }
  const blob = await res.blob();
  if (!blob.type.startsWith('application/pdf')) throw new Error('Jawaban server bukan PDF.');
  return blob;
}

/** "Cetak …" button: fetch, then download the PDF and keep a link to open it again. */
export function PdfButton({ path, query, filename, label, id }) {
  const [state, setState] = useState({ busy: false, url: null, error: null });
  useEffect(() => () => state.url && URL.revokeObjectURL(state.url), [state.url]);
  const run = async () => {
    if (!navigator.onLine) { setState({ busy: false, url: null, error: OFFLINE }); return; }
    setState({ busy: true, url: null, error: null });
    try {
      const url = URL.createObjectURL(await fetchPdf(path, query));
      const a = document.createElement('a');
      a.href = url;
      a.download = filename;
      a.rel = 'noopener';
      document.body.appendChild(a);
      a.click();
      a.remove();
      setState({ busy: false, url, error: null });
    } catch (err) {
      setState({ busy: false, url: null, error: err.message });
    }
  };
  return html`<span class="pdf-action">
    <button type="button" id=${id} class="pdf" onClick=${run} disabled=${state.busy} aria-busy=${state.busy ? 'true' : undefined}>${state.busy ? 'Menyiapkan PDF…' : label}</button>
    ${state.url ? html` <a class="pdf-open" href=${state.url} target="_blank" rel="noopener" data-type="application/pdf">Buka PDF</a>` : null}
    ${state.error ? html`<span class="error pdf-error" role="alert">${state.error}</span>` : null}
  </span>`;
}

/** The module matrix of a QR for `text` (error level M, like the server's). */
export function qrMatrix(text) {
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  const rows = [];
  for (let r = 0; r < n; r += 1) {
    const row = [];
    for (let c = 0; c < n; c += 1) row.push(qr.isDark(r, c));
    rows.push(row);
  }
  return rows;
}

/** A QR as an SVG element (one path of unit squares, four modules of quiet zone). */
export function QrImage({ text, label, id }) {
  const m = qrMatrix(text);
  const n = m.length;
  let d = '';
  m.forEach((row, r) => row.forEach((dark, c) => { if (dark) d += `M${c + 4} ${r + 4}h1v1h-1z`; }));
  return html`<svg id=${id} class="qr" viewBox=${`0 0 ${n + 8} ${n + 8}`} role="img" aria-label=${label} shape-rendering="crispEdges">
    <rect width="100%" height="100%" fill="#fff" /><path d=${d} fill="#000" /></svg>`;
}
