/**
 * Admin operations (issue 10): Kesehatan Sistem (backups and the server's figures), Laporan Masalah
 * (problem reports from the apps), Produk Pinjaman and Profil Potong Gaji. Health, backups and reports
 * are online-only reads; products and profiles change through one PUT and come back through the feed.
 */
import { html, useState } from '../html.js';
import { app } from '../app-state.js';
import { Page, Field, AmountInput, Empty } from '../ui/components.js';
import { rupiah, tanggal, waktu } from '../ui/format.js';
import { call, useGet, useNote } from '../ui/online.js';
import { Note, CATEGORIES } from './admin-members.js';
import { liveFormat } from '../domain/money.js';

/** An amount as the amount input shows it while typing (1.250.000), '' for none. */
const grouped = (n) => (n === null || n === undefined ? '' : liveFormat(String(n), 0).text);

/** "3 jam lalu": an age in seconds, coarse on purpose. */
export function umur(seconds) {
  const s = Math.max(0, Number(seconds) || 0);
  if (s < 60) return 'baru saja';
  if (s < 3600) return `${Math.floor(s / 60)} menit lalu`;
  if (s < 86400) return `${Math.floor(s / 3600)} jam lalu`;
  return `${Math.floor(s / 86400)} hari lalu`;
}

const ukuran = (bytes) => (bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1).replace('.', ',')} MB` : `${Math.ceil((bytes || 0) / 1024)} KB`);
/** "3 Des 2026 02:00 WIT": the server's next run, on the wall clock of the zone it was scheduled in
 * (the ISO text carries that zone's offset, so its digits are already that clock). */
export const jadwal = (iso, zone) => (iso ? `${tanggal(iso.slice(0, 10))} ${iso.slice(11, 16)}${zone ? ` ${zone}` : ''}` : '–');
const TRIGGER = { daily: 'Harian', manual: 'Manual' };

function Backups({ rows }) {
  if (!rows) return null;
  if (!rows.length) return html`<${Empty}>Belum ada cadangan.<//>`;
  return html`<ul class="tx-list" id="backup-list">${rows.map((b) => html`<li class="tx">
    <div class="tx-main"><strong>${waktu(b.finished_at ?? b.started_at)}</strong><span class=${b.ok ? 'ok' : 'bad'}>${b.ok ? 'Baik' : 'Gagal'}</span></div>
    <div class="tx-sub">${TRIGGER[b.trigger] ?? b.trigger} · ${ukuran(b.size_bytes)}${b.ledger_entries == null ? '' : ` · ${b.ledger_entries} entri buku besar`}${b.removed_at ? ' · berkas sudah dihapus' : ''}</div>
    ${b.detail ? html`<div class="tx-sub">${b.detail}</div>` : null}</li>`)}</ul>`;
}

export function AdminHealth() {
  const health = useGet('/api/admin/health');
  const backups = useGet('/api/admin/backups');
  const [note, run] = useNote();
  const [busy, setBusy] = useState(false);
  const h = health.data;
  const backupNow = async () => {
    setBusy(true);
    const r = await run(() => call('POST', '/api/admin/backups'), 'Cadangan dibuat.');
    if (r && !r.ok) run(async () => { throw new Error(`Cadangan dibuat tetapi gagal diperiksa: ${r.detail ?? ''}`); });
    setBusy(false);
    health.reload(); backups.reload();
  };
  const last = h?.last_good_backup;
  return html`<${Page} title="Kesehatan Sistem" current="#/admin/kesehatan">
    ${health.error ? html`<p class="banner warn" role="alert">${health.error}</p>` : null}
    ${h ? html`<section class="card" id="health">
      <h2>Cadangan Data</h2>
      <p id="health-status" class=${h.status === 'ok' ? 'ok' : 'bad'}>${h.status === 'ok' ? 'Semua baik.' : 'Perlu perhatian.'}</p>
      ${h.backup_overdue ? html`<p class="banner warn" role="alert" id="backup-overdue">Cadangan terakhir yang baik sudah lebih dari sehari (atau belum ada).</p>` : null}
      ${h.latest_backup_failed ? html`<p class="banner warn" role="alert" id="backup-failed">Cadangan terakhir gagal diperiksa.</p>` : null}
      ${!h.backups_enabled ? html`<p class="banner warn">Cadangan harian tidak aktif di server.</p>` : null}
      <dl class="facts">
        <dt>Cadangan baik terakhir</dt><dd id="last-backup">${last ? `${waktu(last.finished_at)} (${umur(last.age_seconds)})` : 'Belum ada'}</dd>
        <dt>Cadangan berikutnya</dt><dd id="next-backup">${jadwal(h.next_backup_at, h.next_backup_zone)}</dd>
        <dt>Antrean penulisan</dt><dd>${h.writer_queue_depth}</dd>
        <dt>Perangkat</dt><dd>${h.stats?.clients ?? '–'}</dd>
        <dt>Laporan masalah</dt><dd>${h.stats?.reports ?? '–'}</dd>
        <dt>Ukuran basis data</dt><dd>${ukuran(h.stats?.database_bytes ?? 0)}</dd>
      </dl>
      <${Note} note=${note} />
      <button class="primary" type="button" id="backup-now" disabled=${busy} onClick=${backupNow}>${busy ? 'Mencadangkan…' : 'Cadangkan Sekarang'}</button>
    </section>` : health.error ? null : html`<p class="muted">Memuat…</p>`}
    <h2>Daftar Cadangan</h2>
    ${backups.error ? html`<p class="muted">${backups.error}</p>` : html`<${Backups} rows=${backups.data} />`}
  <//>`;
}

const ROLE = { anggota: 'Anggota', petugas: 'Petugas', pengurus: 'Pengurus', admin: 'Admin' };

export function AdminReports() {
  const reports = useGet('/api/admin/reports');
  const rows = reports.data;
  return html`<${Page} title="Laporan Masalah" current="#/admin/laporan">
    ${reports.error ? html`<p class="banner warn" role="alert">${reports.error}</p>` : null}
    ${rows && !rows.length ? html`<${Empty}>Belum ada laporan masalah.<//>` : null}
    ${rows?.length ? html`<ul class="tx-list" id="report-list">${rows.map((r) => html`<li class="tx">
      <div class="tx-main"><strong>${r.username ?? `#${r.user_id}`}</strong><span>${ROLE[r.role] ?? r.role}</span></div>
      <div class="tx-sub">${waktu(r.created_at)} · versi ${r.app_version || '–'}</div>
      <div class="tx-sub">Tertunda ${r.pending ?? 0} · Ditolak ${r.rejected ?? 0}${r.last_sync_at ? ` · sinkron terakhir ${waktu(r.last_sync_at)}` : ''}</div>
      ${r.error_codes?.length ? html`<div class="tx-sub">Kode: ${r.error_codes.join(', ')}</div>` : null}
      <p class="report-text">${r.description}</p></li>`)}</ul>` : null}
  <//>`;
}

const METHODS = { flat: 'Flat', efektif: 'Efektif', anuitas: 'Anuitas' };
const ROUNDING = { half_up: 'Pembulatan biasa', up: 'Ke atas', down: 'Ke bawah' };
const EMPTY_PRODUCT = { name: '', purposes: '', method: 'flat', annual_rate_bp: 1200, min_amount: 500000, max_amount: 10000000,
  min_tenor: 1, max_tenor: 12, admin_fee_bp: 0, admin_fee_flat: 0, rounding_mode: 'half_up', rounding_multiple: 1, active: true };

function ProductForm({ product, nextId, onDone }) {
  const [v, setV] = useState(product ? { ...product, purposes: (product.purposes ?? []).join(', ') } : { ...EMPTY_PRODUCT, id: nextId });
  const [note, run] = useNote();
  const set = (k, num) => (e) => {
    const t = e.currentTarget;
    setV({ ...v, [k]: t.type === 'checkbox' ? t.checked : num ? Number(String(t.value).replace(/\D/g, '')) : t.value });
  };
  const submit = async (ev) => {
    ev.preventDefault();
    const body = { ...v, name: v.name.trim(), purposes: v.purposes.split(',').map((s) => s.trim()).filter(Boolean) };
    if (await run(() => call('PUT', `/api/admin/loan-products/${v.id}`, { body }))) { app.syncer.flush(); onDone(); }
  };
  const num = (k, label) => html`<${Field} label=${label} id=${`lp-${k}`}><input id=${`lp-${k}`} inputmode="numeric" value=${v[k]} onInput=${set(k, true)} /><//>`;
  return html`<form class="form card" id="product-form" onSubmit=${submit} novalidate><h2>${product ? 'Ubah produk' : 'Produk baru'}</h2>
    <${Field} label="Nama produk" id="lp-name"><input id="lp-name" value=${v.name} onInput=${set('name')} /><//>
    <${Field} label="Tujuan (pisahkan dengan koma)" id="lp-purposes" hint="kosong = tujuan apa saja"><input id="lp-purposes" value=${v.purposes} onInput=${set('purposes')} /><//>
    <${Field} label="Metode bunga" id="lp-method"><select id="lp-method" value=${v.method} onChange=${set('method')}>
      ${Object.entries(METHODS).map(([k, l]) => html`<option value=${k}>${l}</option>`)}</select><//>
    ${num('annual_rate_bp', 'Bunga per tahun (basis poin, 100 = 1%)')}
    <${Field} label="Pinjaman minimum" id="lp-min"><${AmountInput} id="lp-min" value=${grouped(v.min_amount)} onInput=${(_t, n) => setV({ ...v, min_amount: n })} /><//>
    <${Field} label="Pinjaman maksimum" id="lp-max"><${AmountInput} id="lp-max" value=${grouped(v.max_amount)} onInput=${(_t, n) => setV({ ...v, max_amount: n })} /><//>
    <div class="row2">${num('min_tenor', 'Tenor min (bulan)')}${num('max_tenor', 'Tenor maks (bulan)')}</div>
    ${num('admin_fee_bp', 'Biaya admin (basis poin)')}
    <${Field} label="Biaya admin tetap" id="lp-fee"><${AmountInput} id="lp-fee" value=${grouped(v.admin_fee_flat)} onInput=${(_t, n) => setV({ ...v, admin_fee_flat: n })} /><//>
    <${Field} label="Pembulatan angsuran" id="lp-rounding"><select id="lp-rounding" value=${v.rounding_mode} onChange=${set('rounding_mode')}>
      ${Object.entries(ROUNDING).map(([k, l]) => html`<option value=${k}>${l}</option>`)}</select><//>
    ${num('rounding_multiple', 'Kelipatan pembulatan (Rp)')}
    <label class="check"><input type="checkbox" id="lp-active" checked=${v.active} onChange=${set('active')} /> Aktif</label>
    <${Note} note=${note} /><button class="primary" type="submit" id="save-product">Simpan Produk</button>
    <button type="button" onClick=${onDone}>Batal</button></form>`;
}

export function AdminProducts() {
  const rows = (app.view?.loan_product ?? []).slice().sort((a, b) => a.id - b.id);
  const [editing, setEditing] = useState(null);
  const nextId = Math.max(0, ...rows.map((r) => Number(r.id) || 0)) + 1;
  const edited = editing === 'new' ? null : rows.find((p) => p.id === editing);
  return html`<${Page} title="Produk Pinjaman" current="#/admin/produk">
    <p><button type="button" id="new-product" onClick=${() => setEditing('new')}>Tambah Produk</button></p>
    ${editing ? html`<${ProductForm} key=${String(editing)} product=${edited} nextId=${nextId} onDone=${() => setEditing(null)} />` : null}
    <ul class="tx-list" id="product-list">${rows.map((p) => html`<li class="tx">
      <div class="tx-main"><strong>${p.name}</strong><span>${p.active ? METHODS[p.method] ?? p.method : 'Tidak aktif'}</span></div>
      <div class="tx-sub">${rupiah(p.min_amount)} – ${rupiah(p.max_amount)} · ${p.min_tenor}–${p.max_tenor} bulan · bunga ${(p.annual_rate_bp / 100).toLocaleString('id-ID')}% per tahun</div>
      <button type="button" class="linkish" onClick=${() => setEditing(p.id)}>Ubah ${p.name}</button></li>`)}</ul>
  <//>`;
}

function ProfileForm({ member, profile }) {
  const [v, setV] = useState({ plafon: profile?.plafon ?? null, birth_date: profile?.birth_date ?? '', category: profile?.category ?? 'karyawan',
    voluntary_deduction: profile?.voluntary_deduction ?? 0, mandatory_savings: profile?.mandatory_savings ?? 0 });
  const [note, run] = useNote();
  const submit = async (ev) => {
    ev.preventDefault();
    const body = { ...v, birth_date: v.birth_date || null, plafon: v.plafon || v.plafon === 0 ? v.plafon : null };
    if (await run(() => call('PUT', `/api/admin/members/${member.id}/payroll-profile`, { body }))) app.syncer.flush();
  };
  return html`<form class="form card" id="profile-form" onSubmit=${submit} novalidate><h2>${member.number} · ${member.name}</h2>
    <${Field} label="Plafon angsuran per bulan" id="pp-plafon"><${AmountInput} id="pp-plafon" value=${grouped(v.plafon)} onInput=${(_t, n) => setV({ ...v, plafon: n })} /><//>
    <${Field} label="Tanggal Lahir" id="pp-birth"><input id="pp-birth" type="date" value=${v.birth_date} onInput=${(e) => setV({ ...v, birth_date: e.currentTarget.value })} /><//>
    <${Field} label="Kategori Pegawai" id="pp-category"><select id="pp-category" value=${v.category} onChange=${(e) => setV({ ...v, category: e.currentTarget.value })}>
      ${Object.entries(CATEGORIES).map(([k, l]) => html`<option value=${k}>${l}</option>`)}</select><//>
    <${Field} label="Potongan simpanan sukarela" id="pp-voluntary"><${AmountInput} id="pp-voluntary" value=${grouped(v.voluntary_deduction)} onInput=${(_t, n) => setV({ ...v, voluntary_deduction: n ?? 0 })} /><//>
    <${Field} label="Potongan simpanan wajib" id="pp-mandatory"><${AmountInput} id="pp-mandatory" value=${grouped(v.mandatory_savings)} onInput=${(_t, n) => setV({ ...v, mandatory_savings: n ?? 0 })} /><//>
    <${Note} note=${note} /><button class="primary" type="submit" id="save-profile">Simpan Profil</button></form>`;
}

export function AdminPayroll() {
  const [q, setQ] = useState('');
  const [id, setId] = useState(null);
  const members = (app.view?.member ?? []).slice().sort((a, b) => String(a.number).localeCompare(String(b.number)));
  const needle = q.trim().toLowerCase();
  const shown = needle ? members.filter((m) => m.number.toLowerCase().includes(needle) || m.name.toLowerCase().includes(needle)).slice(0, 20) : [];
  const member = members.find((m) => m.id === id);
  const profile = (app.view?.payroll_profile ?? []).find((p) => p.member_id === id);
  return html`<${Page} title="Profil Potong Gaji" current="#/admin/potong-gaji">
    <${Field} label="Cari nomor atau nama anggota" id="pp-q"><input id="pp-q" type="search" value=${q} onInput=${(e) => setQ(e.currentTarget.value)} /><//>
    <ul class="balances" id="pp-results">${shown.map((m) => html`<li><span>${m.number} · ${m.name}</span><button type="button" class="linkish" onClick=${() => setId(m.id)}>Pilih</button></li>`)}</ul>
    ${member ? html`<${ProfileForm} key=${String(member.id)} member=${member} profile=${profile} />` : null}
  <//>`;
}
