/** Log Audit (pengurus, admin): who did what, when, and the row before → after (GET /api/audit). */
import { html, useState } from '../html.js';
import { Page, Empty } from '../ui/components.js';
import { waktu } from '../ui/format.js';
import { useGet } from '../ui/online.js';

/** The fields that differ between `before` and `after` (every field of a created row). */
export function changes(before, after) {
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])];
  const show = (x) => (x === undefined || x === null ? '–' : typeof x === 'object' ? JSON.stringify(x) : String(x));
  return keys.filter((k) => JSON.stringify(before?.[k]) !== JSON.stringify(after?.[k]))
    .map((k) => ({ field: k, before: before ? show(before[k]) : null, after: show(after?.[k]) }));
}

/** The audit actions of PROTOCOL §13 in words. */
export const ACTION_LABEL = {
  'member.create': 'Anggota ditambahkan', 'member.update': 'Anggota diubah', 'member.import': 'Impor anggota', 'member.deactivate': 'Anggota dinonaktifkan',
  'location.save': 'Lokasi disimpan', 'savings_type.save': 'Jenis simpanan disimpan', 'bank_account.save': 'Rekening disimpan',
  'board_position.save': 'Pengurus/pengawas disimpan', 'settings.save': 'Pengaturan disimpan', 'user.create': 'Pengguna dibuat',
  'user.update': 'Pengguna diubah', 'user.reset_password': 'Password diatur ulang', 'user.revoke_sessions': 'Sesi diakhiri',
  'officer.locations': 'Lokasi petugas diubah', 'login_lockout.clear': 'Blokir login dibuka', 'loan_product.save': 'Produk pinjaman disimpan',
  'payroll_profile.save': 'Profil gaji disimpan', 'branding.save': 'Identitas koperasi disimpan', 'branding.logo': 'Logo disimpan',
  'member.reactivate': 'Anggota diaktifkan kembali', 'user.role': 'Peran pengguna diubah',
  'user.mfa_reset': 'Verifikasi dua langkah diatur ulang', 'mfa.key_rotated': 'Kunci verifikasi dua langkah diganti',
};

export function AuditLog() {
  const [before, setBefore] = useState('');
  const log = useGet(`/api/audit?limit=50${before ? `&before_id=${before}` : ''}`);
  const rows = log.data ?? [];
  return html`<${Page} title="Log Audit" current="#/audit">
    ${log.error ? html`<p class="error" role="alert">${log.error}</p>` : null}
    <ul class="tx-list" id="audit-list">${rows.map((e) => html`<li class="tx" data-action=${e.action}>
      <div class="tx-main"><strong>${ACTION_LABEL[e.action] ?? e.action}</strong><span class="muted">${e.entity} ${e.entity_id ?? ''}</span></div>
      <div class="tx-sub">${e.user_name ?? e.username ?? 'sistem'} · ${waktu(e.at)}</div>
      <ul class="checks">${changes(e.before, e.after).slice(0, 12).map((c) => html`<li><strong>${c.field}</strong>: ${c.before === null ? '' : html`<del>${c.before}</del> → `}${c.after}</li>`)}</ul>
    </li>`)}</ul>
    ${log.data && !rows.length ? html`<${Empty}>Belum ada catatan.<//>` : null}
    ${rows.length === 50 ? html`<button type="button" onClick=${() => setBefore(String(rows[rows.length - 1].id))}>Lebih lama</button>` : null}
  <//>`;
}
