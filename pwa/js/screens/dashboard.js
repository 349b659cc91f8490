/** Dashboard Anggota and Kartu Simpanan, both computed from the replica (offline too). */
import { html, useEffect, useState } from '../html.js';
import { app } from '../app-state.js';
import { Page, Empty, RejectedItems } from '../ui/components.js';
import { rupiah, tanggal, waktu, today, coopZone } from '../ui/format.js';
import { plafonNow, plafonInstallments } from '../domain/loans.js';
import { dateIn } from '../domain/dates.js';
import { checkLedger } from '../sync/ledger-check.js';
import { setMeta, getMeta, profileDb } from '../sync/db.js';
import { PdfButton } from '../ui/documents.js';

export function memberData(view, memberId) {
  const v = view ?? {};
  const types = new Map((v.savings_type ?? []).map((t) => [t.code, t]));
  const accounts = (v.savings_account ?? []).filter((a) => a.member_id === memberId)
    .map((a) => ({ ...a, name: types.get(a.savings_type)?.name ?? a.savings_type, withdrawable: !!types.get(a.savings_type)?.withdrawable,
      available: a.balance - a.held - (a.pending_hold ?? 0) }))
    .sort((a, b) => a.savings_type.localeCompare(b.savings_type));
  const profile = (v.payroll_profile ?? []).find((p) => p.member_id === memberId) ?? null;
  const loans = (v.loan ?? []).filter((l) => l.member_id === memberId);
  const changes = (v.deduction_change ?? []).filter((c) => c.member_id === memberId);
  let plafon = null;
  if (profile && profile.plafon !== null) {
    try { plafon = plafonNow(profile, changes, today().slice(0, 7), plafonInstallments(loans, memberId)); } catch { plafon = null; }
  }
  const member = (v.member ?? []).find((m) => m.id === memberId) ?? null;
  return { member, accounts, profile, loans, changes, plafon, types };
}

function LedgerCard({ memberId }) {
  const [result, setResult] = useState(null);
  const entries = (app.view?.ledger_entry ?? []).filter((e) => e.member_id === memberId);
  const accounts = (app.view?.savings_account ?? []).filter((a) => a.member_id === memberId);
  const key = `${entries.length}:${accounts.map((a) => a.balance).join(',')}`;
  useEffect(() => {
    let live = true;
    (async () => {
      const db = await profileDb(app.profile.clientId);
      const check = await checkLedger(entries, accounts);
      const at = new Date().toISOString();
      await setMeta(db, { ledgerCheck: { ...check, at } });
      if (live) setResult({ ...check, at });
    })().catch(async () => {
      const { ledgerCheck } = await getMeta(await profileDb(app.profile.clientId), ['ledgerCheck']);
      if (live) setResult(ledgerCheck ?? null);
    });
    return () => { live = false; };
  }, [key]);
  if (!result) return html`<section class="card"><h2>Buku Besar</h2><p>Memeriksa…</p></section>`;
  return html`<section class="card ledger" id="ledger-check">
    <h2>Buku Besar</h2>
    ${result.ok ? html`<p class="ok">Buku besar terverifikasi</p>` : html`<p class="bad" role="alert">Buku besar TIDAK cocok${result.firstBad ? ` (entri #${result.firstBad})` : ''}. Hubungi pengurus.</p>`}
    <p class="muted">${result.entries} entri diperiksa di perangkat · Pemeriksaan terakhir ${waktu(result.at)}</p>
  </section>`;
}

export function Dashboard() {
  const u = app.profile.user;
  const d = memberData(app.view, u.member_id);
  return html`<${Page} title="Dashboard Anggota" current="#/"><${RejectedItems} />
    ${d.member ? html`<p class="lead">${d.member.name} · ${d.member.number}</p>` : null}
    <section class="card plafon">
      <h2>Plafon Angsuran/Cicilan</h2>
      <p class="big" id="plafon">${d.plafon ? rupiah(d.plafon.plafon) : 'Belum ditetapkan'}</p>
      <h3>Sisa Plafon Angsuran/Cicilan</h3>
      <p class="big" id="sisa-plafon">${d.plafon ? rupiah(d.plafon.remaining) : '–'}</p>
    </section>
    <section class="card">
      <h2>Saldo Simpanan</h2>
      ${d.accounts.length ? html`<ul class="balances">${d.accounts.map((a) => html`<li>
        <span>${a.name}</span><strong class="balance" data-type=${a.savings_type}>${rupiah(a.balance)}</strong>
        ${a.held || a.pending_hold ? html`<small>Ditahan ${rupiah(a.held + (a.pending_hold ?? 0))} · tersedia ${rupiah(a.available)}</small>` : null}
      </li>`)}</ul>` : html`<${Empty}>Belum ada data simpanan. Sinkronkan saat online.<//>`}
      <a class="button" href="#/kartu">Kartu Simpanan</a>
    </section>
    <section class="card">
      <h2>Pinjaman Aktif</h2>
      ${d.loans.filter((l) => l.status === 'active').map((l) => html`<div class="loan-row">
        <div><strong>${l.code}</strong><br /><small>Sisa pokok ${rupiah(l.outstanding)} · angsuran ${rupiah(l.monthly_installment)}</small></div>
        <a class="button" href=${`#/pinjaman/${l.id}`}>Lihat Angsuran</a></div>`)}
      ${d.loans.some((l) => l.status === 'active') ? null : html`<${Empty}>Tidak ada pinjaman aktif.<//>`}
    </section>
    <${LedgerCard} memberId=${u.member_id} />
  <//>`;
}

/** Kartu Simpanan from the member's own ledger entries: opening balance, lines, closing balance. */
export function savingsCard(entries, savingsType, start, end) {
  const rows = entries.filter((e) => e.savings_type === savingsType).sort((a, b) => a.seq - b.seq);
  let opening = 0;
  const lines = [];
  for (const e of rows) {
    const day = dateIn(e.at, coopZone());
    if (day < start) opening = e.balance_after;
    else if (day <= end) lines.push({ at: e.at, ref_code: e.ref_code, kind: e.kind, debit: e.amount < 0 ? -e.amount : 0, credit: e.amount > 0 ? e.amount : 0, balance: e.balance_after });
  }
  const closing = lines.length ? lines[lines.length - 1].balance : opening;
  return { opening, lines, closing, credit: lines.reduce((s, l) => s + l.credit, 0), debit: lines.reduce((s, l) => s + l.debit, 0) };
}

export function SavingsCard() {
  const u = app.profile.user;
  const d = memberData(app.view, u.member_id);
  const t = today();
  const [form, setForm] = useState({ type: 'sukarela', start: `${t.slice(0, 4)}-01-01`, end: t });
  const [applied, setApplied] = useState(form);
  const [error, setError] = useState(null);
  const entries = (app.view?.ledger_entry ?? []).filter((e) => e.member_id === u.member_id);
  const card = savingsCard(entries, applied.type, applied.start, applied.end);
  const apply = (ev) => {
    ev.preventDefault();
    if (!form.start || !form.end) { setError('Isi periode awal dan akhir.'); return; }
    if (form.start > form.end) { setError('Tanggal awal periode harus sebelum tanggal akhir.'); return; }
    setError(null);
    setApplied(form);
  };
  const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.value });
  return html`<${Page} title="Kartu Simpanan" current="#/">
    <form class="filters" onSubmit=${apply}>
      <div class="field"><label for="card-type">Jenis Simpanan</label>
        <select id="card-type" value=${form.type} onChange=${set('type')}>${[...d.types.values()].map((x) => html`<option value=${x.code}>${x.name}</option>`)}</select></div>
      <div class="field"><label for="card-start">Periode dari</label><input id="card-start" type="date" value=${form.start} onInput=${set('start')} /></div>
      <div class="field"><label for="card-end">Sampai</label><input id="card-end" type="date" value=${form.end} onInput=${set('end')} />
        ${error ? html`<p class="error" role="alert">${error}</p>` : null}</div>
      <button class="primary" type="submit">Terapkan</button>
    </form>
    <section class="card">
      <p>Saldo awal <strong>${rupiah(card.opening)}</strong></p>
      <div class="table-wrap" tabindex="0" role="region" aria-label="Kartu Simpanan"><table class="table narrow" id="savings-card">
        <caption>${d.types.get(applied.type)?.name ?? applied.type}: ${tanggal(applied.start)} – ${tanggal(applied.end)}</caption>
        <thead><tr><th scope="col">Tanggal / Kode</th><th scope="col">Debit</th><th scope="col">Kredit</th><th scope="col">Saldo</th></tr></thead>
        <tbody>${card.lines.map((l) => html`<tr><td>${tanggal(dateIn(l.at, coopZone()))}<br /><small>${l.ref_code}</small></td><td>${l.debit ? rupiah(l.debit) : ''}</td><td>${l.credit ? rupiah(l.credit) : ''}</td><td>${rupiah(l.balance)}</td></tr>`)}</tbody>
        <tfoot><tr><th scope="row">Jumlah</th><td>${rupiah(card.debit)}</td><td>${rupiah(card.credit)}</td><td></td></tr></tfoot>
      </table></div>
      ${card.lines.length ? null : html`<${Empty}>Tidak ada transaksi pada periode ini.<//>`}
      <p>Saldo akhir <strong id="closing-balance">${rupiah(card.closing)}</strong></p>
      <${PdfButton} id="card-pdf" path="/api/documents/savings-statement" query=${{ savings_type: applied.type, period_start: applied.start, period_end: applied.end }}
        filename=${`kartu-simpanan-${applied.type}-${applied.start}-${applied.end}.pdf`} label="Cetak Kartu Simpanan (PDF)" />
    </section>
  <//>`;
}
