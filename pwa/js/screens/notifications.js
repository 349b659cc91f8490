/**
 * The Pengaturan cards for Web Push: install first (iOS shows push only for an installed app), then
 * a card that says why before the one click that asks the browser for permission, then the kinds of
 * notice (GET/PUT /api/push/preferences; the feed's `notice_preferences` row carries the choice to
 * every device of the user). Permission is never requested without that click.
 */
import { html, useEffect, useState } from '../html.js';
import { app, changed } from '../app-state.js';
import { isInstalled, isIos, pushSupport, subscribePush, unsubscribePush } from '../sync/push.js';

/** The notice kinds of §19, with the labels the member sees. */
export const NOTICE_KINDS = {
  'deposit.verified': 'Setoran diverifikasi', 'deposit.rejected': 'Setoran ditolak',
  'withdrawal.verified': 'Penarikan diverifikasi', 'withdrawal.rejected': 'Penarikan ditolak',
  'loan.approved': 'Pinjaman disetujui', 'loan.rejected': 'Pinjaman ditolak', 'loan.disbursed': 'Pinjaman dicairkan',
  'loan.installment': 'Angsuran tercatat', 'deduction.applied': 'Perubahan potongan diterapkan', 'mutation.rejected': 'Transaksi ditolak',
};

export function InstallCard() {
  const [msg, setMsg] = useState(null);
  const install = async () => {
    const prompt = app.installPrompt;
    if (!prompt) { setMsg('Gunakan menu browser → "Tambahkan ke layar utama" / "Instal aplikasi".'); return; }
    prompt.prompt();
    const choice = await prompt.userChoice.catch(() => null);
    app.installPrompt = null;
    setMsg(choice?.outcome === 'accepted' ? 'Aplikasi sedang dipasang.' : 'Pemasangan dibatalkan. Anda tetap dapat memakai Lumbung di browser.');
    changed();
  };
  let body;
  if (isInstalled()) body = html`<p id="install-state">Lumbung sudah terpasang di perangkat ini.</p>`;
  else if (isIos() && !app.installPrompt) {
    body = html`<p id="install-state">Di iPhone/iPad: ketuk <strong>Bagikan</strong>, lalu <strong>Tambahkan ke Layar Utama</strong>.
      iOS hanya menampilkan notifikasi untuk aplikasi yang sudah terpasang.</p>`;
  } else {
    body = html`<p>Pasang Lumbung di layar utama agar terbuka tanpa sinyal dan dapat menerima notifikasi.</p>
      <button type="button" id="install-app" onClick=${install}>Pasang Aplikasi</button>`;
  }
  return html`<section class="card" id="install-card"><h2>Pasang aplikasi</h2>${body}
    ${msg ? html`<p class="notice" role="status">${msg}</p>` : null}</section>`;
}

function mySubscriptions() {
  const id = app.profile?.clientId;
  return (app.view?.push_subscription ?? []).filter((r) => r.client_id === id && r.status !== 'removed');
}

/** Explain, then (on click only) ask for permission, subscribe and register this device. */
export function NotificationCard() {
  const [msg, setMsg] = useState(null);
  const [busy, setBusy] = useState(false);
  const support = pushSupport();
  const permission = support === 'ok' ? Notification.permission : 'unsupported';
  const fromFeed = mySubscriptions().some((r) => r.status === 'active');
  const [local, setLocal] = useState(null); // this click's outcome until the feed row says the same
  useEffect(() => { if (local !== null && local === fromFeed) setLocal(null); }, [fromFeed, local]);
  const active = local ?? fromFeed;
  const run = (fn) => async () => {
    setBusy(true);
    setMsg(null);
    try { setMsg(await fn()); } catch (err) { setMsg({ error: `Notifikasi belum dapat diaktifkan: ${err.message}` }); }
    finally { setBusy(false); }
  };
  const enable = run(async () => {
    const perm = await Notification.requestPermission();
    if (perm !== 'granted') return { error: 'Izin notifikasi tidak diberikan. Anda dapat mengizinkannya nanti di pengaturan browser.' };
    await subscribePush(app.syncer.session, app.profile.clientId);
    setLocal(true);
    app.syncer.flush();
    return null; // the state line says it
  });
  const disable = run(async () => {
    await unsubscribePush(app.syncer.session, mySubscriptions());
    setLocal(false);
    app.syncer.flush();
    return 'Notifikasi dimatikan di perangkat ini.';
  });
  let action;
  if (support !== 'ok') action = html`<p class="muted" id="push-state">${support}</p>`;
  else if (permission === 'denied') {
    action = html`<p class="error" id="push-state">Notifikasi diblokir untuk situs ini. Izinkan di pengaturan situs pada browser, lalu buka halaman ini lagi.</p>`;
  } else if (active && permission === 'granted') {
    action = html`<p id="push-state">Notifikasi aktif di perangkat ini.</p>
      <button type="button" id="disable-push" disabled=${busy} onClick=${disable}>Matikan di Perangkat Ini</button>`;
  } else {
    action = html`<button type="button" id="enable-push" disabled=${busy} onClick=${enable}>Aktifkan Notifikasi</button>
      <p class="hint">Setelah menekan tombol, browser akan meminta izin Anda.</p>`;
  }
  const shown = typeof msg === 'string' ? html`<p class="notice" role="status" id="push-msg">${msg}</p>`
    : msg ? html`<p class="error" role="alert" id="push-msg">${msg.error}</p>` : null;
  return html`<section class="card" id="notification-card"><h2>Notifikasi</h2>
    <p>Kami memberi tahu saat setoran, penarikan, atau pinjaman Anda diputuskan, walau aplikasi tertutup.
      Notifikasi hanya berisi transaksi Anda sendiri.</p>
    ${action}${shown}
    ${app.profile?.user?.role === 'anggota' ? html`<${Preferences} />` : null}</section>`;
}

/** The kinds of notice; the feed row wins once pulled, so another device's choice shows here too. */
function Preferences() {
  const fromFeed = app.view?.notice_preferences?.[0]?.kinds ?? null;
  const [loaded, setLoaded] = useState(null);
  const [note, setNote] = useState(null);
  const [saving, setSaving] = useState(null);
  const feedKey = fromFeed ? JSON.stringify(fromFeed) : '';
  useEffect(() => { if (feedKey) setLoaded(null); }, [feedKey]); // a newer feed row (any device) wins
  useEffect(() => {
    if (fromFeed) return;
    app.syncer?.session.call('GET', '/api/push/preferences').then((p) => setLoaded(p.kinds))
      .catch(() => setNote(navigator.onLine ? 'Pilihan jenis notifikasi belum dapat dimuat.' : 'Pilihan jenis notifikasi dapat diubah saat online.'));
  }, []);
  const kinds = loaded ?? fromFeed;
  const toggle = (kind) => async (ev) => {
    const on = ev.currentTarget.checked;
    const before = kinds;
    setNote(null);
    setSaving(kind);
    setLoaded({ ...kinds, [kind]: on }); // shown at once; put back if the server did not take it
    try {
      const p = await app.syncer.session.call('PUT', '/api/push/preferences', { body: { kinds: { [kind]: on } } });
      setLoaded(p.kinds);
      app.syncer.flush();
    } catch (err) {
      setLoaded(before);
      setNote(`Pilihan belum tersimpan: ${err.message}`);
    } finally { setSaving(null); }
  };
  if (!kinds) return note ? html`<p class="muted" id="prefs-note">${note}</p>` : null;
  return html`<fieldset id="notice-kinds" class="kinds"><legend>Jenis notifikasi yang ingin diterima</legend>
    ${Object.entries(NOTICE_KINDS).filter(([k]) => k in kinds).map(([k, label]) => html`
    <label class="check"><input type="checkbox" name=${k} checked=${kinds[k]} disabled=${saving === k} onChange=${toggle(k)} /> ${label}</label>`)}</fieldset>
    ${note ? html`<p class="error" role="alert" id="prefs-note">${note}</p>` : null}`;
}
