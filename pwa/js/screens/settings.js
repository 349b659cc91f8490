/**
 * Pengaturan: install the app first (iOS shows push only for an installed PWA), then, after a click
 * that explains why, ask for notification permission and subscribe (POST /api/push/subscriptions).
 */
import { html, useEffect, useState } from '../html.js';
import { app } from '../app-state.js';
import { Page } from '../ui/components.js';
import { waktu } from '../ui/format.js';
import { MfaCard } from './mfa.js';

function b64ToBytes(b64) {
  const s = atob(b64.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** The notice kinds of GET/PUT /api/push/preferences, with their titles. */
export const NOTICE_KINDS = {
  'deposit.verified': 'Setoran diverifikasi', 'deposit.rejected': 'Setoran ditolak',
  'withdrawal.verified': 'Penarikan diverifikasi', 'withdrawal.rejected': 'Penarikan ditolak',
  'loan.approved': 'Pinjaman disetujui', 'loan.rejected': 'Pinjaman ditolak', 'loan.disbursed': 'Pinjaman dicairkan',
  'loan.installment': 'Angsuran tercatat', 'deduction.applied': 'Perubahan potongan diterapkan', 'mutation.rejected': 'Transaksi ditolak',
};

/** Subscribe and tell the server; never waits for the push service forever (it can hang). */
export async function subscribePush(session, clientId) {
  const reg = await navigator.serviceWorker.ready;
  const key = await session.call('GET', '/api/push/vapid-public-key');
  if (key?.enabled === false) throw new Error('Notifikasi push tidak diaktifkan di server ini.');
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('Layanan notifikasi tidak menjawab.')), 10_000));
  const sub = await Promise.race([reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64ToBytes(key.public_key) }), timeout]);
  await session.call('POST', '/api/push/subscriptions', { body: { ...sub.toJSON(), vapid_public_key: key.public_key, client_id: clientId } });
  return sub;
}

function Preferences() {
  const [kinds, setKinds] = useState(null);
  const [note, setNote] = useState(null);
  useEffect(() => {
    app.syncer?.session.call('GET', '/api/push/preferences').then((p) => setKinds(p.kinds))
      .catch(() => setNote(navigator.onLine ? 'Pengaturan jenis notifikasi belum tersedia di server ini.' : 'Pengaturan jenis notifikasi tersedia saat online.'));
  }, []);
  const toggle = (kind) => async (ev) => {
    const on = ev.currentTarget.checked;
    try {
      const p = await app.syncer.session.call('PUT', '/api/push/preferences', { body: { kinds: { [kind]: on } } });
      setKinds(p.kinds);
    } catch (err) { setNote(err.message); }
  };
  if (!kinds) return note ? html`<p class="muted">${note}</p>` : null;
  return html`<fieldset><legend>Jenis notifikasi</legend>${Object.entries(NOTICE_KINDS).filter(([k]) => k in kinds).map(([k, label]) => html`
    <label class="check"><input type="checkbox" checked=${kinds[k]} onChange=${toggle(k)} /> ${label}</label>`)}</fieldset>
    ${note ? html`<p class="error" role="alert">${note}</p>` : null}`;
}

export function Settings() {
  const [msg, setMsg] = useState(null);
  const enable = async () => {
    try {
      const perm = await Notification.requestPermission();
      if (perm !== 'granted') { setMsg('Izin notifikasi tidak diberikan.'); return; }
      await subscribePush(app.syncer.session, app.profile.clientId);
      setMsg('Notifikasi aktif.');
    } catch (err) { setMsg(`Notifikasi belum dapat diaktifkan: ${err.message}`); }
  };
  const install = async () => {
    const prompt = app.installPrompt;
    if (!prompt) { setMsg('Gunakan menu browser → "Tambahkan ke layar utama".'); return; }
    prompt.prompt();
    await prompt.userChoice.catch(() => null);
    app.installPrompt = null;
  };
  const s = app.sync ?? {};
  return html`<${Page} title="Pengaturan" current="#/pengaturan">
    <section class="card"><h2>Pasang aplikasi</h2><p>Pasang Lumbung di layar utama agar terbuka tanpa sinyal dan dapat menerima notifikasi.</p>
      <button type="button" onClick=${install}>Pasang Aplikasi</button></section>
    <section class="card"><h2>Notifikasi</h2><p>Kami memberi tahu saat setoran, penarikan, atau pinjaman Anda diputuskan, walau aplikasi tertutup.</p>
      <button type="button" id="enable-push" onClick=${enable}>Aktifkan Notifikasi</button><${Preferences} /></section>
    <${MfaCard} />
    <section class="card"><h2>Sinkronisasi</h2><dl class="facts">
      <dt>Sinkron terakhir</dt><dd>${s.lastSync ? waktu(s.lastSync) : '–'}</dd>
      <dt>Kesalahan terakhir</dt><dd>${s.lastError?.message ?? '–'}</dd>
      <dt>Penyimpanan permanen</dt><dd>${s.persisted ? 'Ya' : 'Tidak/belum'}</dd>
      <dt>ID perangkat</dt><dd>${app.profile.clientId}</dd></dl>
      <button type="button" onClick=${() => app.syncer.flush()}>Sinkronkan Sekarang</button></section>
    ${msg ? html`<p class="notice" role="status">${msg}</p>` : null}
  <//>`;
}
