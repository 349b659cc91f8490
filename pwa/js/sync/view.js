/**
 * The optimistic view (PROTOCOL §16.7): the replica with the outbox's unsettled items laid over it,
 * each marked with its sync state. Recomputed after every pull and every queueing; pure over its
 * inputs, so two tabs compute the same picture from the same IndexedDB.
 *
 * Every row in a list carries `sync`: null (server state), or {state: 'pending'|'applied'|'rejected',
 * code, message, uuid} from the outbox item that made or changed it.
 *
 * Incremental: the base (the replica's rows, `sync: null`) is kept per database between builds and
 * only the changes a pull committed are applied to it (replica.onReplicaChange); a reset or another
 * tab's pull drops it and the next build reads the replica again. An officer's replica holds ~20,000
 * rows: reading and copying all of them after every sync took ~0.3 s. A build copies only the rows
 * the outbox lays something over; the other rows are the base's own objects, which nothing mutates.
 *
 * The base carries the replicaGen it stands for (replica.js); a build reads the outbox items and
 * meta.replicaGen in one transaction and reads the replica again when they differ. Why: another tab's
 * 'changed' broadcast comes once, at the end of its round, or never if it closed mid-round; meanwhile
 * a page it committed may have settled an item whose row this base lacks (an item must never vanish
 * and reappear, §16) or a reset may have removed rows this base still holds.
 */
import { onReplicaChange, snapshotOf } from './replica.js';

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

const bases = new Map(); // db -> {ready: Promise, by: {entity: Map(key -> row)}, gen, queue: [{changes, gen}]}

onReplicaChange((db, changes, gen) => {
  const base = bases.get(db);
  if (!base) return;
  if (changes === null) bases.delete(db);
  else base.queue.push({ changes, gen }); // applied at the next build, in commit order
});

/** Base rows from a replica snapshot: each row with `sync: null`, accounts with no hold yet. */
export function baseFrom(snap) {
  const by = {};
  for (const [entity, list] of Object.entries(snap)) by[entity] = new Map(list.map((r) => [r._key, baseRow(entity, r)]));
  return by;
}

function baseRow(entity, row) {
  return entity === 'savings_account' ? { ...row, sync: null, pending_hold: 0 } : { ...row, sync: null };
}

/**
 * Apply committed pull changes ({entity, id, op, data}) to base rows (idempotent: a put replaces the
 * row). A table that got new keys is put back in key order, the order a full read of the replica gives.
 */
export function applyChanges(by, changes) {
  const grown = new Set();
  for (const c of changes) {
    const id = String(c.id);
    const table = (by[c.entity] ??= new Map());
    if (c.op === 'delete') { table.delete(id); continue; }
    if (!table.has(id)) grown.add(c.entity);
    table.set(id, baseRow(c.entity, { ...c.data, _key: id }));
  }
  for (const entity of grown) by[entity] = new Map([...by[entity]].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A new base; `ready` resolves to the outbox items read in the same transaction as its rows. */
function newBase(db) {
  const base = { by: null, gen: null, queue: [] };
  base.ready = (async () => {
    const tx = db.transaction(['replica', 'outbox', 'meta']);
    const [records, items, gen] = await Promise.all([tx.objectStore('replica').getAll(),
      tx.objectStore('outbox').index('id').getAll(), tx.objectStore('meta').get('replicaGen')]);
    await tx.done;
    base.by = baseFrom(snapshotOf(records));
    base.gen = gen ?? 0;
    return { items, gen: base.gen };
  })();
  base.ready.catch(() => { if (bases.get(db) === base) bases.delete(db); });
  bases.set(db, base);
  return base;
}

/** The outbox items and the replicaGen, read in one transaction. */
async function itemsAt(db) {
  const tx = db.transaction(['outbox', 'meta']);
  const [items, gen] = await Promise.all([tx.objectStore('outbox').index('id').getAll(), tx.objectStore('meta').get('replicaGen')]);
  await tx.done;
  return { items, gen: gen ?? 0 };
}

/** Apply this tab's queued pages to a base; false if one committed elsewhere is missing between them. */
function catchUp(base) {
  for (const q of base.queue.splice(0)) {
    if (q.gen <= base.gen) continue; // committed before the base was read: in it already
    if (q.gen !== base.gen + 1) return false;
    applyChanges(base.by, q.changes);
    base.gen = q.gen;
  }
  return true;
}

/** Build the view model of a profile database (the replica read once, then only its changes). */
export async function buildView(db) {
  for (;;) {
    let base = bases.get(db);
    let read;
    if (!base) read = await (base = newBase(db)).ready;
    else [, read] = await Promise.all([base.ready, itemsAt(db)]);
    if (bases.get(db) !== base) continue; // reset while reading: read again
    if (!catchUp(base) || base.gen < read.gen) { bases.delete(db); continue; } // another writer committed: read the replica again
    if (base.gen > read.gen) continue; // a page of this tab committed after the items were read: read them again
    return overlayBase(base.by, read.items);
  }
}

/** Pure: replica rows by entity + outbox items → rows by entity with pending items laid over (a fresh base). */
export function overlay(snap, items) {
  return overlayBase(baseFrom(snap), items);
}

/**
 * Pure: the outbox laid over base rows (baseFrom, kept between builds): untouched rows are shared, every row
 * the outbox lays something over is a copy, so the base is never changed.
 */
export function overlayBase(base, items) {
  const touched = {};
  const get = (entity, id) => {
    const mine = (touched[entity] ??= new Map());
    let row = mine.get(id);
    if (!row) {
      const shared = base[entity]?.get(id);
      if (!shared) return null;
      row = { ...shared };
      mine.set(id, row);
    }
    return row;
  };
  const open = items.filter((i) => !i.dismissed && (!i.settled || i.state === 'rejected'));
  for (const item of open) {
    const name = item.op.name;
    if (CREATES[name]) {
      const [entity, key] = CREATES[name];
      const id = item.op[key];
      const existing = get(entity, id);
      if (existing) existing.sync = item.settled ? null : syncOf(item);
      else {
        touched[entity].set(id, {
          ...item.op, id, status: item.state === 'rejected' ? 'rejected' : 'unverified', code: null,
          created_at: item.createdAt, created_by: item.userId, pendingCreate: true,
          reason: item.state === 'rejected' ? item.message : null, sync: syncOf(item),
        });
      }
    } else if (DECISIONS[name]) {
      const [entity, key, status] = DECISIONS[name];
      const row = get(entity, item.op[key]);
      if (!row) continue;
      if (item.state === 'pending') row.status = status;
      if (!item.settled || item.state === 'rejected') row.sync = syncOf(item);
      if (item.state === 'pending' && item.op.reason) row.reason = item.op.reason;
    }
  }
  for (const w of touched.withdrawal?.values() ?? []) {
    if (w.pendingCreate && w.sync?.state === 'pending') {
      const acc = get('savings_account', `${w.member_id}:${w.savings_type}`);
      if (acc) acc.pending_hold += w.amount;
    }
  }
  touched.savings_account ??= new Map(); // the screens always get these two lists
  touched.withdrawal ??= new Map();
  const out = {};
  for (const entity of new Set([...Object.keys(base), ...Object.keys(touched)])) {
    const rows = base[entity] ?? new Map();
    const mine = touched[entity];
    if (!mine?.size) { out[entity] = [...rows.values()]; continue; }
    const list = [];
    for (const [id, row] of rows) list.push(mine.get(id) ?? row);
    for (const [id, row] of mine) if (!rows.has(id)) list.push(row);
    out[entity] = list;
  }
  out.outbox = items;
  out.pendingCount = items.filter((i) => i.state === 'pending').length;
  return out;
}

export function statusLabel(status) {
  return STATUS_LABEL[status] ?? status;
}
