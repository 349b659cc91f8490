/** Pengajuan Perubahan Setoran: the voluntary savings deducted from pay, within the sisa plafon. */
import { html, useState } from '../html.js';
import { app, queue } from '../app-state.js';
import { Page, Field, AmountInput, SyncState, Empty } from '../ui/components.js';
import { rupiah, today } from '../ui/format.js';
import { parseAmount } from '../domain/money.js';
import { checkDeductionChange, plafonInstallments, nextPayrollMonth, sisaPlafon } from '../domain/loans.js';
import { formatMonth } from '../domain/dates.js';
import { validateOp } from '../sync/validate.js';
import { memberData } from './dashboard.js';

export function DeductionChanges({ adding }) {
  const u = app.profile.user;
  const d = memberData(app.view, u.member_id);
  const [text, setText] = useState('');
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);
  const rows = [...d.changes].sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
  // The new amount replaces the current voluntary deduction, so it may reach the sisa plafon plus that
  // deduction: the plafon less the installments (checkDeductionChange's rule, shown as a number).
  const installments = plafonInstallments(d.loans, u.member_id);
  let highest = null;
  try { if (d.profile) highest = Math.max(0, sisaPlafon(d.profile, installments, 0).remaining); } catch { highest = null; }
  const submit = async (ev) => {
    ev.preventDefault();
    const a = parseAmount(text, { allowZero: true });
    if (!a.ok) { setError(a.message); return; }
    try {
      if (!d.profile) throw new Error('Plafon angsuran belum ditetapkan.');
      checkDeductionChange(d.profile, installments, a.value);
    } catch (err) { setError(err.message); return; }
    const op = { name: 'deduction_change.create', change_id: crypto.randomUUID(), member_id: u.member_id, savings_type: 'sukarela', new_amount: a.value };
    if (validateOp(op).length) { setError('Isian tidak valid.'); return; }
    setError(null);
    setSaved(await queue(op));
  };
  if (adding) {
    return html`<${Page} title="Pengajuan Perubahan Setoran" current="#/perubahan-setoran">
      ${saved ? html`<p class="notice ok" id="saved" role="status">Pengajuan perubahan tersimpan (Menunggu sinkronisasi). <a href="#/perubahan-setoran">Kembali</a></p>` : html`
      <form class="form" onSubmit=${submit} novalidate>
        <${Field} label="Jenis Simpanan" id="ded-type"><select id="ded-type"><option value="sukarela">Sukarela</option></select><//>
        <dl class="facts"><dt>Setoran sukarela potong gaji saat ini</dt><dd>${rupiah(d.profile?.voluntary_deduction ?? 0)}</dd>
          <dt>Sisa plafon angsuran/cicilan saat ini</dt><dd>${d.plafon ? rupiah(d.plafon.remaining) : '–'}</dd>
          <dt>Nominal tertinggi (sisa plafon + setoran sukarela saat ini)</dt><dd id="ded-max">${highest === null ? '–' : rupiah(highest)}</dd></dl>
        <${Field} label="Nominal Perubahan Setoran" id="new_amount" error=${error} hint=${`Berlaku pada potong gaji ${formatMonth(nextPayrollMonth(today()))}`}>
          <${AmountInput} id="new_amount" value=${text} onInput=${(t) => setText(t)} describedby=${error ? 'new_amount-err' : undefined} /><//>
        <button class="primary" type="submit">Simpan Pengajuan Perubahan</button>
      </form>`}<//>`;
  }
  return html`<${Page} title="Pengajuan Perubahan Setoran" current="#/perubahan-setoran">
    <a class="button primary" href="#/perubahan-setoran/baru">Tambah Data</a>
    <ul class="tx-list">${rows.map((c) => html`<li class="tx"><div class="tx-main"><strong>${rupiah(c.current_amount ?? d.profile?.voluntary_deduction ?? 0)} → ${rupiah(c.new_amount)}</strong></div>
      <div class="tx-sub">Berlaku ${formatMonth(c.effective_month ?? nextPayrollMonth(today()))}</div><div class="tx-state"><${SyncState} row=${c} /></div></li>`)}</ul>
    ${rows.length ? null : html`<${Empty}>Belum ada pengajuan perubahan setoran.<//>`}
  <//>`;
}
