/**
 * Admin: Pengguna: the list (GET /api/admin/users), a new user, and per user a password reset, ending
 * every session, resetting the second factor, (de)activation, a role change and an officer's locations
 * (their devices rebuild their replica); below, the login lockouts and lifting one. Destructive
 * actions ask first; each action's result or error shows next to it.
 */
import { html, useState } from '../html.js';
import { app } from '../app-state.js';
import { Page, Field } from '../ui/components.js';
import { call, useGet, useNote } from '../ui/online.js';
import { ActionButton } from '../ui/confirm.js';
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

function PasswordReset({ u }) {
  const [pw, setPw] = useState('');
  const pid = `pw-${u.id}`;
  return html`<div class="inline-form"><label for=${pid}>Password baru</label>
    <input id=${pid} type="password" autocomplete="new-password" value=${pw} onInput=${(e) => setPw(e.currentTarget.value)} />
    <${ActionButton} name="reset-password" label="Atur Ulang Password" disabled=${!pw}
      confirm=${`Atur ulang password ${u.username}? Semua sesinya diakhiri dan ia wajib mengganti password saat masuk.`}
      action=${() => call('POST', `/api/admin/users/${u.id}/reset-password`, { body: { password: pw } })}
      done="Password diatur ulang; sesi pengguna diakhiri." onDone=${() => setPw('')} /></div>`;
}

function RoleChange({ u, reload }) {
  const members = app.view?.member ?? [];
  const locations = app.view?.location ?? [];
  const [role, setRole] = useState(u.role);
  const [number, setNumber] = useState(members.find((m) => m.id === u.member_id)?.number ?? '');
  const [chosen, setChosen] = useState(u.location_ids ?? []);
  const rid = `role-${u.id}`;
  const nid = `role-member-${u.id}`;
  const toggle = (id) => (e) => setChosen(e.currentTarget.checked ? [...chosen, id] : chosen.filter((x) => x !== id));
  const send = () => {
    const member = members.find((m) => m.number === number.trim());
    if (role === 'anggota' && !member) return Promise.reject(new Error('Nomor anggota tidak ditemukan.'));
    return call('POST', `/api/admin/users/${u.id}/role`, { body: { role,
      ...(role === 'anggota' ? { member_id: member.id } : {}), ...(role === 'petugas' ? { location_ids: chosen } : {}) } });
  };
  return html`<fieldset class="role-change"><legend>Peran</legend>
    <label for=${rid}>Peran baru</label><select id=${rid} value=${role} onChange=${(e) => setRole(e.currentTarget.value)}>
      ${Object.entries(ROLE_LABEL).map(([k, l]) => html`<option value=${k}>${l}</option>`)}</select>
    ${role === 'anggota' ? html`<label for=${nid}>Nomor anggota</label><input id=${nid} value=${number} onInput=${(e) => setNumber(e.currentTarget.value)} />` : null}
    ${role === 'petugas' && u.role !== 'petugas' ? html`<div>${locations.map((l) => html`<label class="check"><input type="checkbox" data-role-location=${l.id} checked=${chosen.includes(l.id)} onChange=${toggle(l.id)} /> ${l.name}</label>`)}</div>` : null}
    <${ActionButton} name="change-role" label="Ubah Peran" disabled=${role === u.role}
      confirm=${`Ubah peran ${u.username} menjadi ${ROLE_LABEL[role] ?? role}? Semua sesinya diakhiri dan perangkatnya memuat ulang data.`}
      action=${send} done=${(r) => `Peran diubah menjadi ${ROLE_LABEL[r.role] ?? r.role}; sesi pengguna diakhiri.`} onDone=${reload} /></fieldset>`;
}

function UserRow({ u, reload }) {
  const [open, setOpen] = useState(false);
  const self = app.profile?.user?.id === u.id;
  return html`<li class="tx" data-username=${u.username}><div class="tx-main"><strong>${u.username}</strong><span>${ROLE_LABEL[u.role] ?? u.role}</span></div>
    <div class="tx-sub">${u.name}${u.active ? '' : ' · nonaktif'}</div>
    <button type="button" class="linkish" aria-expanded=${open} onClick=${() => setOpen(!open)}>Kelola</button>
    ${open ? html`<div class="manage">
      <${PasswordReset} u=${u} />
      <div class="decide">
        <${ActionButton} name="revoke-sessions" label="Akhiri Semua Sesi"
          confirm=${`Akhiri semua sesi ${u.username}? Ia harus masuk lagi di setiap perangkat.`}
          action=${() => call('POST', `/api/admin/users/${u.id}/revoke-sessions`)} done=${(r) => `${r.revoked} sesi diakhiri.`} />
        <${ActionButton} name="reset-mfa" label="Atur Ulang 2FA"
          confirm=${`Hapus verifikasi dua langkah ${u.username}? Ia masuk dengan password saja sampai mendaftar lagi.`}
          action=${() => call('POST', `/api/admin/users/${u.id}/mfa/reset`)}
          done=${(r) => (r.removed ? 'Verifikasi dua langkah dihapus; pengguna dapat mendaftar lagi.' : 'Pengguna ini belum memakai verifikasi dua langkah.')} />
        ${self ? null : html`<${ActionButton} name="toggle-active" label=${u.active ? 'Nonaktifkan' : 'Aktifkan'}
          confirm=${u.active ? `Nonaktifkan ${u.username}? Semua sesinya langsung berakhir.` : null}
          action=${() => call('PATCH', `/api/admin/users/${u.id}`, { body: { active: !u.active } })} onDone=${reload} />`}
      </div>
      ${self ? html`<p class="muted">Peran akun sendiri tidak dapat diubah.</p>` : html`<${RoleChange} u=${u} reload=${reload} />`}
      ${u.role === 'petugas' ? html`<${OfficerLocations} u=${u} reload=${reload} />` : null}</div>` : null}
  </li>`;
}

/** Who may not try to log in right now: an account (``user:``), its second factor (``mfa:``) or an address (``addr:``). */
const LOCK_KIND = { user: 'Akun', mfa: 'Kode 2FA', addr: 'Alamat' };

function Lockouts() {
  const list = useGet('/api/admin/login-lockouts');
  const rows = list.data ?? [];
  return html`<section class="card" id="lockouts" aria-labelledby="lockouts-title"><h2 id="lockouts-title">Login Terkunci</h2>
    ${list.error ? html`<p class="error" role="alert">${list.error}</p>` : null}
    ${list.data && !rows.length ? html`<p class="muted" id="no-lockouts">Tidak ada akun atau alamat yang terkunci.</p>` : null}
    <ul class="tx-list">${rows.map((r) => {
      const [kind, ...rest] = r.key.split(':');
      const who = rest.join(':');
      const body = kind === 'addr' ? { address: who } : { username: who };
      return html`<li class="tx" data-key=${r.key} key=${r.key}><div class="tx-main"><strong>${who}</strong><span>${LOCK_KIND[kind] ?? kind}</span></div>
        <div class="tx-sub">${r.failures} kali gagal · coba lagi dalam ${Math.ceil(r.retry_after / 60)} menit</div>
        <${ActionButton} name="clear-lockout" label="Buka Kunci" confirm=${`Buka kunci ${who}? Percobaan masuk dihitung dari nol lagi.`}
          action=${() => call('POST', '/api/admin/login-lockouts/clear', { body })} done="Kunci dibuka." onDone=${list.reload} /></li>`;
    })}</ul>
    <button type="button" id="reload-lockouts" onClick=${list.reload}>Muat Ulang</button></section>`;
}

export function AdminUsers() {
  const users = useGet('/api/admin/users');
  const [adding, setAdding] = useState(false);
  return html`<${Page} title="Pengguna" current="#/admin/pengguna">
    <p><button type="button" id="new-user" onClick=${() => setAdding(!adding)}>${adding ? 'Tutup' : 'Tambah Pengguna'}</button></p>
    ${adding ? html`<${NewUser} onDone=${() => { setAdding(false); users.reload(); }} />` : null}
    ${users.error ? html`<p class="error" role="alert">${users.error}</p>` : null}
    <ul class="tx-list" id="user-list">${(users.data ?? []).map((u) => html`<${UserRow} key=${u.id} u=${u} reload=${users.reload} />`)}</ul>
    <${Lockouts} />
  <//>`;
}
