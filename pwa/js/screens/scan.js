/**
 * Pindai QR: read a Lumbung QR with the camera (BarcodeDetector where the browser has it, else the
 * vendored jsQR on video frames) or from a photo, then judge it: signature with the feed's `qr_key`
 * (WebCrypto Ed25519), facts against this device's replica, and the server only when the device
 * cannot tell. An officer who scans a member card or a Setoran request lands in Setor Tunai, filled.
 */
import { html, useEffect, useRef, useState } from '../html.js';
import { app } from '../app-state.js';
import { Page } from '../ui/components.js';
import { rupiah } from '../ui/format.js';
import { go } from '../router.js';
import { ASLI, TIDAK_COCOK, checkOffline, parsePayload, reasonText, verifyPayload } from '../domain/qr.js';

const DOC_LABEL = { setoran: 'Slip Setoran', penarikan: 'Slip Penarikan', kartu_simpanan: 'Kartu Simpanan', pinjaman: 'Pinjaman', kas_harian: 'Laporan Kas Harian' };

let jsqr = null;
async function loadJsQR() {
  if (!jsqr) { await import('../../vendor/jsqr/jsQR.js'); jsqr = self.jsQR; } // UMD: sets self.jsQR
  return jsqr;
}

let detector;
function barcodeDetector() {
  if (detector === undefined) {
    try { detector = 'BarcodeDetector' in self ? new self.BarcodeDetector({ formats: ['qr_code'] }) : null; } catch { detector = null; }
  }
  return detector;
}

/** The text of the first QR in an image, video frame or canvas source; null when none is found. */
export async function decodeQr(source, width, height) {
  const bd = barcodeDetector();
  if (bd) {
    try {
      const [hit] = await bd.detect(source);
      if (hit?.rawValue) return hit.rawValue;
    } catch { /* fall through to jsQR */ }
  }
  const decode = await loadJsQR();
  const canvas = document.createElement('canvas');
  const scale = Math.min(1, 1600 / Math.max(width, height));
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
  const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  return decode(data, canvas.width, canvas.height, { inversionAttempts: 'attemptBoth' })?.data ?? null;
}

async function online(payload, body, fallback) {
  if (!navigator.onLine || !app.syncer) return { verdict: null, reason: fallback, body, where: 'perangkat' };
  try {
    const v = await app.syncer.session.call('POST', '/api/qr/verify', { body: { payload } });
    return { verdict: v.verdict, reason: v.reason, body: body ?? {}, where: 'server', status: v.status ?? null };
  } catch {
    return { verdict: null, reason: fallback, body, where: 'perangkat' };
  }
}

/** Judge a scanned payload: on the device first, the server only when the device cannot tell. */
export async function judge(payload, { forceOnline = false } = {}) {
  const parsed = parsePayload(payload);
  if (!parsed.ok) return { verdict: TIDAK_COCOK, reason: parsed.error, body: parsed.body ?? {}, where: 'perangkat' };
  if (forceOnline) return online(payload, parsed.body, 'not_in_replica');
  const keys = (app.view?.qr_key ?? []).map(({ kid, alg, public_key }) => ({ kid, alg, public_key }));
  const sig = keys.length || !parsed.signed ? await verifyPayload(payload, keys) : { ok: false, error: 'no_key' };
  if (!sig.ok && (sig.error === 'unsupported' || sig.error === 'no_key')) return online(payload, parsed.body, sig.error);
  if (!sig.ok) return { verdict: TIDAK_COCOK, reason: sig.error, body: parsed.body, where: 'perangkat' };
  const local = checkOffline(sig.body, app.view ?? {});
  if (local.verdict) return { ...local, body: sig.body, where: 'perangkat' };
  return online(payload, sig.body, local.reason);
}

/** Where an officer goes after a member card or Setoran request: Setor Tunai, filled in. */
export function depositLink(body) {
  const q = new URLSearchParams({ member: String(body.m) });
  if (body.t === 'setoran') { q.set('savings_type', String(body.s)); q.set('amount', String(body.a)); }
  return `#/petugas?${q}`;
}

function Verdict({ result, onOnline }) {
  const b = result.body ?? {};
  const cls = result.verdict === ASLI ? 'verdict asli' : result.verdict === TIDAK_COCOK ? 'verdict tidak' : 'verdict unknown';
  const title = result.verdict ?? 'Belum dapat dipastikan';
  // A code whose signature fails says nothing we may show as fact (the forger wrote it).
  const forged = result.verdict === TIDAK_COCOK && String(result.reason).startsWith('qr_');
  const what = b.t === 'doc' ? DOC_LABEL[b.d] ?? 'Dokumen' : b.t === 'card' ? 'Kartu Anggota' : b.t === 'setoran' ? 'Permintaan Setoran' : null;
  return html`<section class=${cls} id="qr-result" role="status" aria-live="polite">
    <h2 id="qr-verdict">${title}</h2>
    <p id="qr-reason">${reasonText(result.reason)}</p>
    ${forged ? html`<p>Isi kode tidak ditampilkan karena tidak dapat dipercaya.</p>` : null}
    <dl class="facts">
      ${what && !forged ? html`<dt>Jenis</dt><dd>${what}</dd>` : null}
      ${forged ? null : html`
        ${b.c ? html`<dt>Kode</dt><dd>${b.c}</dd>` : null}
        ${typeof b.a === 'number' ? html`<dt>Jumlah</dt><dd>${rupiah(b.a)}</dd>` : null}
        ${b.n ? html`<dt>${b.d === 'kas_harian' ? 'Petugas' : 'No. Anggota'}</dt><dd>${b.n}</dd>` : null}
        ${b.nm ? html`<dt>Nama</dt><dd>${b.nm}</dd>` : null}
        ${b.at ? html`<dt>Dicetak</dt><dd>${b.at}</dd>` : null}`}
      ${result.status ? html`<dt>Status sekarang</dt><dd>${result.status}</dd>` : null}
      <dt>Diperiksa</dt><dd id="qr-where">${result.where === 'server' ? 'di server (online)' : 'di perangkat (offline)'}</dd>
    </dl>
    ${result.verdict === null ? html`<button type="button" id="qr-online" onClick=${onOnline}>Periksa Online</button>` : null}
  </section>`;
}

export function Scan() {
  const role = app.profile.user.role;
  const [result, setResult] = useState(null);
  const [payload, setPayload] = useState(null);
  const [note, setNote] = useState(null);
  const [camera, setCamera] = useState(false);
  const video = useRef(null);
  const stream = useRef(null);

  const stop = () => {
    stream.current?.getTracks().forEach((t) => t.stop());
    stream.current = null;
    setCamera(false);
  };
  useEffect(() => stop, []);

  const handle = async (text, opts) => {
    setPayload(text);
    setNote(null);
    const r = await judge(text, opts);
    const b = r.body ?? {};
    if (role === 'petugas' && (b.t === 'card' || b.t === 'setoran') && r.verdict === ASLI) {
      if ((app.view?.member ?? []).some((m) => m.id === b.m && (app.profile.user.location_ids ?? []).includes(m.location_id))) { go(depositLink(b)); return; }
      r.reason = 'member_elsewhere';
    }
    setResult(r);
  };

  const fromFile = async (ev) => {
    const file = ev.currentTarget.files?.[0];
    ev.currentTarget.value = '';
    if (!file) return;
    setResult(null);
    setNote('Membaca gambar…');
    try {
      const bitmap = await createImageBitmap(file);
      const text = await decodeQr(bitmap, bitmap.width, bitmap.height);
      if (!text) { setNote('Tidak ada kode QR yang terbaca di gambar ini. Coba foto yang lebih dekat dan terang.'); return; }
      await handle(text);
    } catch {
      setNote('Gambar tidak dapat dibaca.');
    }
  };

  const startCamera = async () => {
    setResult(null);
    if (!navigator.mediaDevices?.getUserMedia) { setNote('Kamera tidak tersedia di peramban ini. Gunakan "Pilih Foto".'); return; }
    try {
      stream.current = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    } catch {
      setNote('Izin kamera ditolak atau kamera tidak ada. Gunakan "Pilih Foto".');
      return;
    }
    setCamera(true);
    setNote('Arahkan kamera ke kode QR.');
    const el = video.current;
    el.srcObject = stream.current;
    await el.play().catch(() => {});
    const tick = async () => {
      if (!stream.current) return;
      if (el.videoWidth) {
        const text = await decodeQr(el, el.videoWidth, el.videoHeight).catch(() => null);
        if (text) { stop(); await handle(text); return; }
      }
      setTimeout(tick, 250);
    };
    tick();
  };

  return html`<${Page} title="Pindai QR" current="#/pindai">
    <p class="muted">Pindai kode QR pada slip, kartu simpanan, laporan, kartu anggota atau permintaan setoran. Pemeriksaan berjalan di perangkat, juga tanpa sinyal.</p>
    <div class="row2">
      ${camera ? html`<button type="button" id="qr-stop" onClick=${stop}>Tutup Kamera</button>`
        : html`<button class="primary" type="button" id="qr-camera" onClick=${startCamera}>Buka Kamera</button>`}
      <label class="button" for="qr-file">Pilih Foto</label>
    </div>
    <input class="visually-hidden" id="qr-file" type="file" accept="image/*" capture="environment" onChange=${fromFile} />
    <video ref=${video} class=${camera ? 'scanner' : 'scanner hidden'} muted playsinline aria-label="Kamera pemindai"></video>
    ${note ? html`<p class="notice" id="qr-note" role="status">${note}</p>` : null}
    ${result ? html`<${Verdict} result=${result} onOnline=${() => handle(payload, { forceOnline: true })} />` : null}
  <//>`;
}
