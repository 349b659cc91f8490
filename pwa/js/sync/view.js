/**
 * The optimistic view (PROTOCOL §16.7): the replica with the outbox's unsettled items laid over it,
 * each marked with its sync state. Recomputed after every pull and every queueing; pure over its
 * inputs, so two tabs compute the same picture from the same IndexedDB.
 *
 * Every row in a list carries `sync`: null (server state), or {state: 'pending'|'applied'|'rejected',
 * code, message, uuid} from the outbox item that made or changed it.
 */
import { snapshot } from './replica.js';
import { allItems } from './outbox.js';

export const STATUS_LABEL = {
  unverified: 'Belum Diverifikasi', verified: 'Verifikasi', cancelled: 'Dibatalkan', rejected: 'Ditolak',
  submitted: 'Diajukan', approved: 'Disetujui', active: 'Aktif', paid_off: 'Lunas', applied: 'Diterapkan',
};

const CREATES = {
  'deposit.create': ['deposit', 'deposit_id'],
  'withdrawal.create': ['withdrawal', 'withdrawal_id'],
  'loan.apply': ['loan', 'loan_id'],
  'deduction_change.create': ['deduction_change', 'change_id'],
};
const DECISIONS = {
  'deposit.cancel': ['deposit', 'deposit_id', 'cancelled'], 'deposit.verify': ['deposit', 'deposit_id', 'verified'],
  'deposit.reject': ['deposit', 'deposit_id', 'rejected'],
  'withdrawal.cancel': ['withdrawal', 'withdrawal_id', 'cancelled'], 'withdrawal.verify': ['withdrawal', 'withdrawal_id', 'verified'],
  'withdrawal.reject': ['withdrawal', 'withdrawal_id', 'rejected'],
  'loan.cancel': ['loan', 'loan_id', 'cancelled'], 'loan.approve': ['loan', 'loan_id', 'approved'],
  'loan.reject': ['loan', 'loan_id', 'rejected'], 'loan.disburse': ['loan', 'loan_id', 'active'],
  'deduction_change.cancel': ['deduction_change', 'change_id', 'cancelled'],
};

function syncOf(item) {
  return { state: item.state, code: item.code, message: item.message, uuid: item.uuid, local: !!item.local };
}

/** Build the whole view model from a profile database. */
export async function buildView(db) {
  const [snap, items] = await Promise.all([snapshot(db), allItems(db)]);
  return overlay(snap, items);
}

/** Pure: replica rows by entity + outbox items → rows by entity with pending items laid over. */
export function overlay(snap, items) {
  const by = {};
  for (const [entity, list] of Object.entries(snap)) by[entity] = new Map(list.map((r) => [r._key, { ...r, sync: null }]));
  const table = (e) => (by[e] ??= new Map());
  const open = items.filter((i) => !i.dismissed && (!i.settled || i.state === 'rejected'));
  for (const item of open) {
    const name = item.op.name;
    if (CREATES[name]) {
      const [entity, key] = CREATES[name];
      const id = item.op[key];
      const existing = table(entity).get(id);
      if (existing) existing.sync = item.settled ? null : syncOf(item);
      else {
        table(entity).set(id, {
          ...item.op, id, status: item.state === 'rejected' ? 'rejected' : 'unverified', code: null,
          created_at: item.createdAt, created_by: item.userId, pendingCreate: true,
          reason: item.state === 'rejected' ? item.message : null, sync: syncOf(item),
        });
      }
    } else if (DECISIONS[name]) {
      const [entity, key, status] = DECISIONS[name];
      const row = table(entity).get(item.op[key]);
      if (!row) continue;
      if (item.state === 'pending') row.status = status;
      if (!item.settled || item.state === 'rejected') row.sync = syncOf(item);
      if (item.state === 'pending' && item.op.reason) row.reason = item.op.reason;
    }
  }
  // Available balance: pending withdrawals not yet seen by the server hold their amount here too.
  for (const acc of table('savings_account').values()) acc.pending_hold = 0;
  for (const w of table('withdrawal').values()) {
    if (w.pendingCreate && w.sync?.state === 'pending') {
      const acc = table('savings_account').get(`${w.member_id}:${w.savings_type}`);
      if (acc) acc.pending_hold += w.amount;
    }
  }
  const out = {};
  for (const [entity, map] of Object.entries(by)) out[entity] = [...map.values()];
  out.outbox = items;
  out.pendingCount = items.filter((i) => i.state === 'pending').length;
  return out;
}

export function statusLabel(status) {
  return STATUS_LABEL[status] ?? status;
}
