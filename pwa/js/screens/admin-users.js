/**
 * Admin: Pengguna: the list (GET /api/admin/users), a new user, a password reset, deactivation, and an
 * officer's locations (POST /api/admin/officers/{id}/locations: their devices rebuild their replica).
 */
import { html, useState } from '../html.js';
import { app } from '../app-state.js';
import { Page, Field } from '../ui/components.js';
import { call, useGet, useNote } from '../ui/online.js';
import { Note } from './admin-members.js';

export const ROLE_LABEL = { anggota: 'Anggota', petugas: 'Petugas', pengurus: 'Pengurus', admin: 'Admin' };

function NewUser({ onDone }) {
  const members = app.view?.member ?? [];
  const locations = app.view?.location ?? [];
  const [v, setV] = useState({ username: '', name: '', role: 'anggota', password: '', member_number: '', location_ids: [] });
  const [note, run] = useNote();
  const set = (k) => (e) => setV({ ...v, [k]: e.currentTarget.value });
  const submit = async (ev) => {
    ev.preventDefault();
    const member = members.find((m) => m.number === v.member_number.trim());
    if (v.role === 'anggota' && !member) { run(() => Promise.reject(new Error('Nomor anggota tidak ditemukan.'))); return; }
    const body = { username: v.username.trim(), name: v.name.trim(), role: v.role, password: v.password,
      ...(v.role === 'anggota' ? { member_id: member.id } : {}), ...(v.role === 'petugas' ? { location_ids: v.location_ids } : {}) };
    if (await run(() => call('POST', '/api/admin/users', { body }), 'Pengguna dibuat; password harus diganti saat pertama masuk.')) onDone();
  };
  const toggleLoc = (id) => (e) => setV({ ...v, location_ids: e.currentTarget.checked ? [...v.location_ids, id] : v.location_ids.filter((x) => x !== id) });
  return html`<form class="form card" id="user-form" onSubmit=${submit} novalidate><h2>Tambah Pengguna</h2>
    <${Field} label="Nama pengguna" id="u-username" hint="3–40 huruf kecil, angka, . _ -"><input id="u-username" value=${v.username} onInput=${set('username')} /><//>
    <${Field} label="Nama" id="u-name"><input id="u-name" value=${v.name} onInput=${set('name')} /><//>
    <${Field} label="Peran" id="u-role"><select id="u-role" value=${v.role} onChange=${set('role')}>${Object.entries(ROLE_LABEL).map(([k, l]) => html`<option value=${k}>${l}</option>`)}</select><//>
    ${v.role === 'anggota' ? html`<${Field} label="Nomor anggota" id="u-member"><input id="u-member" value=${v.member_number} onInput=${set('member_number')} /><//>` : null}
    ${v.role === 'petugas' ? html`<fieldset><legend>Lokasi petugas</legend>${locations.map((l) => html`<label class="check"><input type="checkbox" checked=${v.location_ids.includes(l.id)} onChange=${toggleLoc(l.id)} /> ${l.name}</label>`)}</fieldset>` : null}
    <${Field} label="Password awal" id="u-password" hint="minimal 10 karakter"><input id="u-password" type="password" autocomplete="new-password" value=${v.password} onInput=${set('password')} /><//>
    <${Note} note=${note} /><button class="primary" type="submit" id="save-user">Buat Pengguna</button></form>`;
}

function OfficerLocations({ u, reload }) {
  const locations = app.view?.location ?? [];
  const [chosen, setChosen] = useState(u.location_ids ?? []);
  const [note, run] = useNote();
  const toggle = (id) => (e) => setChosen(e.currentTarget.checked ? [...chosen, id] : chosen.filter((x) => x !== id));
  const save = async () => {
    if (await run(() => call('POST', `/api/admin/officers/${u.id}/locations`, { body: { location_ids: chosen } }),
      'Lokasi petugas disimpan; perangkatnya memuat ulang data.')) reload();
  };
  return html`<fieldset class="officer-locations"><legend>Lokasi petugas</legend>
    ${locations.map((l) => html`<label class="check"><input type="checkbox" data-location=${l.id} checked=${chosen.includes(l.id)} onChange=${toggle(l.id)} /> ${l.name}</label>`)}
    <button type="button" class="save-locations" onClick=${save}>Simpan Lokasi</button><${Note} note=${note} /></fieldset>`;
}

function UserRow({ u, reload }) {
  const [pw, setPw] = useState('');
  const [open, setOpen] = useState(false);
  const [note, run] = useNote();
  const pid = `pw-${u.id}`;
  const reset = async () => { if (await run(() => call('POST', `/api/admin/users/${u.id}/reset-password`, { body: { password: pw } }), 'Password diatur ulang; sesi pengguna diakhiri.')) setPw(''); };
  const toggle = async () => { if (await run(() => call('PATCH', `/api/admin/users/${u.id}`, { body: { active: !u.active } }))) reload(); };
  return html`<li class="tx" data-username=${u.username}><div class="tx-main"><strong>${u.username}</strong><span>${ROLE_LABEL[u.role] ?? u.role}</span></div>
    <div class="tx-sub">${u.name}${u.active ? '' : ' · nonaktif'}</div>
    <button type="button" class="linkish" aria-expanded=${open} onClick=${() => setOpen(!open)}>Kelola</button>
    ${open ? html`<div class="inline-form"><label for=${pid}>Password baru</label><input id=${pid} type="password" autocomplete="new-password" value=${pw} onInput=${(e) => setPw(e.currentTarget.value)} />
      <div class="decide"><button type="button" onClick=${reset}>Atur Ulang Password</button><button type="button" onClick=${toggle}>${u.active ? 'Nonaktifkan' : 'Aktifkan'}</button></div>
      ${u.role === 'petugas' ? html`<${OfficerLocations} u=${u} reload=${reload} />` : null}</div>` : null}
    <${Note} note=${note} /></li>`;
}

export function AdminUsers() {
  const users = useGet('/api/admin/users');
  const [adding, setAdding] = useState(false);
  return html`<${Page} title="Pengguna" current="#/admin/pengguna">
    <p><button type="button" id="new-user" onClick=${() => setAdding(!adding)}>${adding ? 'Tutup' : 'Tambah Pengguna'}</button></p>
    ${adding ? html`<${NewUser} onDone=${() => { setAdding(false); users.reload(); }} />` : null}
    ${users.error ? html`<p class="error" role="alert">${users.error}</p>` : null}
    <ul class="tx-list" id="user-list">${(users.data ?? []).map((u) => html`<${UserRow} key=${u.id} u=${u} reload=${users.reload} />`)}</ul>
  <//>`;
}
