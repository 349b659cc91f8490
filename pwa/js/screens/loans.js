/** Pengajuan Pinjaman: history, detail with its schedule, and the three-step wizard checked on the device. */
import { html, useState } from '../html.js';
import { app, queue } from '../app-state.js';
import { Page, Field, AmountInput, StatusBadge, SyncState, Empty } from '../ui/components.js';
import { rupiah, tanggal, today } from '../ui/format.js';
import { parseAmount } from '../domain/money.js';
import { evaluateApplication, DEFAULT_SETTINGS } from '../domain/loans.js';
import { validateOp, clean } from '../sync/validate.js';
import { memberData } from './dashboard.js';
import { loanFees } from '../domain/fees.js';
import { PdfButton } from '../ui/documents.js';

export function loanSettings() {
  return (app.view?.loan_settings ?? [])[0] ?? DEFAULT_SETTINGS;
}

/** What is paid of a fixed schedule's installment: Lunas, part of it, or nothing yet (Terlambat once due). */
function paidState(i, day) {
  if (i.paid >= i.amount) return { cls: 'lunas', text: 'Lunas' };
  const late = i.due_date < day ? ' · Terlambat' : '';
  if (i.paid > 0) return { cls: late ? 'late' : 'part', text: `Dibayar ${rupiah(i.paid)}${late}` };
  return { cls: late ? 'late' : 'open', text: late ? 'Terlambat' : 'Belum dibayar' };
}

export function ScheduleTable({ schedule, id = 'schedule' }) {
  // a disbursed loan's schedule carries what is paid of each installment; a simulation does not
  const paid = schedule.installments.some((i) => i.paid !== undefined && i.paid !== null);
  const day = today();
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label="Jadwal angsuran"><table class="table narrow" id=${id}><caption>Jadwal angsuran</caption>
    <thead><tr><th scope="col">Ke</th><th scope="col">Jatuh tempo</th><th scope="col">Angsuran (pokok + bunga)</th><th scope="col">Sisa pokok</th>${paid ? html`<th scope="col">Status</th>` : null}</tr></thead>
    <tbody>${schedule.installments.map((i) => {
      const state = paid ? paidState(i, day) : null;
      return html`<tr><td>${i.number}</td><td class="due">${tanggal(i.due_date)}</td>
      <td><span class="inst-amount">${rupiah(i.amount)}</span><br /><small><span class="inst-principal">${rupiah(i.principal)}</span> + <span class="inst-interest">${rupiah(i.interest)}</span></small></td>
      <td class="inst-remaining">${rupiah(i.remaining)}</td>${state ? html`<td class=${`inst-paid ${state.cls}`}>${state.text}</td>` : null}</tr>`;
    })}</tbody>
    ${schedule.total_amount !== undefined ? html`<tfoot><tr><th scope="row" colspan="2">Total</th><td>${rupiah(schedule.total_amount)}<br /><small>${rupiah(schedule.total_principal)} + ${rupiah(schedule.total_interest)}</small></td><td></td></tr></tfoot>` : null}
  </table></div>`;
}

/** The admin fee kept at disbursement and what the member receives, shown before "Ajukan Pinjaman". */
function FeeFacts({ product, amount, idPrefix }) {
  if (!product || !(amount > 0)) return null;
  const f = loanFees(product, amount);
  return html`<dl class="facts fees" id=${`${idPrefix}-fees`}>
    <dt>Biaya administrasi</dt><dd id=${`${idPrefix}-admin-fee`}>${rupiah(f.admin_fee)}</dd>
    <dt>Dana Diterima</dt><dd id=${`${idPrefix}-disbursed`}>${rupiah(f.disbursed_amount)}</dd></dl>`;
}

export function Checks({ checks }) {
  return html`<ul class="checks" id="loan-checks">${checks.map((c) => html`<li class=${c.ok ? 'ok' : 'bad'} data-code=${c.code}>
    <span aria-hidden="true">${c.ok ? '✓' : '✗'}</span> ${c.message}</li>`)}</ul>`;
}

export function Loans() {
  const u = app.profile.user;
  const products = new Map((app.view?.loan_product ?? []).map((p) => [p.id, p]));
  const loans = (app.view?.loan ?? []).filter((l) => l.member_id === u.member_id).sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
  return html`<${Page} title="Pengajuan Pinjaman" current="#/pinjaman">
    <a class="card add" href="#/pinjaman/baru" id="add-loan">+ Tambah Pengajuan Pinjaman Baru</a>
    <ul class="tx-list">${loans.map((l) => html`<li class="tx">
      <div class="tx-main"><strong>${l.code ?? 'Pengajuan baru'}</strong> <span class="amount">${rupiah(l.amount)}</span></div>
      <div class="tx-sub">${products.get(l.product_id)?.name ?? ''} · ${l.tenor} bulan · ${l.purpose}</div>
      <div class="tx-state"><${SyncState} row=${l} /> ${l.code ? html`<a href=${`#/pinjaman/${l.id}`}>Detail</a>` : null}</div>
    </li>`)}</ul>
    ${loans.length ? null : html`<${Empty}>Belum ada pengajuan pinjaman.<//>`}
  <//>`;
}

export function LoanDetail({ id }) {
  const loan = (app.view?.loan ?? []).find((l) => l.id === id);
  const sched = (app.view?.loan_schedule ?? []).find((s) => s.loan_id === id);
  const product = (app.view?.loan_product ?? []).find((p) => p.id === loan?.product_id);
  if (!loan) return html`<${Page} title="Detail Pinjaman"><${Empty}>Pinjaman tidak ditemukan di perangkat.<//><//>`;
  return html`<${Page} title="Detail Pinjaman" current="#/pinjaman">
    <section class="card"><dl class="facts">
      <dt>Kode</dt><dd>${loan.code ?? '–'}</dd><dt>Jenis Pinjaman</dt><dd>${product?.name ?? ''}</dd>
      <dt>Tujuan</dt><dd>${loan.purpose}</dd><dt>Jumlah</dt><dd>${rupiah(loan.amount)}</dd><dt>Jangka Waktu</dt><dd>${loan.tenor} bulan</dd>
      <dt>Angsuran per bulan</dt><dd>${rupiah(loan.monthly_installment)}</dd><dt>Sisa pokok</dt><dd>${rupiah(loan.outstanding)}</dd>
      ${loan.admin_fee !== undefined && loan.admin_fee !== null ? html`<dt>Biaya administrasi</dt><dd>${rupiah(loan.admin_fee)}</dd><dt>Dana Diterima</dt><dd>${rupiah(loan.amount - loan.admin_fee)}</dd>` : null}
      <dt>Status</dt><dd><${StatusBadge} status=${loan.status} /></dd>${loan.reason ? html`<dt>Alasan</dt><dd>${loan.reason}</dd>` : null}
    </dl></section>
    ${loan.code && !loan.pendingCreate ? html`<${PdfButton} id="loan-pdf" path=${`/api/documents/loans/${loan.id}/statement`} filename=${`pinjaman-${loan.code}.pdf`} label="Cetak Jadwal dan Riwayat (PDF)" />` : null}
    ${sched ? html`<${ScheduleTable} schedule=${{ installments: sched.installments }} />` : html`<p class="muted">Jadwal angsuran tersedia setelah pencairan.</p>`}
  <//>`;
}

export function LoanWizard() {
  const u = app.profile.user;
  const d = memberData(app.view, u.member_id);
  const products = (app.view?.loan_product ?? []).filter((p) => p.active);
  const [step, setStep] = useState(1);
  const [v, setV] = useState({ product_id: String(products[0]?.id ?? ''), purpose: products[0]?.purposes?.[0] ?? '', amount: '', tenor: '12',
    date: today(), location_id: String(d.member?.location_id ?? ''), method: 'transfer', bank_name: '', account_number: '', account_holder: '' });
  const [errors, setErrors] = useState({});
  const [sim, setSim] = useState(null);
  const [saved, setSaved] = useState(null);
  const product = products.find((p) => String(p.id) === v.product_id);
  const set = (k) => (e) => setV({ ...v, [k]: e.currentTarget.value, ...(k === 'product_id' ? { purpose: products.find((p) => String(p.id) === e.currentTarget.value)?.purposes?.[0] ?? '' } : {}) });
  const simulate = () => {
    const e = {};
    const a = parseAmount(v.amount);
    if (!a.ok) e.amount = a.message;
    const tenor = Number(v.tenor);
    if (!/^\d+$/.test(v.tenor) || tenor < 1 || tenor > 600) e.tenor = 'Jangka waktu harus 1–600 bulan.';
    setErrors(e);
    if (Object.keys(e).length) { setSim(null); return null; }
    try {
      const result = evaluateApplication({ product, memberId: u.member_id, profile: d.profile, loans: d.loans, accounts: d.accounts,
        changes: d.changes, purpose: v.purpose, amount: a.value, tenor, startDate: v.date || today(), month: today().slice(0, 7), settings: loanSettings() });
      setSim(result);
      const fails = Object.fromEntries(result.failed.map((c) => [c.code, c.message]));
      setErrors({ amount: fails.amount_out_of_range ?? fails.installment_over_plafon ?? fails.savings_below_minimum, tenor: fails.tenor_out_of_range ?? fails.tenor_past_retirement });
      return result;
    } catch (err) {
      setSim(null);
      setErrors({ amount: err.message });
      return null;
    }
  };
  const submit = async (ev) => {
    ev.preventDefault();
    const result = simulate();
    const e = {};
    if (!v.date || v.date < today()) e.date = 'Tanggal permintaan pencairan tidak boleh sebelum hari ini.';
    if (!v.location_id) e.location_id = 'Pilih lokasi.';
    if (v.method === 'transfer' && (!v.bank_name.trim() || !v.account_number.trim() || !v.account_holder.trim())) e.bank = 'Isi nama bank, nomor rekening dan atas nama.';
    if (!result || !result.ok) e.form = 'Pengajuan belum memenuhi syarat; lihat Simulasi Pinjaman.';
    setErrors((o) => ({ ...o, ...e }));
    if (Object.keys(e).length) return;
    const transfer = v.method === 'transfer';
    const op = clean({ name: 'loan.apply', loan_id: crypto.randomUUID(), member_id: u.member_id, product_id: product.id, purpose: v.purpose,
      amount: parseAmount(v.amount).value, tenor: Number(v.tenor), requested_disbursement_date: v.date, location_id: Number(v.location_id),
      disbursement_method: v.method, bank_name: transfer ? v.bank_name.trim() : null, account_number: transfer ? v.account_number.trim() : null,
      account_holder: transfer ? v.account_holder.trim() : null });
    const problems = validateOp(op);
    if (problems.length) { setErrors({ form: problems.map((p) => p.message).join(' ') }); return; }
    setSaved(await queue(op));
  };
  if (saved) return html`<${Page} title="Pengajuan Pinjaman" current="#/pinjaman"><p class="notice ok" id="saved" role="status">Pengajuan pinjaman tersimpan (Menunggu sinkronisasi). <a href="#/pinjaman">Kembali</a></p><//>`;
  const err = (k) => (errors[k] ? `${k}-err` : undefined);
  return html`<${Page} title="Pengajuan Pinjaman" current="#/pinjaman">
    <ol class="steps" aria-label="Langkah">${['Detil Pinjaman', 'Jumlah Pinjaman dan Jangka Waktu', 'Ringkasan'].map((s, i) => html`<li aria-current=${step === i + 1 ? 'step' : undefined}>Langkah ${i + 1}: ${s}</li>`)}</ol>
    <form class="form" id="loan-wizard" onSubmit=${submit} novalidate>
      ${step === 1 ? html`
        <${Field} label="Jenis Pinjaman" id="product_id"><select id="product_id" value=${v.product_id} onChange=${set('product_id')}>${products.map((p) => html`<option value=${String(p.id)}>${p.name}</option>`)}</select><//>
        ${product?.purposes?.length
          ? html`<${Field} label="Tujuan Pinjaman" id="purpose"><select id="purpose" value=${v.purpose} onChange=${set('purpose')}>${product.purposes.map((p) => html`<option value=${p}>${p}</option>`)}</select><//>`
          : html`<${Field} label="Tujuan Pinjaman" id="purpose" error=${errors.purpose} hint="Tulis tujuan pinjaman Anda."><input id="purpose" value=${v.purpose} maxlength="200" onInput=${set('purpose')} aria-describedby=${err('purpose')} /><//>`}
        <button class="primary" type="button" id="next-1" onClick=${() => {
          if (!v.purpose.trim()) { setErrors({ purpose: 'Tujuan pinjaman wajib diisi.' }); return; }
          setErrors({});
          setStep(2);
        }}>Selanjutnya</button>` : null}
      ${step === 2 ? html`
        <${Field} label="Jumlah Pinjaman" id="amount" error=${errors.amount} hint=${product ? `${rupiah(product.min_amount)} – ${rupiah(product.max_amount)}` : undefined}>
          <${AmountInput} id="amount" value=${v.amount} onInput=${(t) => setV((o) => ({ ...o, amount: t }))} describedby=${err('amount')} /><//>
        <${Field} label="Jangka Waktu (bulan)" id="tenor" error=${errors.tenor} hint=${product ? `${product.min_tenor}–${product.max_tenor} bulan` : undefined}>
          <input id="tenor" inputmode="numeric" value=${v.tenor} onInput=${set('tenor')} aria-describedby=${err('tenor')} /><//>
        <button type="button" id="simulate" onClick=${simulate}>Simulasi Pinjaman</button>
        ${sim ? html`<section class="card" id="simulation"><h2>Simulasi Pinjaman</h2>
          <p>Angsuran terbesar <strong id="max-installment">${rupiah(sim.schedule.max_installment)}</strong> · sisa plafon ${rupiah(sim.breakdown.remaining)}</p>
          <${FeeFacts} product=${product} amount=${parseAmount(v.amount).value} idPrefix="sim" />
          <${Checks} checks=${sim.checks} /><${ScheduleTable} schedule=${sim.schedule} /></section>` : null}
        <div class="row2"><button type="button" onClick=${() => setStep(1)}>Kembali</button>
          <button class="primary" type="button" id="next-2" onClick=${() => { const r = simulate(); if (r && r.ok) setStep(3); }}>Selanjutnya</button></div>` : null}
      ${step === 3 ? html`
        <section class="card" id="summary"><h2>Ringkasan</h2><dl class="facts"><dt>Jenis Pinjaman</dt><dd>${product?.name}</dd><dt>Tujuan</dt><dd>${v.purpose}</dd>
          <dt>Jumlah</dt><dd>${rupiah(parseAmount(v.amount).value)}</dd><dt>Jangka Waktu</dt><dd>${v.tenor} bulan</dd>
          <dt>Angsuran terbesar</dt><dd>${sim ? rupiah(sim.schedule.max_installment) : '–'}</dd></dl>
          <${FeeFacts} product=${product} amount=${parseAmount(v.amount).value} idPrefix="summary" />
          ${sim ? html`<${ScheduleTable} schedule=${sim.schedule} id="summary-schedule" />` : null}</section>
        <${Field} label="Tanggal Permintaan Pencairan" id="date" error=${errors.date}><input id="date" type="date" min=${today()} value=${v.date} onInput=${set('date')} aria-describedby=${err('date')} /><//>
        <${Field} label="Lokasi" id="location_id" error=${errors.location_id}><select id="location_id" value=${v.location_id} onChange=${set('location_id')}>${(app.view?.location ?? []).map((l) => html`<option value=${String(l.id)}>${l.name}</option>`)}</select><//>
        <${Field} label="Metode Pencairan" id="method"><select id="method" value=${v.method} onChange=${set('method')}><option value="transfer">Transfer</option><option value="tunai">Tunai</option></select><//>
        ${v.method === 'transfer' ? html`
          <${Field} label="Nama Bank" id="bank_name" error=${errors.bank}><input id="bank_name" value=${v.bank_name} onInput=${set('bank_name')} /><//>
          <${Field} label="Nomor Rekening" id="account_number"><input id="account_number" inputmode="numeric" value=${v.account_number} onInput=${set('account_number')} /><//>
          <${Field} label="Atas Nama" id="account_holder"><input id="account_holder" value=${v.account_holder} onInput=${set('account_holder')} /><//>` : null}
        ${errors.form ? html`<p class="error" role="alert">${errors.form}</p>` : null}
        <div class="row2"><button type="button" onClick=${() => setStep(2)}>Kembali</button><button class="primary" type="submit" id="submit-loan">Ajukan Pinjaman</button></div>` : null}
    </form>
  <//>`;
}
