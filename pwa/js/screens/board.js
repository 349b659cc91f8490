/** Board (pengurus): loan applications to approve or reject, with the simulation and the rule checks. */
import { html, useState } from '../html.js';
import { app, queue } from '../app-state.js';
import { Page, SyncState, Empty, RejectedItems } from '../ui/components.js';
import { rupiah, waktu, today } from '../ui/format.js';
import { evaluateApplication } from '../domain/loans.js';
import { buildSchedule } from '../domain/schedule.js';
import { clipText } from '../domain/mutations.js';
import { memberData } from './dashboard.js';
import { Checks, ScheduleTable, loanSettings } from './loans.js';

function Application({ loan }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState(null);
  const [show, setShow] = useState(false);
  const product = (app.view?.loan_product ?? []).find((p) => p.id === loan.product_id);
  const d = memberData(app.view, loan.member_id);
  let result = null;
  try {
    result = evaluateApplication({ product, memberId: loan.member_id, profile: d.profile, loans: d.loans.filter((l) => l.id !== loan.id),
      accounts: d.accounts, changes: d.changes, purpose: loan.purpose, amount: loan.amount, tenor: loan.tenor,
      startDate: loan.requested_disbursement_date ?? today(), month: today().slice(0, 7), settings: loanSettings() });
  } catch (err) { result = { checks: [{ code: err.code, ok: false, message: err.message }], schedule: null }; }
  let schedule = result.schedule;
  try { if (loan.terms) schedule = buildSchedule(loan.terms, loan.requested_disbursement_date ?? today()); } catch { /* keep the simulation */ }
  const rid = `reason-${loan.id}`;
  const reject = async () => {
    if (!reason.trim()) { setError('Tuliskan alasan penolakan.'); return; }
    setError(null);
    await queue({ name: 'loan.reject', loan_id: loan.id, reason: clipText(reason, 500) });
  };
  return html`<li class="tx" data-id=${loan.id}>
    <div class="tx-main"><strong>${loan.code}</strong> <span class="amount">${rupiah(loan.amount)}</span></div>
    <div class="tx-sub">${d.member?.name ?? `Anggota ${loan.member_id}`} · ${product?.name ?? ''} · ${loan.tenor} bulan · ${loan.purpose} · ${waktu(loan.created_at)}</div>
    <p>Angsuran per bulan <strong>${rupiah(loan.monthly_installment)}</strong> · sisa plafon ${result.breakdown ? rupiah(result.breakdown.remaining) : '–'}</p>
    <${Checks} checks=${result.checks} />
    ${schedule ? html`<button type="button" onClick=${() => setShow(!show)} aria-expanded=${show}>${show ? 'Sembunyikan simulasi' : 'Lihat simulasi'}</button>${show ? html`<${ScheduleTable} schedule=${schedule} id=${`sched-${loan.id}`} />` : null}` : null}
    <div class="tx-state"><${SyncState} row=${loan} /></div>
    ${loan.status === 'submitted' && !loan.sync ? html`<div class="decide">
      <button class="primary" type="button" onClick=${() => queue({ name: 'loan.approve', loan_id: loan.id })}>Setujui</button>
      <div class="reject-form"><label for=${rid}>Alasan penolakan</label><input id=${rid} value=${reason} onInput=${(e) => setReason(e.currentTarget.value)} maxlength="500" aria-describedby=${error ? `${rid}-err` : undefined} />
      ${error ? html`<p class="error" id=${`${rid}-err`} role="alert">${error}</p>` : null}
      <button type="button" onClick=${reject}>Tolak</button></div></div>` : null}
  </li>`;
}

export function Approvals() {
  const loans = (app.view?.loan ?? []).filter((l) => l.status === 'submitted' || l.sync).sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
  return html`<${Page} title="Persetujuan Pinjaman" current="#/persetujuan"><${RejectedItems} />
    <ul class="tx-list" id="approvals">${loans.map((l) => html`<${Application} loan=${l} key=${l.id} />`)}</ul>
    ${loans.length ? null : html`<${Empty}>Tidak ada pengajuan pinjaman yang menunggu keputusan.<//>`}
  <//>`;
}
