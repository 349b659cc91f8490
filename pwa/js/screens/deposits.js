/** Setoran Simpanan: history with Pencarian and filters, Aksi → Batalkan / Cetak Slip. */
import { html, useState } from '../html.js';
import { app, queue } from '../app-state.js';
import { Page, SyncState, Empty } from '../ui/components.js';
import { rupiah, tanggal, coopZone, KIND_LABEL, METHOD_LABEL } from '../ui/format.js';
import { dateIn } from '../domain/dates.js';
import { PdfButton } from '../ui/documents.js';
import { ActionButton } from '../ui/confirm.js';
import { withdrawalFee } from '../domain/fees.js';

export const STATUSES = [['unverified', 'Belum Diverifikasi'], ['verified', 'Verifikasi'], ['cancelled', 'Dibatalkan'], ['rejected', 'Ditolak']];

function txDate(row) {
  return row.transfer_date ?? (row.created_at ? dateIn(row.created_at, coopZone()) : '');
}

/** History filter shared by deposits and withdrawals (the guide's a–e). */
export function useFilters() {
  const [f, setF] = useState({ q: '', kinds: [], statuses: [], from: '', to: '', location: '' });
  const apply = (rows, kindField) => rows.filter((r) =>
    (!f.q || String(r.code ?? '').toLowerCase().includes(f.q.toLowerCase()))
    && (!f.kinds.length || f.kinds.includes(r[kindField]))
    && (!f.statuses.length || f.statuses.includes(r.status))
    && (!f.from || txDate(r) >= f.from) && (!f.to || txDate(r) <= f.to)
    && (!f.location || String(r.location_id) === f.location));
  return [f, setF, apply];
}

export function Filters({ f, setF, kinds, kindLegend, idPrefix }) {
  const toggle = (key, value) => (e) => setF({ ...f, [key]: e.currentTarget.checked ? [...f[key], value] : f[key].filter((x) => x !== value) });
  const set = (key) => (e) => setF({ ...f, [key]: e.currentTarget.value });
  return html`<form class="filters" onSubmit=${(e) => e.preventDefault()} role="search">
    <div class="field"><label for=${`${idPrefix}-q`}>Pencarian</label>
      <input id=${`${idPrefix}-q`} type="search" placeholder="Kode transaksi" value=${f.q} onInput=${set('q')} /></div>
    <details class="more-filters"><summary>Filter</summary>
    <fieldset><legend>${kindLegend}</legend>${kinds.map(([v, label]) => html`<label class="check"><input type="checkbox" checked=${f.kinds.includes(v)} onChange=${toggle('kinds', v)} /> ${label}</label>`)}</fieldset>
    <fieldset><legend>Status</legend>${STATUSES.map(([v, label]) => html`<label class="check"><input type="checkbox" checked=${f.statuses.includes(v)} onChange=${toggle('statuses', v)} /> ${label}</label>`)}</fieldset>
    <div class="row2">
      <div class="field"><label for=${`${idPrefix}-from`}>Tanggal dari</label><input id=${`${idPrefix}-from`} type="date" value=${f.from} onInput=${set('from')} /></div>
      <div class="field"><label for=${`${idPrefix}-to`}>Sampai</label><input id=${`${idPrefix}-to`} type="date" value=${f.to} onInput=${set('to')} /></div>
    </div>
    <div class="field"><label for=${`${idPrefix}-loc`}>Lokasi</label>
      <select id=${`${idPrefix}-loc`} value=${f.location} onChange=${set('location')}><option value="">Semua lokasi</option>
        ${(app.view?.location ?? []).map((l) => html`<option value=${String(l.id)}>${l.name}</option>`)}</select></div>
    </details>
  </form>`;
}

export function locationName(id) {
  return (app.view?.location ?? []).find((l) => l.id === id)?.name ?? '';
}

function sortRows(rows) {
  return [...rows].sort((a, b) => String(b.created_at ?? '').localeCompare(String(a.created_at ?? '')));
}

/** A rejected item can be copied into a new one: the form opens filled with its values. */
export function copyLink(row, base) {
  const fields = ['member_id', 'savings_type', 'amount', 'bank_account_id', 'transfer_date', 'sender_bank', 'account_holder', 'note',
    'method', 'bank_name', 'account_number', 'location_id'];
  const q = new URLSearchParams();
  for (const k of fields) if (row[k] !== undefined && row[k] !== null && row[k] !== '') q.set(k, String(row[k]));
  return `${base}?${q}`;
}

/** The transaction a notice opened (`#/setoran/<id>`): shown first, or a note while it syncs. */
function Focused({ rows, id, noun, fee = false }) {
  if (!id) return null;
  const r = rows.find((x) => x.id === id);
  if (!r) return html`<p class="notice" role="status" id="focus-tx">${noun} ini belum ada di perangkat; menyinkronkan…</p>`;
  return html`<section class="card focus" id="focus-tx" data-id=${r.id} aria-label=${`${noun} ${r.code ?? ''}`}>
    <h2>${noun} ${r.code ?? ''}</h2>
    <div class="tx-main"><span class="amount">${rupiah(r.amount)}</span></div>
    <div class="tx-sub">${tanggal(txDate(r))} · ${locationName(r.location_id)}</div>
    ${fee ? html`<${FeeLine} row=${r} />` : null}
    <div class="tx-state"><${SyncState} row=${r} /></div></section>`;
}

export function Deposits({ focus } = {}) {
  const [f, setF, apply] = useFilters();
  const [msg, setMsg] = useState(null);
  const rows = sortRows(apply(app.view?.deposit ?? [], 'kind'));
  const cancel = async (row) => {
    await queue({ name: 'deposit.cancel', deposit_id: row.id });
    setMsg(`Pembatalan ${row.code ?? 'setoran'} tersimpan.`);
  };
  return html`<${Page} title="Setoran Simpanan" current="#/setoran">
    <a class="button primary" href="#/setoran/baru" id="add-deposit">Tambah Setoran</a>
    <${Filters} f=${f} setF=${setF} kinds=${[['offline', 'Offline'], ['mandiri', 'Mandiri']]} kindLegend="Tipe Setoran" idPrefix="dep" />
    ${msg ? html`<p class="notice" role="status">${msg}</p>` : null}
    <${Focused} rows=${app.view?.deposit ?? []} id=${focus} noun="Setoran" />
    <ul class="tx-list" id="deposit-list">${rows.map((r) => html`<li class="tx" data-id=${r.id}>
      <div class="tx-main"><strong>${r.code ?? 'Setoran baru'}</strong> <span class="amount">${rupiah(r.amount)}</span></div>
      <div class="tx-sub">${tanggal(txDate(r))} · ${KIND_LABEL[r.kind] ?? r.kind} · ${locationName(r.location_id)}</div>
      <div class="tx-state"><${SyncState} row=${r} /></div>
      <details class="actions"><summary>Aksi</summary>
        ${r.status === 'unverified' && r.sync?.state !== 'rejected' ? html`<${ActionButton} label="Batalkan" name="cancel"
          confirm=${`Batalkan ${r.code ?? 'setoran baru'} sebesar ${rupiah(r.amount)}? Pembatalan tidak dapat diurungkan.`}
          action=${() => cancel(r)} done="Pembatalan disimpan." />` : null}
        ${r.code ? html`<a href=${`#/slip/${r.id}`}>Cetak Slip</a>` : null}
        ${r.sync?.state === 'rejected' ? html`<a href=${copyLink(r, '#/setoran/baru')}>Salin ke setoran baru</a>` : null}
      </details>
    </li>`)}</ul>
    ${rows.length ? null : html`<${Empty}>Belum ada riwayat setoran.<//>`}
  <//>`;
}

/** A withdrawal's transfer fee: as the server fixed it on the row; a request not yet taken shows the fee
 * the server will fix from the published setting (`fee_settings`). */
function feeOf(row) {
  if (!row.pendingCreate) return row.fee ?? 0;
  const setting = (app.view?.fee_settings ?? []).find((f) => f._key === 'current')?.withdrawal_transfer_fee ?? 0;
  return row.amount > 0 ? withdrawalFee(row.method, row.amount, setting) : 0;
}

/** "Biaya transfer … · Diterima anggota …" for a withdrawal that carries a fee; nothing otherwise. */
function FeeLine({ row }) {
  const fee = feeOf(row);
  return fee > 0 ? html`<div class="tx-sub tx-fee">Biaya transfer ${rupiah(fee)} · Diterima anggota ${rupiah(row.amount - fee)}</div>` : null;
}

export function Withdrawals({ focus } = {}) {
  const [f, setF, apply] = useFilters();
  const [msg, setMsg] = useState(null);
  const rows = sortRows(apply(app.view?.withdrawal ?? [], 'method'));
  const cancel = async (row) => {
    await queue({ name: 'withdrawal.cancel', withdrawal_id: row.id });
    setMsg(`Pembatalan ${row.code ?? 'penarikan'} tersimpan.`);
  };
  return html`<${Page} title="Penarikan Simpanan" current="#/penarikan">
    <a class="button primary" href="#/penarikan/baru" id="add-withdrawal">Tambah Data</a>
    <${Filters} f=${f} setF=${setF} kinds=${[['transfer', 'Transfer'], ['tunai', 'Tunai']]} kindLegend="Metode Penarikan" idPrefix="wd" />
    ${msg ? html`<p class="notice" role="status">${msg}</p>` : null}
    <${Focused} rows=${app.view?.withdrawal ?? []} id=${focus} noun="Penarikan" fee=${true} />
    <ul class="tx-list" id="withdrawal-list">${rows.map((r) => html`<li class="tx" data-id=${r.id}>
      <div class="tx-main"><strong>${r.code ?? 'Penarikan baru'}</strong> <span class="amount">${rupiah(r.amount)}</span></div>
      <div class="tx-sub">${tanggal(txDate(r))} · ${METHOD_LABEL[r.method] ?? r.method} · ${locationName(r.location_id)}</div>
      <${FeeLine} row=${r} />
      <div class="tx-state"><${SyncState} row=${r} /></div>
      <details class="actions"><summary>Aksi</summary>
        ${r.status === 'unverified' && r.sync?.state !== 'rejected' ? html`<${ActionButton} label="Batalkan" name="cancel"
          confirm=${`Batalkan ${r.code ?? 'penarikan baru'} sebesar ${rupiah(r.amount)}? Pembatalan tidak dapat diurungkan.`}
          action=${() => cancel(r)} done="Pembatalan disimpan." />` : null}
        ${r.code && !r.pendingCreate ? html`<${PdfButton} path=${`/api/documents/withdrawals/${r.id}/slip`} filename=${`slip-${r.code}.pdf`} label="Cetak Slip" />` : null}
        ${r.sync?.state === 'rejected' ? html`<a href=${copyLink(r, '#/penarikan/baru')}>Salin ke penarikan baru</a>` : null}
      </details>
    </li>`)}</ul>
    ${rows.length ? null : html`<${Empty}>Belum ada riwayat penarikan.<//>`}
  <//>`;
}
