/**
 * Admin: Data Anggota (list, create, edit, deactivate, reactivate) and Impor Anggota (CSV/XLSX: a dry run that
 * lists every problem by row, then the import). The list reads the replica (the admin's feed holds
 * every member); every change goes to the server and comes back through the feed.
 */
import { html, useState } from '../html.js';
import { app, refreshView } from '../app-state.js';
import { Page, Field, Empty } from '../ui/components.js';
import { tanggal } from '../ui/format.js';
import { call, useNote } from '../ui/online.js';
import { ActionButton } from '../ui/confirm.js';

export const KIND = { anggota: 'Anggota', badan: 'Badan' };
export const CATEGORIES = { karyawan: 'Karyawan', pns: 'PNS', dosen: 'Dosen' };

function Note({ note }) {
  if (!note) return null;
  return html`<p class=${note.ok ? 'notice ok' : 'error'} role=${note.ok ? 'status' : 'alert'} id="admin-note">${note.text}</p>`;
}
export { Note };

function MemberForm({ member, profile, onDone }) {
  const locations = app.view?.location ?? [];
  const [v, setV] = useState({
    number: member?.number ?? '', name: member?.name ?? '', kind: member?.kind ?? 'anggota',
    location_id: String(member?.location_id ?? locations[0]?.id ?? ''), birth_date: profile?.birth_date ?? '', category: profile?.category ?? 'karyawan',
  });
  const [note, run] = useNote();
  const set = (k) => (e) => setV({ ...v, [k]: e.currentTarget.value });
  const submit = async (ev) => {
    ev.preventDefault();
    const body = { number: v.number.trim(), name: v.name.trim(), kind: v.kind, location_id: Number(v.location_id), category: v.category,
      ...(v.birth_date ? { birth_date: v.birth_date } : {}) };
    const done = await run(() => (member ? call('PATCH', `/api/admin/members/${member.id}`, { body }) : call('POST', '/api/admin/members', { body })));
    if (done) { app.syncer.flush(); onDone?.(done); }
  };
  return html`<form class="form card" id="member-form" onSubmit=${submit} novalidate>
    <h2>${member ? `Ubah ${member.number}` : 'Tambah Anggota'}</h2>
    <${Field} label="Nomor Anggota" id="m-number"><input id="m-number" value=${v.number} maxlength="20" onInput=${set('number')} /><//>
    <${Field} label="Nama" id="m-name"><input id="m-name" value=${v.name} maxlength="200" onInput=${set('name')} /><//>
    <${Field} label="Jenis" id="m-kind"><select id="m-kind" value=${v.kind} onChange=${set('kind')}>
      ${Object.entries(KIND).map(([k, l]) => html`<option value=${k}>${l}</option>`)}</select><//>
    <${Field} label="Lokasi" id="m-location"><select id="m-location" value=${v.location_id} onChange=${set('location_id')}>
      ${locations.map((l) => html`<option value=${String(l.id)}>${l.name}</option>`)}</select><//>
    <${Field} label="Tanggal Lahir" id="m-birth"><input id="m-birth" type="date" value=${v.birth_date} onInput=${set('birth_date')} /><//>
    <${Field} label="Kategori Pegawai" id="m-category"><select id="m-category" value=${v.category} onChange=${set('category')}>
      ${Object.entries(CATEGORIES).map(([k, l]) => html`<option value=${k}>${l}</option>`)}</select><//>
    <${Note} note=${note} />
    <button class="primary" type="submit" id="save-member">Simpan Anggota</button>
  </form>`;
}

/** A member who left rejoins; their own login comes back only when the admin ticks it (PROTOCOL §13). */
function Reactivate({ m, onSaid }) {
  const [logins, setLogins] = useState(false);
  const cid = `reactivate-users-${m.id}`;
  const said = (r) => `${m.name} aktif kembali${r.users_reactivated.length ? '; akun login aktif lagi' : r.users_inactive.length ? '; akun login tetap nonaktif' : ''}.`;
  return html`<div class="inline-form reactivate"><label class="check" for=${cid}><input id=${cid} type="checkbox" checked=${logins}
      onChange=${(e) => setLogins(e.currentTarget.checked)} /> Aktifkan juga akun login anggota</label>
    <${ActionButton} name="reactivate" label="Aktifkan Kembali" confirm=${`Aktifkan kembali ${m.number} ${m.name}?${logins ? ' Akun loginnya juga aktif lagi.' : ' Akun loginnya tetap nonaktif.'}`}
      action=${() => call('POST', `/api/admin/members/${m.id}/reactivate`, { body: { reactivate_users: logins } })}
      done=${said} onDone=${(r) => { onSaid(said(r)); app.syncer.flush(); }} /></div>`;
}

export function AdminMembers() {
  const [q, setQ] = useState('');
  const [editing, setEditing] = useState(null);
  // What the last (de)activation said, per member, with the state it led to: shown once the feed has
  // brought that state (the action's own note goes when the row switches between its two forms).
  const [said, setSaid] = useState({});
  const noteFor = (m) => (text) => setSaid((s) => ({ ...s, [m.id]: { active: !m.active, text } }));
  const members = (app.view?.member ?? []).slice().sort((a, b) => String(a.number).localeCompare(String(b.number)));
  const profiles = new Map((app.view?.payroll_profile ?? []).map((p) => [p.member_id, p]));
  const locations = new Map((app.view?.location ?? []).map((l) => [l.id, l.name]));
  const needle = q.trim().toLowerCase();
  const shown = members.filter((m) => !needle || m.number.toLowerCase().includes(needle) || m.name.toLowerCase().includes(needle)).slice(0, 100);
  const edited = editing === 'new' ? null : members.find((m) => m.id === editing);
  return html`<${Page} title="Data Anggota" current="#/admin/anggota">
    <p><a class="button" href="#/admin/impor">Impor Anggota (CSV/XLSX)</a> <button type="button" id="new-member" onClick=${() => setEditing('new')}>Tambah Anggota</button></p>
    ${editing ? html`<${MemberForm} key=${String(editing)} member=${edited} profile=${edited ? profiles.get(edited.id) : null}
      onDone=${() => { setEditing(null); refreshView(); }} />` : null}
    <${Field} label="Cari nomor atau nama" id="member-q"><input id="member-q" type="search" value=${q} onInput=${(e) => setQ(e.currentTarget.value)} /><//>
    <p class="muted">${members.length} anggota/badan${shown.length < members.length ? `, ${shown.length} ditampilkan` : ''}</p>
    <ul class="tx-list" id="member-list">${shown.map((m) => {
      const p = profiles.get(m.id);
      return html`<li class="tx" data-number=${m.number} key=${m.id}>
        <div class="tx-main"><strong>${m.number}</strong> <span>${m.name}</span></div>
        <div class="tx-sub">${KIND[m.kind] ?? m.kind} · ${locations.get(m.location_id) ?? `Lokasi ${m.location_id}`}${p?.birth_date ? ` · lahir ${tanggal(p.birth_date)}` : ''}${p?.category ? ` · ${CATEGORIES[p.category] ?? p.category}` : ''}</div>
        <div class="decide">${m.active ? html`<span class="badge st-active">Aktif</span>` : html`<span class="badge st-cancelled">Nonaktif</span>`}
          <button type="button" onClick=${() => setEditing(m.id)} aria-label=${`Ubah ${m.number}`}>Ubah</button>
          ${m.active ? html`<${ActionButton} name="deactivate" label="Nonaktifkan"
            confirm=${`Nonaktifkan ${m.number} ${m.name}? Transaksi baru untuknya ditolak dan akun loginnya ikut nonaktif; riwayatnya tetap tersimpan.`}
            action=${() => call('POST', `/api/admin/members/${m.id}/deactivate`)} done=${`${m.name} dinonaktifkan.`}
            onDone=${() => { noteFor(m)(`${m.name} dinonaktifkan.`); app.syncer.flush(); }} />` : null}</div>
        ${said[m.id]?.active === m.active ? html`<p class="notice ok action-note" role="status">${said[m.id].text}</p>` : null}
        ${m.active ? null : html`<${Reactivate} m=${m} onSaid=${noteFor(m)} />`}
      </li>`;
    })}</ul>
    ${members.length ? null : html`<${Empty}>Belum ada anggota.<//>`}
  <//>`;
}

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
/** The spreadsheet's column names for the fields a problem names. */
const COLUMN = { number: 'nomor', name: 'nama', location: 'lokasi', birth_date: 'tanggal_lahir', kind: 'jenis', category: 'kategori' };

export function MemberImport() {
  const [file, setFile] = useState(null);
  const [report, setReport] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const send = async (dryRun) => {
    if (!file) { setError('Pilih file CSV atau XLSX.'); return; }
    setBusy(true);
    setError(null);
    try {
      const bytes = await file.arrayBuffer();
      const xlsx = /\.xlsx$/i.test(file.name);
      const r = await call('POST', '/api/admin/members/import', { rawBody: bytes, contentType: xlsx ? XLSX : 'text/csv',
        query: { dry_run: dryRun ? 'true' : 'false', format: xlsx ? 'xlsx' : 'csv' } });
      setReport(r);
      if (!dryRun) app.syncer.flush();
    } catch (err) {
      setError(err.message);
      if (err.detail?.problems) setReport({ dry_run: false, problems: err.detail.problems, rows: null, applied: false });
    } finally { setBusy(false); }
  };
  const problems = report?.problems ?? [];
  return html`<${Page} title="Impor Anggota" current="#/admin/anggota">
    <p class="lead">Kolom: <strong>nomor</strong>, <strong>nama</strong>, <strong>lokasi</strong>, serta jenis, tanggal_lahir, kategori bila ada. Uji coba dulu: tidak ada yang disimpan sampai file bersih.</p>
    <div class="form">
      <label class="filebtn" for="import-file">Pilih File</label>
      <input id="import-file" class="visually-hidden" type="file" accept=".csv,.xlsx,text/csv,${XLSX}"
        onChange=${(e) => { setFile(e.currentTarget.files[0] ?? null); setReport(null); }} />
      <p class="muted" id="import-name">${file ? file.name : 'Belum ada file'}</p>
      <button type="button" id="import-dry-run" onClick=${() => send(true)} disabled=${busy}>Uji Coba (tanpa menyimpan)</button>
    </div>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${report ? html`<section class="card" id="import-report" aria-live="polite">
      <h2>${report.applied ? 'Impor selesai' : report.dry_run ? 'Hasil uji coba' : 'Impor ditolak'}</h2>
      ${report.rows !== null && report.rows !== undefined ? html`<dl class="facts"><dt>Baris</dt><dd>${report.rows}</dd><dt>Baru</dt><dd>${report.created}</dd>
        <dt>Diubah</dt><dd>${report.updated}</dd><dt>Sama</dt><dd>${report.unchanged}</dd><dt>Masalah</dt><dd id="problem-count">${problems.length}</dd></dl>` : null}
      ${problems.length ? html`<div class="table-wrap" tabindex="0" role="region" aria-label="Masalah per baris"><table class="table problems" id="import-problems"><caption>Masalah per baris</caption>
        <thead><tr><th scope="col">Baris</th><th scope="col">Kolom</th><th scope="col">Masalah</th><th scope="col">Isi</th></tr></thead>
        <tbody>${problems.map((p) => html`<tr><td>${p.row}</td><td>${COLUMN[p.field] ?? p.field}</td><td>${p.message}</td><td>${p.value ?? ''}</td></tr>`)}</tbody></table></div>`
        : report.dry_run ? html`<p class="ok">File bersih: siap diimpor.</p>
          <button class="primary" type="button" id="import-run" onClick=${() => send(false)} disabled=${busy}>Impor ${report.rows} baris</button>` : null}
    </section>` : null}
  <//>`;
}
