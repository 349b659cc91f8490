/** Struktur Pengurus & Pengawas: the current board from the feed (`board_position`), for every member, offline too. */
import { html } from '../html.js';
import { app } from '../app-state.js';
import { Page, Empty } from '../ui/components.js';
import { tanggal, today } from '../ui/format.js';

export const POSITIONS = {
  pengurus: ['Ketua', 'Wakil Ketua', 'Sekretaris', 'Wakil Sekretaris', 'Bendahara', 'Wakil Bendahara', 'Anggota'],
  pengawas: ['Ketua', 'Sekretaris', 'Anggota'],
};
export const BODY_LABEL = { pengurus: 'Pengurus', pengawas: 'Pengawas' };

/** The seats serving today, in rank order (the same rule as GET /api/board). */
export function currentBoard(rows, day) {
  const rank = (r) => POSITIONS[r.body]?.indexOf(r.position) ?? 99;
  return rows.filter((r) => r.active && r.term_start <= day && day <= r.term_end)
    .sort((a, b) => (a.body === b.body ? rank(a) - rank(b) || a.name.localeCompare(b.name) : a.body === 'pengurus' ? -1 : 1));
}

export function BoardStructure() {
  const seats = currentBoard(app.view?.board_position ?? [], today());
  return html`<${Page} title="Pengurus & Pengawas" current="#/struktur">
    ${['pengurus', 'pengawas'].map((body) => {
      const list = seats.filter((s) => s.body === body);
      return html`<section class="card" id=${`board-${body}`}><h2>${BODY_LABEL[body]}</h2>
        ${list.length ? html`<ul class="balances">${list.map((s) => html`<li><span><strong>${s.position}</strong></span><span>${s.name}</span>
          <small>Masa jabatan ${tanggal(s.term_start)} – ${tanggal(s.term_end)}</small></li>`)}</ul>`
          : html`<${Empty}>Belum ada ${BODY_LABEL[body].toLowerCase()} yang tercatat.<//>`}</section>`;
    })}
  <//>`;
}
