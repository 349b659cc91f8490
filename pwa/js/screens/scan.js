/**
 * Pindai QR: read a Lumbung QR with the camera (BarcodeDetector where the browser has it, else the
 * vendored jsQR on video frames, loaded on first use: ui/qr-decoder.js) or from a photo, then judge
 * it: signature with the feed's `qr_key` (WebCrypto Ed25519), facts against this device's replica, and the server only when the device
 * cannot tell. An officer who scans a member card or a Setoran request lands in Setor Tunai, filled.
 */
import { html, useEffect, useRef, useState } from '../html.js';
import { app } from '../app-state.js';
import { Page } from '../ui/components.js';
import { rupiah } from '../ui/format.js';
import { go } from '../router.js';
import { ASLI, TIDAK_COCOK, checkOffline, parsePayload, reasonText, verifyPayload } from '../domain/qr.js';
import { DecoderUnavailable, UNAVAILABLE_TEXT, decodeQr, ensureDecoder } from '../ui/qr-decoder.js';

const DOC_LABEL = { setoran: 'Slip Setoran', penarikan: 'Slip Penarikan', kartu_simpanan: 'Kartu Simpanan', pinjaman: 'Pinjaman', kas_harian: 'Laporan Kas Harian' };

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
  const [decoder, setDecoder] = useState('loading'); // 'loading' | 'native' | 'jsqr' | 'unavailable'
  const video = useRef(null);
  const stream = useRef(null);

  // First use: load the decoder now (from the service worker's cache offline); offline before it was
  // ever fetched, say so and try again when the connection returns.
  useEffect(() => {
    let live = true;
    let tries = 0;
    let timer = null;
    const load = () => ensureDecoder().then((d) => live && setDecoder(d)).catch(() => {
      if (!live) return;
      setDecoder('unavailable');
      // 'online' can come a moment before the network answers: a few more tries, further apart.
      if (navigator.onLine && tries < 4) { tries += 1; timer = setTimeout(load, 1000 * tries); }
    });
    const reconnect = () => { tries = 0; clearTimeout(timer); load(); };
    load();
    window.addEventListener('online', reconnect);
    return () => { live = false; clearTimeout(timer); window.removeEventListener('online', reconnect); };
  }, []);

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
    } catch (err) {
      if (err instanceof DecoderUnavailable) { setNote(null); setDecoder('unavailable'); return; }
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
        const text = await decodeQr(el, el.videoWidth, el.videoHeight).catch((err) => {
          if (err instanceof DecoderUnavailable) { stop(); setNote(null); setDecoder('unavailable'); }
          return null;
        });
        if (!stream.current) return;
        if (text) { stop(); await handle(text); return; }
      }
      setTimeout(tick, 250);
    };
    tick();
  };

  return html`<${Page} title="Pindai QR" current="#/pindai">
    <p class="muted">Pindai kode QR pada slip, kartu simpanan, laporan, kartu anggota atau permintaan setoran. Pemeriksaan berjalan di perangkat, juga tanpa sinyal.</p>
    ${decoder === 'unavailable' ? html`<p class="notice" id="qr-unavailable" role="status">${UNAVAILABLE_TEXT}</p>` : null}
    ${decoder === 'unavailable' ? null : html`<div class="row2">
      ${camera ? html`<button type="button" id="qr-stop" onClick=${stop}>Tutup Kamera</button>`
        : html`<button class="primary" type="button" id="qr-camera" onClick=${startCamera}>Buka Kamera</button>`}
      <label class="button" for="qr-file">Pilih Foto</label>
    </div>
    <input class="visually-hidden" id="qr-file" type="file" accept="image/*" capture="environment" onChange=${fromFile} />`}
    <video ref=${video} class=${camera ? 'scanner' : 'scanner hidden'} muted playsinline aria-label="Kamera pemindai"></video>
    ${note ? html`<p class="notice" id="qr-note" role="status">${note}</p>` : null}
    ${result ? html`<${Verdict} result=${result} onOnline=${() => handle(payload, { forceOnline: true })} />` : null}
  <//>`;
}
