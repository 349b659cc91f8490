/**
 * Tambah Setoran (mandiri, with Bukti Setoran) and Tambah Penarikan. Every field of the guide,
 * labelled, its error next to it; nothing is queued until every check passes, and "tersimpan" is
 * shown only after the IndexedDB commit.
 */
import { html, useState } from '../html.js';
import { app, queue } from '../app-state.js';
import { Page, Field, AmountInput } from '../ui/components.js';
import { parseAmount, formatRupiah } from '../domain/money.js';
import { parseHash } from '../router.js';
import { today, rupiah } from '../ui/format.js';
import { validateOp, clean } from '../sync/validate.js';
import { QuotaError } from '../sync/outbox.js';
import { memberData } from './dashboard.js';
import { withdrawalPreview } from '../domain/fees.js';

export const LIMITS = { deposit: [1_000, 100_000_000], withdrawal: [10_000, 50_000_000] };
export const MAX_PROOF_BYTES = 5 * 1024 * 1024;
const MAGIC = { 'image/jpeg': [0xff, 0xd8, 0xff], 'image/png': [0x89, 0x50, 0x4e, 0x47], 'application/pdf': [0x25, 0x50, 0x44, 0x46] };

/** Read and check a proof file: JPG, PNG or PDF whose bytes match, at most 5 MB. */
export async function readProof(file) {
  if (!file) return { error: 'Unggah bukti transfer setoran.' };
  if (!MAGIC[file.type]) return { error: 'Bukti setoran harus berupa foto JPG/PNG atau PDF.' };
  if (file.size > MAX_PROOF_BYTES) return { error: `Ukuran bukti setoran maksimal 5 MB (file ini ${(file.size / 1048576).toFixed(1).replace('.', ',')} MB).` };
  const bytes = await file.arrayBuffer();
  const head = new Uint8Array(bytes.slice(0, 4));
  if (!MAGIC[file.type].every((b, i) => head[i] === b)) return { error: 'Isi file tidak sesuai jenisnya (JPG/PNG/PDF).' };
  return { bytes, type: file.type, name: file.name };
}

function amountError(text, [min, max], label) {
  const r = parseAmount(text);
  if (!r.ok) return [null, r.message];
  if (r.value < min || r.value > max) return [null, `${label} harus antara ${formatRupiah(min)} dan ${formatRupiah(max)}.`];
  return [r.value, null];
}

async function save(op, attachment, setErrors, setSaved) {
  const problems = validateOp(op);
  if (problems.length) { setErrors({ form: problems.map((p) => p.message).join(' ') }); return false; }
  try {
    const item = await queue(op, attachment);
    setSaved(item);
    return true;
  } catch (err) {
    setErrors({ form: err instanceof QuotaError ? err.message : `Gagal menyimpan: ${err.message}` });
    return false;
  }
}

const KIND = { anggota: 'Anggota', badan: 'Badan' };

/**
 * Setor untuk karyawan/badan: find the recipient by number or name (GET /api/directory/members,
 * online). Only number, name and kind are shown; the id the mutation needs stays out of sight.
 */
function Recipient({ chosen, onChoose, error }) {
  const [q, setQ] = useState('');
  const [found, setFound] = useState(null);
  const [note, setNote] = useState(null);
  const search = async () => {
    if (!q.trim()) { setNote('Isi nomor atau nama anggota/badan.'); return; }
    setNote(null);
    try {
      const rows = await app.syncer.session.call('GET', '/api/directory/members', { query: { q: q.trim() } });
      setFound(rows);
      if (!rows.length) setNote('Tidak ditemukan. Nama perlu minimal 3 huruf; nomor harus lengkap bila kurang dari 3 karakter.');
    } catch (err) { setNote(navigator.onLine ? err.message : 'Pencarian anggota tersedia saat online.'); }
  };
  const onKey = (e) => { if (e.key === 'Enter') { e.preventDefault(); search(); } };
  const msg = error ?? note;
  return html`<fieldset class=${msg ? 'field has-error' : 'field'} id="recipient"><legend>Anggota/Badan tujuan</legend>
    ${chosen ? html`<p id="recipient-chosen"><strong>${chosen.number ?? ''}</strong> ${chosen.name ?? `ID ${chosen.id}`} ${chosen.kind ? html`<span class="badge">${KIND[chosen.kind] ?? chosen.kind}</span>` : null}
      <button type="button" class="linkish" onClick=${() => onChoose(null)}>Ganti</button></p>` : html`
    <label for="recipient-q">Nomor atau nama</label>
    <div class="decide"><input id="recipient-q" type="search" value=${q} maxlength="50" onInput=${(e) => setQ(e.currentTarget.value)} onKeyDown=${onKey}
      aria-describedby=${msg ? 'recipient-err' : undefined} /><button type="button" id="recipient-search" onClick=${search}>Cari</button></div>
    ${found?.length ? html`<ul class="balances" id="recipient-results">${found.map((r) => html`<li><span><strong>${r.number}</strong> ${r.name}</span>
      <span>${KIND[r.kind] ?? r.kind} <button type="button" class="linkish" onClick=${() => onChoose(r)} aria-label=${`Pilih ${r.number} ${r.name}`}>Pilih</button></span></li>`)}</ul>` : null}`}
    ${msg ? html`<p class="error" id="recipient-err" role="alert">${msg}</p>` : null}
  </fieldset>`;
}

function Saved({ item, what, back }) {
  return html`<div class="notice ok" role="status" id="saved">${what} tersimpan di perangkat (Menunggu sinkronisasi, no. ${item.id}).
    <a href=${back}>Kembali ke riwayat</a></div>`;
}

export function DepositForm() {
  const u = app.profile.user;
  const d = memberData(app.view, u.member_id);
  const q = parseHash().query;
  const [v, setV] = useState({
    other: !!q.member_id && Number(q.member_id) !== u.member_id, member_id: q.member_id ?? '', savings_type: q.savings_type ?? 'sukarela',
    bank_account_id: q.bank_account_id ?? '', amount: q.amount ? q.amount.replace(/\B(?=(\d{3})+(?!\d))/g, '.') : '', transfer_date: q.transfer_date ?? today(),
    sender_bank: q.sender_bank ?? '', account_holder: q.account_holder ?? '', note: q.note ?? '',
    location_id: q.location_id ?? String(d.member?.location_id ?? app.view?.location?.[0]?.id ?? ''),
  });
  const [file, setFile] = useState(null);
  const [recipient, setRecipient] = useState(v.other && q.member_id ? { id: Number(q.member_id) } : null);
  const [errors, setErrors] = useState({});
  const [saved, setSaved] = useState(null);
  const set = (k) => (e) => setV({ ...v, [k]: e.currentTarget.type === 'checkbox' ? e.currentTarget.checked : e.currentTarget.value });
  const banks = (app.view?.bank_account ?? []).filter((b) => b.active);
  const submit = async (ev) => {
    ev.preventDefault();
    const e = {};
    const [amount, amountErr] = amountError(v.amount, LIMITS.deposit, 'Jumlah setoran');
    if (amountErr) e.amount = amountErr;
    let memberId = u.member_id;
    if (v.other) {
      memberId = Number(recipient?.id);
      if (!Number.isSafeInteger(memberId) || memberId < 1) e.member_id = 'Cari dan pilih anggota atau badan tujuan.';
    }
    if (!v.bank_account_id) e.bank_account_id = 'Pilih bank tujuan setoran.';
    if (!v.transfer_date) e.transfer_date = 'Isi tanggal setoran.';
    else if (v.transfer_date > today()) e.transfer_date = 'Tanggal setoran tidak boleh di masa depan.';
    if (!v.sender_bank.trim()) e.sender_bank = 'Isi nama bank pengirim.';
    if (!v.account_holder.trim()) e.account_holder = 'Isi atas nama rekening pengirim.';
    if (v.note.length > 1000) e.note = 'Keterangan maksimal 1000 karakter.';
    const proof = await readProof(file);
    if (proof.error) e.proof = proof.error;
    if (!v.location_id) e.location_id = 'Pilih lokasi.';
    setErrors(e);
    if (Object.keys(e).length) return;
    const op = clean({ name: 'deposit.create', deposit_id: crypto.randomUUID(), member_id: memberId, savings_type: v.savings_type,
      kind: 'mandiri', amount, location_id: Number(v.location_id), bank_account_id: Number(v.bank_account_id), transfer_date: v.transfer_date,
      sender_bank: v.sender_bank.trim(), account_holder: v.account_holder.trim(), note: v.note.trim() });
    await save(op, proof, setErrors, setSaved);
  };
  if (saved) return html`<${Page} title="Tambah Setoran" current="#/setoran"><${Saved} item=${saved} what="Setoran" back="#/setoran" /><//>`;
  return html`<${Page} title="Tambah Setoran" current="#/setoran">
    <form class="form" id="deposit-form" onSubmit=${submit} novalidate>
      <label class="check"><input type="checkbox" id="for-other" checked=${v.other} onChange=${set('other')} /> Setor untuk karyawan/badan</label>
      ${v.other ? html`<${Recipient} chosen=${recipient} onChoose=${setRecipient} error=${errors.member_id} />` : null}
      <${Field} label="Jenis Simpanan" id="savings_type">
        <select id="savings_type" value=${v.savings_type} onChange=${set('savings_type')}>${[...d.types.values()].map((t) => html`<option value=${t.code}>${t.name}</option>`)}</select><//>
      <${Field} label="Metode Pembayaran" id="bank_account_id" error=${errors.bank_account_id} hint="Bank tujuan (rekening koperasi)">
        <select id="bank_account_id" value=${v.bank_account_id} onChange=${set('bank_account_id')} aria-describedby=${errors.bank_account_id ? 'bank_account_id-err' : undefined}>
          <option value="">Pilih bank</option>${banks.map((b) => html`<option value=${String(b.id)}>${b.bank} ${b.number} a.n. ${b.holder}</option>`)}</select><//>
      <${Field} label="Jumlah Setoran" id="amount" error=${errors.amount}>
        <${AmountInput} id="amount" value=${v.amount} onInput=${(t) => setV((o) => ({ ...o, amount: t }))} describedby=${errors.amount ? 'amount-err' : undefined} /><//>
      <${Field} label="Tanggal Setoran" id="transfer_date" error=${errors.transfer_date}>
        <input id="transfer_date" type="date" max=${today()} value=${v.transfer_date} onInput=${set('transfer_date')} aria-describedby=${errors.transfer_date ? 'transfer_date-err' : undefined} /><//>
      <${Field} label="Bank Transfer" id="sender_bank" error=${errors.sender_bank}>
        <input id="sender_bank" value=${v.sender_bank} maxlength="200" onInput=${set('sender_bank')} aria-describedby=${errors.sender_bank ? 'sender_bank-err' : undefined} /><//>
      <${Field} label="Atas Nama" id="account_holder" error=${errors.account_holder}>
        <input id="account_holder" value=${v.account_holder} maxlength="200" onInput=${set('account_holder')} aria-describedby=${errors.account_holder ? 'account_holder-err' : undefined} /><//>
      <${Field} label="Lokasi" id="location_id" error=${errors.location_id}>
        <select id="location_id" value=${v.location_id} onChange=${set('location_id')}>${(app.view?.location ?? []).map((l) => html`<option value=${String(l.id)}>${l.name}</option>`)}</select><//>
      <${Field} label="Keterangan" id="note" error=${errors.note}>
        <textarea id="note" rows="2" maxlength="1000" value=${v.note} onInput=${set('note')}></textarea><//>
      <fieldset class=${errors.proof ? 'field has-error' : 'field'}><legend>Bukti Setoran</legend>
        <label class="filebtn" for="proof-camera">Ambil Foto</label>
        <input id="proof-camera" class="visually-hidden" type="file" accept="image/jpeg,image/png" capture="environment" onChange=${(e) => setFile(e.currentTarget.files[0] ?? null)} />
        <label class="filebtn" for="proof-file">Pilih File</label>
        <input id="proof-file" class="visually-hidden" type="file" accept="image/jpeg,image/png,application/pdf" onChange=${(e) => setFile(e.currentTarget.files[0] ?? null)} aria-describedby=${errors.proof ? 'proof-err' : undefined} />
        <p class="muted" id="proof-name">${file ? file.name : 'Belum ada file (JPG, PNG atau PDF, maks. 5 MB)'}</p>
        ${errors.proof ? html`<p class="error" id="proof-err" role="alert">${errors.proof}</p>` : null}
      </fieldset>
      ${errors.form ? html`<p class="error" role="alert">${errors.form}</p>` : null}
      <button class="primary" type="submit" id="save-deposit">Simpan Setoran</button>
    </form>
  <//>`;
}

/** The transfer fee from the feed's `fee_settings`, shown before the member saves. */
function WithdrawalFees({ method, text }) {
  const a = parseAmount(text);
  const transferFee = (app.view?.fee_settings ?? []).find((f) => f._key === 'current')?.withdrawal_transfer_fee ?? 0;
  const p = withdrawalPreview(method, a.ok ? a.value : 0, transferFee);
  return html`<dl class="facts fees" id="withdrawal-fees" aria-live="polite">
    <dt>${p.fee_label}</dt><dd id="withdrawal-fee">${rupiah(p.fee)}</dd>
    <dt>Diterima anggota</dt><dd id="withdrawal-received">${a.ok ? rupiah(p.received) : '–'}</dd></dl>`;
}

export function WithdrawalForm() {
  const u = app.profile.user;
  const d = memberData(app.view, u.member_id);
  const q = parseHash().query;
  const withdrawable = d.accounts.filter((a) => a.withdrawable);
  const [v, setV] = useState({ savings_type: q.savings_type ?? withdrawable[0]?.savings_type ?? 'sukarela', amount: q.amount ? q.amount.replace(/\B(?=(\d{3})+(?!\d))/g, '.') : '',
    method: q.method ?? 'transfer', location_id: q.location_id ?? String(d.member?.location_id ?? ''), bank_name: q.bank_name ?? '',
    account_number: q.account_number ?? '', account_holder: q.account_holder ?? '', note: q.note ?? '' });
  const [errors, setErrors] = useState({});
  const [saved, setSaved] = useState(null);
  const set = (k) => (e) => setV({ ...v, [k]: e.currentTarget.value });
  const account = d.accounts.find((a) => a.savings_type === v.savings_type);
  const submit = async (ev) => {
    ev.preventDefault();
    const e = {};
    let [amount, amountErr] = amountError(v.amount, LIMITS.withdrawal, 'Jumlah penarikan');
    if (!amountErr && account && amount > account.available) amountErr = `Saldo tersedia hanya ${rupiah(account.available)}.`;
    if (amountErr) e.amount = amountErr;
    if (v.method === 'transfer') {
      if (!v.bank_name.trim()) e.bank_name = 'Isi nama bank tujuan.';
      if (!/^[0-9 -]{4,40}$/.test(v.account_number.trim())) e.account_number = 'Isi nomor rekening (angka).';
      if (!v.account_holder.trim()) e.account_holder = 'Isi atas nama rekening.';
    }
    if (!v.location_id) e.location_id = 'Pilih lokasi.';
    setErrors(e);
    if (Object.keys(e).length) return;
    const transfer = v.method === 'transfer';
    const op = clean({ name: 'withdrawal.create', withdrawal_id: crypto.randomUUID(), member_id: u.member_id, savings_type: v.savings_type,
      amount, method: v.method, location_id: Number(v.location_id), bank_name: transfer ? v.bank_name.trim() : null,
      account_number: transfer ? v.account_number.trim() : null, account_holder: transfer ? v.account_holder.trim() : null, note: v.note.trim() });
    await save(op, null, setErrors, setSaved);
  };
  if (saved) return html`<${Page} title="Tambah Penarikan" current="#/penarikan"><${Saved} item=${saved} what="Penarikan" back="#/penarikan" /><//>`;
  const err = (k) => (errors[k] ? `${k}-err` : undefined);
  return html`<${Page} title="Tambah Penarikan" current="#/penarikan">
    <form class="form" id="withdrawal-form" onSubmit=${submit} novalidate>
      <${Field} label="Jenis Simpanan" id="savings_type" hint=${account ? `Saldo tersedia ${rupiah(account.available)}` : undefined}>
        <select id="savings_type" value=${v.savings_type} onChange=${set('savings_type')}>${withdrawable.map((a) => html`<option value=${a.savings_type}>${a.name}</option>`)}</select><//>
      <${Field} label="Jumlah Penarikan" id="amount" error=${errors.amount}>
        <${AmountInput} id="amount" value=${v.amount} onInput=${(t) => setV((o) => ({ ...o, amount: t }))} describedby=${err('amount')} /><//>
      <${Field} label="Metode Penarikan" id="method">
        <select id="method" value=${v.method} onChange=${set('method')}><option value="transfer">Transfer</option><option value="tunai">Tunai</option></select><//>
      ${v.method === 'transfer' ? html`
        <${Field} label="Nama Bank" id="bank_name" error=${errors.bank_name}><input id="bank_name" value=${v.bank_name} onInput=${set('bank_name')} aria-describedby=${err('bank_name')} /><//>
        <${Field} label="Nomor Rekening" id="account_number" error=${errors.account_number}><input id="account_number" inputmode="numeric" value=${v.account_number} onInput=${set('account_number')} aria-describedby=${err('account_number')} /><//>
        <${Field} label="Atas Nama" id="account_holder" error=${errors.account_holder}><input id="account_holder" value=${v.account_holder} onInput=${set('account_holder')} aria-describedby=${err('account_holder')} /><//>` : null}
      <${Field} label="Lokasi" id="location_id" error=${errors.location_id}>
        <select id="location_id" value=${v.location_id} onChange=${set('location_id')}>${(app.view?.location ?? []).map((l) => html`<option value=${String(l.id)}>${l.name}</option>`)}</select><//>
      <${Field} label="Keterangan" id="note"><textarea id="note" rows="2" maxlength="1000" value=${v.note} onInput=${set('note')}></textarea><//>
      <${WithdrawalFees} method=${v.method} text=${v.amount} />
      ${errors.form ? html`<p class="error" role="alert">${errors.form}</p>` : null}
      <button class="primary" type="submit" id="save-withdrawal">Selanjutnya</button>
    </form>
  <//>`;
}
