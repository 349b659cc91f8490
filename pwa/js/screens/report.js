/**
 * Bantuan and *Laporkan Masalah*: the user describes a problem; the report (mutation `report.create`)
 * carries the app version and this device's sync state (counts, last sync, error codes: see
 * domain/report.js, never a secret or a row of data) and is queued like any mutation, so it waits
 * offline and is sent with the rest of the outbox. Each report the user sent shows its sync state.
 */
import { html, useEffect, useState } from '../html.js';
import { app, queue } from '../app-state.js';
import { Page, Field, Empty } from '../ui/components.js';
import { waktu } from '../ui/format.js';
import { appVersion, deviceSyncState, reportOp } from '../domain/report.js';
import { validateOp } from '../sync/validate.js';

/** The running shell's version, asked of the service worker (a fallback when there is none). */
function shellVersion() {
  const worker = navigator.serviceWorker?.controller;
  if (!worker) return Promise.resolve('nosw');
  return new Promise((resolve) => {
    const done = (v) => { navigator.serviceWorker.removeEventListener('message', on); resolve(v); };
    const on = (ev) => { if (ev.data?.type === 'version') done(ev.data.version); };
    navigator.serviceWorker.addEventListener('message', on);
    worker.postMessage({ type: 'version' });
    setTimeout(() => done('unknown'), 1000);
  });
}

export function Help() {
  return html`<${Page} title="Bantuan" current="#/bantuan">
    <section class="card"><h2>Laporkan Masalah</h2>
      <p>Ada yang tidak berjalan semestinya? Ceritakan masalahnya kepada pengelola koperasi. Laporan tersimpan walau tanpa sinyal dan terkirim saat online.</p>
      <a class="button primary" id="open-report" href="#/bantuan/laporkan">Laporkan Masalah</a></section>
  <//>`;
}

function reportState(item) {
  if (item.state === 'pending') return html`<span class="badge sync-pending">Menunggu sinkronisasi</span>`;
  if (item.state === 'rejected') return html`<span class="badge st-rejected">Ditolak</span> <span class="reason">${item.message}</span>`;
  return html`<span class="badge st-verified">Terkirim</span>`;
}

export function ReportForm() {
  const [text, setText] = useState('');
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);
  const [version, setVersion] = useState(null);
  useEffect(() => { shellVersion().then(setVersion); }, []);
  const items = app.view?.outbox ?? [];
  const state = deviceSyncState(items, app.sync ?? {});
  const mine = items.filter((i) => i.op?.name === 'report.create').sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
  const submit = async (ev) => {
    ev.preventDefault();
    const description = text.trim();
    if (!description) { setError('Uraian masalah wajib diisi.'); return; }
    const op = reportOp({ reportId: crypto.randomUUID(), description, appVersion: appVersion(version ?? 'unknown'), syncState: state });
    const problems = validateOp(op);
    if (problems.length) { setError(problems[0].message); return; }
    setError(null);
    try {
      await queue(op);
      setText('');
      setSaved(true);
    } catch (err) { setError(err.message); }
  };
  return html`<${Page} title="Laporkan Masalah" current="#/bantuan">
    <form class="form" onSubmit=${submit} novalidate>
      <${Field} label="Uraian masalah" id="report-description" error=${error}
        hint="Tulis apa yang Anda lakukan dan apa yang terjadi. Jangan tulis kata sandi.">
        <textarea id="report-description" rows="5" maxlength="2000" value=${text}
          onInput=${(e) => { setText(e.currentTarget.value); setSaved(false); }}
          aria-describedby=${error ? 'report-description-err' : undefined} aria-invalid=${error ? 'true' : undefined}></textarea><//>
      <section class="card"><h2>Dikirim bersama laporan</h2><dl class="facts" id="report-facts">
        <dt>Versi aplikasi</dt><dd>${appVersion(version ?? '…')}</dd>
        <dt>Menunggu sinkronisasi</dt><dd>${state.pending}</dd>
        <dt>Ditolak</dt><dd>${state.rejected}</dd>
        <dt>Sinkron terakhir</dt><dd>${state.last_sync_at ? waktu(state.last_sync_at) : '–'}</dd>
        <dt>Kode kesalahan terakhir</dt><dd>${state.error_codes.length ? state.error_codes.join(', ') : '–'}</dd></dl>
        <p class="hint">Tidak ada kata sandi, token, atau data anggota lain yang dikirim.</p></section>
      <button class="primary" type="submit" id="send-report">Kirim Laporan</button>
    </form>
    ${saved ? html`<p class="notice ok" id="report-saved" role="status">Laporan tersimpan. Laporan dikirim saat perangkat online.</p>` : null}
    <h2>Laporan saya</h2>
    <ul class="tx-list" id="my-reports">${mine.map((i) => html`<li class="tx"><div class="tx-main"><strong>${i.op.description}</strong></div>
      <div class="tx-sub">${waktu(i.createdAt)}</div><div class="tx-state">${reportState(i)}</div></li>`)}</ul>
    ${mine.length ? null : html`<${Empty}>Belum ada laporan dari perangkat ini.<//>`}
  <//>`;
}
