/** Cetak Slip: a printable deposit slip; from the server when online, else from the replica. */
import { html, useEffect, useState } from '../html.js';
import { app } from '../app-state.js';
import { rupiah, tanggal, waktu } from '../ui/format.js';
import { terbilang } from '../domain/terbilang.js';
import { statusLabel } from '../sync/view.js';
import { locationName } from './deposits.js';
import { PdfButton } from '../ui/documents.js';

export function Slip({ id }) {
  const local = (app.view?.deposit ?? []).find((d) => d.id === id);
  const [slip, setSlip] = useState(null);
  useEffect(() => {
    app.syncer?.session.call('GET', `/api/deposits/${id}/slip`).then(setSlip).catch(() => setSlip(null));
  }, [id]);
  const s = slip ?? (local ? { ...local, location_name: locationName(local.location_id), status_label: statusLabel(local.status), amount_words: terbilang(local.amount) } : null);
  if (!s) return html`<main id="main"><p>Slip tidak ditemukan.</p><a href="#/setoran">Kembali</a></main>`;
  return html`<main id="main" class="slip">
    <h1>Slip Setoran Simpanan</h1>
    <dl class="facts">
      <dt>Kode</dt><dd>${s.code}</dd><dt>Tanggal</dt><dd>${s.transfer_date ? tanggal(s.transfer_date) : waktu(s.created_at)}</dd>
      <dt>Anggota</dt><dd>${s.member_name ?? s.member_id} ${s.member_number ?? ''}</dd><dt>Jenis Simpanan</dt><dd>${s.savings_type_name ?? s.savings_type}</dd>
      <dt>Jumlah</dt><dd>${rupiah(s.amount)}</dd><dt>Terbilang</dt><dd>${s.amount_words}</dd>
      <dt>Lokasi</dt><dd>${s.location_name}</dd><dt>Status</dt><dd>${s.status_label}</dd>
      ${s.bank ? html`<dt>Rekening koperasi</dt><dd>${s.bank} ${s.bank_number}</dd>` : null}
      ${s.decided_by_name ? html`<dt>Diputuskan oleh</dt><dd>${s.decided_by_name}</dd>` : null}
    </dl>
    <p class="noprint"><button class="primary" type="button" onClick=${() => window.print()}>Cetak</button>
      ${local?.pendingCreate ? null : html`<${PdfButton} id="slip-pdf" path=${`/api/documents/deposits/${id}/slip`} filename=${`slip-${s.code ?? id}.pdf`} label="Unduh PDF" />`}
      <a href="#/setoran">Kembali</a></p>
  </main>`;
}
