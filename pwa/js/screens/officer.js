/** Officer (petugas): cash deposits offline, the verification queue, cash in hand, disbursement and cash installments. */
import { html, useEffect, useState } from '../html.js';
import { app, queue } from '../app-state.js';
import { Page, Field, AmountInput, SyncState, Empty, RejectedItems } from '../ui/components.js';
import { rupiah, waktu, today } from '../ui/format.js';
import { parseAmount, formatRupiah } from '../domain/money.js';
import { clipText } from '../domain/mutations.js';
import { checkRepayment, repaymentDue } from '../domain/loans.js';
import { validateOp, clean } from '../sync/validate.js';
import { profileDb } from '../sync/db.js';
import { attachment as storedAttachment } from '../sync/outbox.js';
import { LIMITS } from './deposit-form.js';
import { locationName } from './deposits.js';
import { parseHash } from '../router.js';
import { PdfButton } from '../ui/documents.js';

const mine = () => new Set(app.profile.user.location_ids ?? []);

/** A scanned member card or Setoran request arrives as `#/petugas?member=&savings_type=&amount=`. */
function scanned(locs) {
  const q = parseHash().query;
  const member = q.member ? (app.view?.member ?? []).find((m) => String(m.id) === q.member && m.active && locs.has(m.location_id)) ?? null : null;
  return { member, savings_type: q.savings_type, amount: /^\d+$/.test(q.amount ?? '') ? q.amount.replace(/\B(?=(\d{3})+(?!\d))/g, '.') : '' };
}

export function CashDeposit() {
  const [q, setQ] = useState('');
  const [pre] = useState(() => scanned(mine()));
  const [member, setMember] = useState(pre.member);
  const [v, setV] = useState({ savings_type: pre.savings_type ?? 'wajib', amount: pre.amount, note: '' });
  const [errors, setErrors] = useState({});
  const [saved, setSaved] = useState(null);
  const locs = mine();
  const members = (app.view?.member ?? []).filter((m) => m.active && locs.has(m.location_id)
    && (!q || m.name.toLowerCase().includes(q.toLowerCase()) || m.number.toLowerCase().includes(q.toLowerCase()))).slice(0, 30);
  const submit = async (ev) => {
    ev.preventDefault();
    const a = parseAmount(v.amount);
    let e = {};
    if (!a.ok) e.amount = a.message;
    else if (a.value < LIMITS.deposit[0] || a.value > LIMITS.deposit[1]) e.amount = `Jumlah setoran harus antara ${formatRupiah(LIMITS.deposit[0])} dan ${formatRupiah(LIMITS.deposit[1])}.`;
    setErrors(e);
    if (Object.keys(e).length) return;
    const op = clean({ name: 'deposit.create', deposit_id: crypto.randomUUID(), member_id: member.id, savings_type: v.savings_type, kind: 'offline',
      amount: a.value, location_id: member.location_id, note: v.note.trim() });
    if (validateOp(op).length) { setErrors({ form: 'Isian tidak valid.' }); return; }
    const item = await queue(op);
    setSaved({ item, member, amount: a.value });
    setV({ ...v, amount: '', note: '' });
    setMember(null);
  };
  return html`<${Page} title="Setor Tunai" current="#/petugas"><${RejectedItems} />
    ${saved ? html`<p class="notice ok" role="status" id="saved">Setoran tunai ${rupiah(saved.amount)} untuk ${saved.member.name} tersimpan (no. ${saved.item.id}).</p>` : null}
    ${member ? html`<form class="form" id="cash-form" onSubmit=${submit} novalidate>
        <p class="lead">${member.name} · ${member.number} · ${locationName(member.location_id)}</p>
        <${Field} label="Jenis Simpanan" id="savings_type"><select id="savings_type" value=${v.savings_type} onChange=${(e) => setV({ ...v, savings_type: e.currentTarget.value })}>
          ${(app.view?.savings_type ?? []).map((t) => html`<option value=${t.code}>${t.name}</option>`)}</select><//>
        <${Field} label="Jumlah Setoran" id="amount" error=${errors.amount}><${AmountInput} id="amount" value=${v.amount} onInput=${(t) => setV((o) => ({ ...o, amount: t }))} describedby=${errors.amount ? 'amount-err' : undefined} /><//>
        <${Field} label="Keterangan" id="note"><input id="note" value=${v.note} onInput=${(e) => setV({ ...v, note: e.currentTarget.value })} /><//>
        <div class="row2"><button type="button" onClick=${() => setMember(null)}>Ganti anggota</button><button class="primary" type="submit" id="save-cash">Simpan Setoran</button></div>
      </form>` : html`
      <div class="field"><label for="member-q">Cari anggota (nama atau nomor)</label><input id="member-q" type="search" value=${q} onInput=${(e) => setQ(e.currentTarget.value)} /></div>
      <ul class="tx-list" id="member-results">${members.map((m) => html`<li class="tx"><button type="button" class="linkish" onClick=${() => { setMember(m); setSaved(null); }}>${m.number} · ${m.name}</button></li>`)}</ul>
      ${members.length ? null : html`<${Empty}>Tidak ada anggota yang cocok di lokasi Anda.<//>`}`}
  <//>`;
}

/** Shows a deposit's proof: from this device's outbox if it is here, else fetched with the token. */
function Proof({ sha }) {
  const [url, setUrl] = useState(null);
  const [pdf, setPdf] = useState(false);
  const [err, setErr] = useState(null);
  useEffect(() => () => url && URL.revokeObjectURL(url), [url]);
  const load = async () => {
    try {
      const local = await storedAttachment(await profileDb(app.profile.clientId), sha);
      let blob;
      if (local) blob = new Blob([local.bytes], { type: local.type });
      else {
        const res = await fetch(`/api/attachments/${sha}`, { headers: { Authorization: `Bearer ${app.syncer.session.token}`, 'X-Lumbung-Protocol': '1' } });
        if (!res.ok) throw new Error('Bukti tidak dapat dimuat.');
        blob = await res.blob();
      }
      setPdf(blob.type === 'application/pdf');
      setUrl(URL.createObjectURL(blob));
    } catch (e) { setErr(navigator.onLine ? e.message : 'Bukti dapat dilihat saat online.'); }
  };
  // a member may upload a PDF (readProof): an <img> cannot show it, the browser's viewer can
  if (url && pdf) return html`<a class="proof-pdf" href=${url} target="_blank" rel="noopener" download=${`bukti-${sha.slice(0, 8)}.pdf`}>Buka Bukti (PDF)</a>`;
  if (url) return html`<img class="proof" src=${url} alt="Bukti setoran" />`;
  return html`<button type="button" onClick=${load}>Lihat Bukti</button>${err ? html`<span class="error">${err}</span>` : null}`;
}

function Decide({ row, kind }) {
  const [reason, setReason] = useState('');
  const [open, setOpen] = useState(false);
  const [error, setError] = useState(null);
  const idKey = `${kind}_id`;
  const verify = () => queue({ name: `${kind}.verify`, [idKey]: row.id });
  const reject = async (ev) => {
    ev.preventDefault();
    if (!reason.trim()) { setError('Tuliskan alasan penolakan.'); return; }
    await queue({ name: `${kind}.reject`, [idKey]: row.id, reason: clipText(reason, 500) });
  };
  const rid = `reason-${row.id}`;
  return html`<div class="decide">
    <button class="primary verify" type="button" onClick=${verify}>Verifikasi</button>
    <button type="button" onClick=${() => setOpen(!open)} aria-expanded=${open}>Tolak</button>
    ${open ? html`<form onSubmit=${reject} class="reject-form"><label for=${rid}>Alasan penolakan</label>
      <input id=${rid} value=${reason} onInput=${(e) => setReason(e.currentTarget.value)} maxlength="500" aria-describedby=${error ? `${rid}-err` : undefined} />
      ${error ? html`<p class="error" id=${`${rid}-err`} role="alert">${error}</p>` : null}<button type="submit">Kirim Penolakan</button></form>` : null}
  </div>`;
}

export function Verification() {
  const me = app.profile.user;
  const locs = mine();
  const members = new Map((app.view?.member ?? []).map((m) => [m.id, m]));
  const open = (rows) => rows.filter((r) => locs.has(r.location_id) && r.created_by !== me.id && (r.status === 'unverified' || r.sync))
    .sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
  const deposits = open(app.view?.deposit ?? []);
  const withdrawals = open(app.view?.withdrawal ?? []);
  const Row = (kind) => (r) => html`<li class="tx" data-id=${r.id}>
    <div class="tx-main"><strong>${r.code ?? '–'}</strong> <span class="amount">${rupiah(r.amount)}</span></div>
    <div class="tx-sub">${members.get(r.member_id)?.name ?? `Anggota ${r.member_id}`} · ${waktu(r.created_at)}${r.kind ? ` · ${r.kind === 'offline' ? 'Offline' : 'Mandiri'}` : ''}</div>
    ${kind === 'deposit' && r.attachment ? html`<div><${Proof} sha=${r.attachment} /></div>` : null}
    <div class="tx-state"><${SyncState} row=${r} /></div>
    ${r.status === 'unverified' && !r.sync ? html`<${Decide} row=${r} kind=${kind} />` : null}
  </li>`;
  return html`<${Page} title="Antrean Verifikasi" current="#/verifikasi"><${RejectedItems} />
    <h2>Setoran</h2><ul class="tx-list" id="verify-deposits">${deposits.map(Row('deposit'))}</ul>${deposits.length ? null : html`<${Empty}>Tidak ada setoran menunggu verifikasi.<//>`}
    <h2>Penarikan</h2><ul class="tx-list" id="verify-withdrawals">${withdrawals.map(Row('withdrawal'))}</ul>${withdrawals.length ? null : html`<${Empty}>Tidak ada penarikan menunggu verifikasi.<//>`}
  <//>`;
}

export function CashInHand() {
  const me = app.profile.user;
  const members = new Map((app.view?.member ?? []).map((m) => [m.id, m]));
  const rows = (app.view?.deposit ?? []).filter((d) => d.kind === 'offline' && d.created_by === me.id && d.status === 'unverified' && d.sync?.state !== 'rejected')
    .sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
  const total = rows.reduce((s, r) => s + r.amount, 0);
  return html`<${Page} title="Kas di Tangan" current="#/kas"><${RejectedItems} />
    <section class="card"><h2>Total kas belum diverifikasi</h2><p class="big" id="cash-total">${rupiah(total)}</p><p class="muted">${rows.length} setoran tunai</p>
      <${PdfButton} id="cash-report-pdf" path="/api/documents/cash-report" query=${{ day: today() }} filename=${`kas-harian-${today()}.pdf`} label="Cetak Laporan Kas Harian (PDF)" /></section>
    <ul class="tx-list" id="cash-list">${rows.map((r) => html`<li class="tx"><div class="tx-main"><strong>${r.code ?? 'Belum terkirim'}</strong> <span class="amount">${rupiah(r.amount)}</span></div>
      <div class="tx-sub">${members.get(r.member_id)?.name ?? ''} · ${waktu(r.device_time ?? r.created_at)}</div><div class="tx-state"><${SyncState} row=${r} /></div></li>`)}</ul>
  <//>`;
}

/**
 * What the loan still owes as this device knows it: the pulled schedule (installment amounts less what
 * is paid) less the cash installments this device has queued and not yet had answered; null before the
 * schedule has arrived (the server then decides alone).
 */
function dueOnDevice(loan) {
  const schedule = (app.view?.loan_schedule ?? []).find((s) => s.loan_id === loan.id);
  if (!schedule) return null;
  const queued = (app.view?.outbox ?? [])
    .filter((i) => i.state === 'pending' && !i.dismissed && i.op.name === 'loan.repay' && i.op.loan_id === loan.id)
    .reduce((sum, i) => sum + i.op.amount, 0);
  return repaymentDue(schedule.installments) - queued;
}

function Repay({ loan }) {
  const [text, setText] = useState('');
  const [error, setError] = useState(null);
  const id = `repay-${loan.id}`;
  const due = dueOnDevice(loan);
  const submit = async (ev) => {
    ev.preventDefault();
    const a = parseAmount(text);
    if (!a.ok) { setError(a.message); return; }
    if (due !== null) {
      try { checkRepayment(loan.code, due, a.value); } catch (e) { setError(e.message); return; }
    }
    const op = { name: 'loan.repay', repayment_id: crypto.randomUUID(), loan_id: loan.id, amount: a.value };
    if (validateOp(op).length) { setError('Isian tidak valid.'); return; }
    setError(null);
    setText('');
    await queue(op);
  };
  return html`<form onSubmit=${submit} class="inline-form"><label for=${id}>Angsuran tunai</label>
    <${AmountInput} id=${id} value=${text} onInput=${(t) => setText(t)} describedby=${error ? `${id}-err` : undefined} />
    ${due !== null ? html`<p class="muted due" id=${`${id}-due`}>Sisa tagihan ${rupiah(Math.max(due, 0))}</p>` : null}
    ${error ? html`<p class="error" id=${`${id}-err`} role="alert">${error}</p>` : null}<button type="submit">Terima Angsuran</button></form>`;
}

export function Disbursement() {
  const me = app.profile.user;
  const locs = mine();
  const members = new Map((app.view?.member ?? []).map((m) => [m.id, m]));
  const loans = (app.view?.loan ?? []).filter((l) => locs.has(l.location_id) && ['approved', 'active'].includes(l.status) && l.member_id !== me.member_id);
  const disburse = (l) => queue({ name: 'loan.disburse', loan_id: l.id, disbursement_date: today() });
  return html`<${Page} title="Pencairan dan Angsuran" current="#/pencairan"><${RejectedItems} />
    <ul class="tx-list">${loans.map((l) => html`<li class="tx"><div class="tx-main"><strong>${l.code}</strong> <span class="amount">${rupiah(l.amount)}</span></div>
      <div class="tx-sub">${members.get(l.member_id)?.name ?? ''} · ${l.tenor} bulan · ${l.disbursement_method === 'tunai' ? 'Tunai' : 'Transfer'}</div>
      <div class="tx-state"><${SyncState} row=${l} /></div>
      ${l.status === 'approved' && !l.sync ? html`<button class="primary" type="button" onClick=${() => disburse(l)}>Cairkan Hari Ini</button>` : null}
      ${l.status === 'active' ? html`<p class="muted">Sisa pokok ${rupiah(l.outstanding)}</p><${Repay} loan=${l} />` : null}</li>`)}</ul>
    ${loans.length ? null : html`<${Empty}>Tidak ada pinjaman untuk dicairkan atau diangsur.<//>`}
  <//>`;
}
