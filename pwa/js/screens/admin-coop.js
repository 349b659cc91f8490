/**
 * Admin: Data Koperasi: locations, savings types, the cooperative's bank accounts, the board
 * (Pengurus & Pengawas), the time zone and the white-label (name, short name, colour, logo). Each
 * save is one PUT; the new row comes back to every device through the feed.
 */
import { html, useState } from '../html.js';
import { app } from '../app-state.js';
import { Page, Field, branding } from '../ui/components.js';
import { tanggal } from '../ui/format.js';
import { call, useNote } from '../ui/online.js';
import { Note } from './admin-members.js';
import { POSITIONS, BODY_LABEL } from './board-structure.js';

const nextId = (rows) => Math.max(0, ...rows.map((r) => Number(r.id) || 0)) + 1;
const saved = () => app.syncer.flush();

function Locations() {
  const rows = app.view?.location ?? [];
  const [v, setV] = useState({ id: '', name: '', address: '' });
  const [note, run] = useNote();
  const submit = async (ev) => {
    ev.preventDefault();
    const id = v.id || nextId(rows);
    if (await run(() => call('PUT', `/api/admin/locations/${id}`, { body: { name: v.name.trim(), address: v.address.trim() } }))) { setV({ id: '', name: '', address: '' }); saved(); }
  };
  return html`<section class="card" id="locations"><h2>Lokasi</h2>
    <ul class="balances">${rows.map((l) => html`<li><span>${l.name}</span><button type="button" class="linkish" onClick=${() => setV({ id: l.id, name: l.name, address: l.address ?? '' })}>Ubah</button><small>${l.address}</small></li>`)}</ul>
    <form class="form" onSubmit=${submit} novalidate>
      <${Field} label=${v.id ? 'Nama lokasi (ubah)' : 'Nama lokasi baru'} id="loc-name"><input id="loc-name" value=${v.name} onInput=${(e) => setV({ ...v, name: e.currentTarget.value })} /><//>
      <${Field} label="Alamat" id="loc-address"><input id="loc-address" value=${v.address} onInput=${(e) => setV({ ...v, address: e.currentTarget.value })} /><//>
      <${Note} note=${note} /><button type="submit" id="save-location">Simpan Lokasi</button></form></section>`;
}

function SavingsTypes() {
  const rows = app.view?.savings_type ?? [];
  const [v, setV] = useState({ code: '', name: '', withdrawable: true });
  const [note, run] = useNote();
  const submit = async (ev) => {
    ev.preventDefault();
    if (await run(() => call('PUT', `/api/admin/savings-types/${encodeURIComponent(v.code.trim())}`, { body: { name: v.name.trim(), withdrawable: v.withdrawable } }))) saved();
  };
  return html`<section class="card" id="savings-types"><h2>Jenis Simpanan</h2>
    <ul class="balances">${rows.map((t) => html`<li><span>${t.name} <small>(${t.code})</small></span><span>${t.withdrawable ? 'Dapat ditarik' : 'Tidak dapat ditarik'}</span></li>`)}</ul>
    <form class="form" onSubmit=${submit} novalidate>
      <${Field} label="Kode" id="st-code" hint="huruf kecil, angka, garis bawah"><input id="st-code" value=${v.code} onInput=${(e) => setV({ ...v, code: e.currentTarget.value })} /><//>
      <${Field} label="Nama" id="st-name"><input id="st-name" value=${v.name} onInput=${(e) => setV({ ...v, name: e.currentTarget.value })} /><//>
      <label class="check"><input type="checkbox" id="st-withdrawable" checked=${v.withdrawable} onChange=${(e) => setV({ ...v, withdrawable: e.currentTarget.checked })} /> Dapat ditarik</label>
      <${Note} note=${note} /><button type="submit" id="save-savings-type">Simpan Jenis Simpanan</button></form></section>`;
}

function BankAccounts() {
  const rows = app.view?.bank_account ?? [];
  const empty = { id: '', bank: '', number: '', holder: '', active: true };
  const [v, setV] = useState(empty);
  const [note, run] = useNote();
  const set = (k) => (e) => setV({ ...v, [k]: e.currentTarget.type === 'checkbox' ? e.currentTarget.checked : e.currentTarget.value });
  const submit = async (ev) => {
    ev.preventDefault();
    const id = v.id || nextId(rows);
    if (await run(() => call('PUT', `/api/admin/bank-accounts/${id}`, { body: { bank: v.bank.trim(), number: v.number.trim(), holder: v.holder.trim(), active: v.active } }))) { setV(empty); saved(); }
  };
  return html`<section class="card" id="bank-accounts"><h2>Rekening Koperasi</h2>
    <ul class="balances">${rows.map((b) => html`<li><span>${b.bank} ${b.number}</span><button type="button" class="linkish" onClick=${() => setV({ ...b })}>Ubah</button>
      <small>a.n. ${b.holder}${b.active ? '' : ' · tidak aktif'}</small></li>`)}</ul>
    <form class="form" onSubmit=${submit} novalidate>
      <${Field} label="Bank" id="ba-bank"><input id="ba-bank" value=${v.bank} onInput=${set('bank')} /><//>
      <${Field} label="Nomor Rekening" id="ba-number"><input id="ba-number" inputmode="numeric" value=${v.number} onInput=${set('number')} /><//>
      <${Field} label="Atas Nama" id="ba-holder"><input id="ba-holder" value=${v.holder} onInput=${set('holder')} /><//>
      <label class="check"><input type="checkbox" checked=${v.active} onChange=${set('active')} /> Aktif</label>
      <${Note} note=${note} /><button type="submit" id="save-bank-account">Simpan Rekening</button></form></section>`;
}

export function AdminBoard() {
  const rows = (app.view?.board_position ?? []).slice().sort((a, b) => a.body.localeCompare(b.body) || String(b.term_start).localeCompare(String(a.term_start)));
  const empty = { id: '', body: 'pengurus', position: 'Ketua', name: '', term_start: '', term_end: '', active: true };
  const [v, setV] = useState(empty);
  const [note, run] = useNote();
  const set = (k) => (e) => {
    const value = e.currentTarget.type === 'checkbox' ? e.currentTarget.checked : e.currentTarget.value;
    setV(k === 'body' ? { ...v, body: value, position: POSITIONS[value][0] } : { ...v, [k]: value });
  };
  const submit = async (ev) => {
    ev.preventDefault();
    const id = v.id || nextId(rows);
    const body = { body: v.body, position: v.position, name: v.name.trim(), term_start: v.term_start, term_end: v.term_end, active: v.active };
    if (await run(() => call('PUT', `/api/admin/board/${id}`, { body }))) { setV(empty); saved(); }
  };
  return html`<${Page} title="Atur Pengurus & Pengawas" current="#/admin/pengurus">
    <ul class="tx-list" id="board-seats">${rows.map((r) => html`<li class="tx"><div class="tx-main"><strong>${BODY_LABEL[r.body]} · ${r.position}</strong><span>${r.name}</span></div>
      <div class="tx-sub">${tanggal(r.term_start)} – ${tanggal(r.term_end)}${r.active ? '' : ' · tidak aktif'}</div>
      <button type="button" class="linkish" onClick=${() => setV({ ...r })}>Ubah</button></li>`)}</ul>
    <form class="form card" id="board-form" onSubmit=${submit} novalidate><h2>${v.id ? 'Ubah jabatan' : 'Tambah jabatan'}</h2>
      <${Field} label="Badan" id="bp-body"><select id="bp-body" value=${v.body} onChange=${set('body')}><option value="pengurus">Pengurus</option><option value="pengawas">Pengawas</option></select><//>
      <${Field} label="Jabatan" id="bp-position"><select id="bp-position" value=${v.position} onChange=${set('position')}>${POSITIONS[v.body].map((p) => html`<option value=${p}>${p}</option>`)}</select><//>
      <${Field} label="Nama" id="bp-name"><input id="bp-name" value=${v.name} onInput=${set('name')} /><//>
      <div class="row2"><${Field} label="Mulai" id="bp-start"><input id="bp-start" type="date" value=${v.term_start} onInput=${set('term_start')} /><//>
        <${Field} label="Selesai" id="bp-end"><input id="bp-end" type="date" value=${v.term_end} onInput=${set('term_end')} /><//></div>
      <label class="check"><input type="checkbox" checked=${v.active} onChange=${set('active')} /> Aktif</label>
      <${Note} note=${note} /><button class="primary" type="submit" id="save-board">Simpan Jabatan</button></form>
  <//>`;
}

const ZONES = [['WIB', 'WIB (Asia/Jakarta)'], ['WITA', 'WITA (Asia/Makassar)'], ['WIT', 'WIT (Asia/Jayapura)']];

function TimeZone() {
  const current = app.view?.coop_settings?.[0]?.time_zone_label ?? 'WIB';
  const [zone, setZone] = useState(current);
  const [note, run] = useNote();
  const submit = async (ev) => {
    ev.preventDefault();
    if (await run(() => call('PUT', '/api/admin/settings', { body: { time_zone: zone } }))) saved();
  };
  return html`<section class="card" id="time-zone"><h2>Zona Waktu Koperasi</h2><p class="muted">Dipakai untuk setiap tanggal dan kode transaksi. Sekarang: ${current}.</p>
    <form class="form" onSubmit=${submit}><${Field} label="Zona waktu" id="tz"><select id="tz" value=${zone} onChange=${(e) => setZone(e.currentTarget.value)}>
      ${ZONES.map(([k, l]) => html`<option value=${k}>${l}</option>`)}</select><//>
      <${Note} note=${note} /><button type="submit" id="save-tz">Simpan Zona Waktu</button></form></section>`;
}

function Branding() {
  const b = branding() ?? {};
  const [edit, setV] = useState(null);
  const v = edit ?? { name: b.name ?? '', short_name: b.short_name ?? '', theme_color: b.theme_color ?? '#166534' };
  const [logo, setLogo] = useState(null);
  const [note, run] = useNote();
  const set = (k) => (e) => setV({ ...v, [k]: e.currentTarget.value });
  const submit = async (ev) => {
    ev.preventDefault();
    const ok = await run(async () => {
      const r = await call('PUT', '/api/admin/branding', { body: { name: v.name.trim(), short_name: v.short_name.trim(), theme_color: v.theme_color } });
      if (logo) await call('PUT', '/api/admin/branding/logo', { rawBody: await logo.arrayBuffer(), contentType: logo.type });
      return r;
    });
    if (ok) saved();
  };
  return html`<section class="card" id="branding"><h2>Identitas Koperasi</h2>
    <form class="form" onSubmit=${submit} novalidate>
      <${Field} label="Nama koperasi" id="br-name"><input id="br-name" value=${v.name} onInput=${set('name')} /><//>
      <${Field} label="Nama singkat" id="br-short"><input id="br-short" value=${v.short_name} maxlength="30" onInput=${set('short_name')} /><//>
      <${Field} label="Warna tema" id="br-color"><input id="br-color" type="color" value=${v.theme_color} onInput=${set('theme_color')} /><//>
      <label class="filebtn" for="br-logo">Pilih Logo (PNG/SVG)</label>
      <input id="br-logo" class="visually-hidden" type="file" accept="image/png,image/svg+xml" onChange=${(e) => setLogo(e.currentTarget.files[0] ?? null)} />
      <p class="muted">${logo ? logo.name : b.logo_sha256 ? 'Logo sudah diatur.' : 'Belum ada logo.'}</p>
      <${Note} note=${note} /><button class="primary" type="submit" id="save-branding">Simpan Identitas</button></form></section>`;
}

export function AdminCoop() {
  return html`<${Page} title="Data Koperasi" current="#/admin/koperasi">
    <${Branding} /><${TimeZone} /><${Locations} /><${SavingsTypes} /><${BankAccounts} />
  <//>`;
}
