/**
 * Shared pieces: the header with the sync state, navigation, labelled fields with their error next
 * to them, the rupiah input that formats while typing, status and sync badges. User text is always
 * rendered as text (htm builds elements; nothing here uses innerHTML).
 */
import { html, useState } from '../html.js';
import { liveFormat } from '../domain/money.js';
import { app, changed, dismiss, logout } from '../app-state.js';
import { request } from '../sync/api.js';
import { statusLabel } from '../sync/view.js';
import { rupiah, waktu } from './format.js';

let askedBranding = false;
/**
 * The cooperative's white-label from the feed (`branding`); until the admin first saves one the feed
 * has no row, so the server's current answer (GET /branding) stands in. Applied to the browser's
 * theme colour too.
 */
export function branding() {
  if (!app.view?.branding?.length && !askedBranding) {
    askedBranding = true;
    request('GET', '/branding').then((b) => { app.brandingFallback = b; changed(); }).catch(() => { askedBranding = false; });
  }
  const b = app.view?.branding?.[0] ?? app.brandingFallback ?? null;
  const meta = document.querySelector('meta[name=theme-color]');
  if (b?.theme_color && meta && meta.content !== b.theme_color) meta.content = b.theme_color;
  return b;
}

export function Header() {
  const s = app.sync ?? {};
  const online = s.online !== false && navigator.onLine;
  const pending = app.view?.pendingCount ?? 0;
  const u = app.profile?.user;
  const b = branding();
  const logo = b?.logo_sha256 ? `/branding/logo?v=${b.logo_sha256.slice(0, 12)}` : null;
  return html`<header class="top" role="banner" style=${b?.theme_color ? { backgroundColor: b.theme_color } : undefined}>
    <div class="brand"><a href="#/" id="brand-name" title=${b?.name ?? 'Lumbung'}>${logo ? html`<img class="brand-logo" src=${logo} alt="" width="24" height="24" />` : null}${b?.short_name || b?.name || 'Lumbung'}</a>${u ? html`<span class="who">${u.name}</span>` : null}</div>
    <div class="syncbar" aria-live="polite">
      <span id="net-state" class=${online ? 'net on' : 'net off'}>${online ? 'Online' : 'Offline'}</span>
      <span id="pending-count" class="pending" title="Menunggu sinkronisasi">${pending} menunggu</span>
      <span id="last-sync" class="last">${s.syncing ? 'Menyinkronkan…' : s.lastSync ? `Sinkron ${waktu(s.lastSync)}` : 'Belum pernah sinkron'}</span>
    </div>
    ${s.updateNeeded ? html`<p class="banner warn" role="alert">Versi aplikasi tidak didukung server. Perbarui aplikasi; transaksi tertunda tetap tersimpan.</p>` : null}
    ${app.loginReason ? html`<p class="banner warn" role="alert">${app.loginReason} <a href="#/masuk">Masuk</a></p>` : null}
    ${app.updateAvailable ? html`<p class="banner info" role="status">Versi baru tersedia. <button id="reload-app" type="button" onClick=${app.applyUpdate}>Muat ulang</button></p>` : null}
  </header>`;
}

const MENUS = {
  anggota: [['#/', 'Dashboard'], ['#/setoran', 'Setoran Simpanan'], ['#/perubahan-setoran', 'Perubahan Setoran'],
    ['#/penarikan', 'Penarikan Simpanan'], ['#/pinjaman', 'Pengajuan Pinjaman'], ['#/kartu-anggota', 'Kartu Anggota'], ['#/pindai', 'Pindai QR'], ['#/pengaturan', 'Pengaturan'], ['#/bantuan', 'Bantuan']],
  petugas: [['#/petugas', 'Setor Tunai'], ['#/verifikasi', 'Verifikasi'], ['#/kas', 'Kas di Tangan'],
    ['#/pencairan', 'Pinjaman'], ['#/pindai', 'Pindai QR'], ['#/pengaturan', 'Pengaturan'], ['#/bantuan', 'Bantuan']],
  pengurus: [['#/persetujuan', 'Persetujuan Pinjaman'], ['#/audit', 'Log Audit'], ['#/struktur', 'Pengurus & Pengawas'], ['#/pindai', 'Pindai QR'], ['#/pengaturan', 'Pengaturan'], ['#/bantuan', 'Bantuan']],
  admin: [['#/persetujuan', 'Persetujuan Pinjaman'], ['#/admin/anggota', 'Data Anggota'], ['#/admin/pengguna', 'Pengguna'],
    ['#/admin/koperasi', 'Data Koperasi'], ['#/admin/pengurus', 'Atur Pengurus'],
    ['#/admin/produk', 'Produk Pinjaman'], ['#/admin/potong-gaji', 'Profil Potong Gaji'], ['#/admin/kesehatan', 'Kesehatan Sistem'], ['#/admin/laporan', 'Laporan Masalah'],
    ['#/audit', 'Log Audit'], ['#/pengaturan', 'Pengaturan'], ['#/bantuan', 'Bantuan']],
};
// Every member sees the board structure (Pengurus & Pengawas).
MENUS.anggota.splice(MENUS.anggota.length - 1, 0, ['#/struktur', 'Pengurus & Pengawas']);
MENUS.petugas.splice(MENUS.petugas.length - 1, 0, ['#/struktur', 'Pengurus & Pengawas']);

export function Nav({ current }) {
  const role = app.profile?.user?.role;
  const items = MENUS[role] ?? [];
  return html`<nav class="menu" aria-label="Menu utama"><ul>
    ${items.map(([href, label]) => html`<li><a href=${href} aria-current=${current === href ? 'page' : undefined}>${label}</a></li>`)}
    <li><button type="button" class="linkish" onClick=${() => logout().then(() => { location.hash = '#/masuk'; })}>Keluar</button></li>
  </ul></nav>`;
}

export function Page({ title, current, children }) {
  return html`<${Header} /><${Nav} current=${current} /><main id="main"><h1>${title}</h1>${children}</main>`;
}

let fieldSeq = 0;
export function Field({ label, error, id, hint, children }) {
  const fid = id ?? `f${++fieldSeq}`;
  const child = typeof children === 'function' ? children(fid, error ? `${fid}-err` : undefined) : children;
  return html`<div class=${error ? 'field has-error' : 'field'}>
    <label for=${fid}>${label}</label>
    ${child}
    ${hint ? html`<small class="hint">${hint}</small>` : null}
    ${error ? html`<p class="error" id=${`${fid}-err`} role="alert">${error}</p>` : null}
  </div>`;
}

/** Text input that shows Rp1.250.000-style grouping while typing; reports the raw text. */
export function AmountInput({ id, value, onInput, describedby, name }) {
  const [text, setText] = useState(value ?? '');
  const handle = (ev) => {
    const el = ev.currentTarget;
    const out = liveFormat(el.value, el.selectionStart ?? el.value.length);
    el.value = out.text;
    try { el.setSelectionRange(out.caret, out.caret); } catch { /* not focused */ }
    setText(out.text);
    onInput?.(out.text, out.value);
  };
  return html`<div class="amount"><span aria-hidden="true">Rp</span><input id=${id} name=${name} inputmode="numeric"
    autocomplete="off" value=${text} onInput=${handle} aria-describedby=${describedby} aria-invalid=${describedby ? 'true' : undefined} /></div>`;
}

export function StatusBadge({ status }) {
  return html`<span class=${`badge st-${status}`}>${statusLabel(status)}</span>`;
}

/** The sync state of a row: Menunggu sinkronisasi, the server's status, or Ditolak with its reason. */
export function SyncState({ row }) {
  const s = row.sync;
  if (s?.state === 'pending') return html`<span class="badge sync-pending">Menunggu sinkronisasi</span>`;
  if (s?.state === 'rejected') return html`<span class="badge st-rejected">Ditolak</span> <span class="reason">${s.message}</span>`;
  return html`<${StatusBadge} status=${row.status} />${row.status === 'rejected' && row.reason ? html` <span class="reason">${row.reason}</span>` : null}`;
}

const OP_LABEL = {
  'deposit.create': 'Setoran', 'deposit.verify': 'Verifikasi setoran', 'deposit.reject': 'Penolakan setoran',
  'deposit.cancel': 'Pembatalan setoran', 'withdrawal.create': 'Penarikan', 'withdrawal.verify': 'Verifikasi penarikan',
  'withdrawal.reject': 'Penolakan penarikan', 'withdrawal.cancel': 'Pembatalan penarikan', 'loan.apply': 'Pengajuan pinjaman',
  'loan.approve': 'Persetujuan pinjaman', 'loan.reject': 'Penolakan pinjaman', 'loan.cancel': 'Pembatalan pinjaman',
  'loan.disburse': 'Pencairan pinjaman', 'loan.repay': 'Angsuran tunai', 'deduction_change.create': 'Perubahan setoran',
  'deduction_change.cancel': 'Pembatalan perubahan setoran', 'report.create': 'Laporan masalah',
};

/** What a queued operation was, in the words of the screens: "Setoran Rp150.000 · Ratna Dewi". */
export function describeOp(op, members = new Map()) {
  const parts = [OP_LABEL[op.name] ?? op.name];
  if (Number.isInteger(op.amount)) parts[0] += ` ${rupiah(op.amount)}`;
  else if (Number.isInteger(op.new_amount)) parts[0] += ` ${rupiah(op.new_amount)}`;
  const member = members.get(op.member_id);
  if (member) parts.push(member.name);
  return parts.join(' · ');
}

/**
 * The refusals of this device's queue the user has not closed yet, each with the server's reason
 * (DESIGN rule 3: a rejected item never vanishes silently). ``only`` picks the operations a screen
 * is about (an officer's cash, say); without it every refusal is listed.
 */
export function RejectedItems({ only = null }) {
  const members = new Map((app.view?.member ?? []).map((m) => [m.id, m]));
  const items = (app.view?.outbox ?? []).filter((i) => i.state === 'rejected' && !i.dismissed && (!only || only.includes(i.op.name)));
  if (!items.length) return null;
  return html`<section class="card rejected" id="rejected-items" aria-labelledby="rejected-title">
    <h2 id="rejected-title">Transaksi ditolak</h2>
    <p class="muted">Server menolak transaksi berikut; tidak ada yang tercatat. Periksa alasannya, lalu tutup.</p>
    <ul class="tx-list">${items.map((i) => html`<li class="tx" data-uuid=${i.uuid}>
      <div class="tx-main"><strong>${describeOp(i.op, members)}</strong></div>
      <div class="tx-sub">Dicatat ${waktu(i.createdAt)}</div>
      <div class="tx-state"><span class="badge st-rejected">Ditolak</span> <span class="reason">${i.message}</span></div>
      <button type="button" class="dismiss" onClick=${() => dismiss(i.uuid)}>Tutup</button>
    </li>`)}</ul>
  </section>`;
}

export function Empty({ children }) {
  return html`<p class="empty">${children}</p>`;
}
