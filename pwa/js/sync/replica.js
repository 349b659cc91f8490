/**
 * The local replica of the server's feed (PROTOCOL §7–8). Each pulled page and its cursor are
 * applied in one transaction, so a closed tab between pages loses nothing and a repeated page is
 * harmless. A reset drops the replica and the cursor, never the outbox.
 */
import { unwrap } from '../../vendor/idb/idb.js';
import { settleInTransaction } from './outbox.js';

const listeners = new Set();
/**
 * Hear every committed change to a replica in this tab: fn(db, changes, gen) after a page (its
 * non-mutation changes, maybe none, and the replicaGen it committed), fn(db, null) after a reset or a
 * change made elsewhere (another tab): read it all again.
 * Why: the optimistic view keeps its base rows between builds and applies only what changed.
 */
export function onReplicaChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/**
 * `meta.replicaGen`: a counter every applyPage and resetReplica raises in its own transaction. A
 * reader that sees it differ from the one its cached rows were read at knows another tab (maybe
 * closed since, its 'changed' broadcast never sent) committed in between. A counter, not the cursor:
 * after a re-pull the cursor can come out the same.
 */
async function nextGen(meta) {
  const gen = ((await meta.get('replicaGen')) ?? 0) + 1;
  meta.put(gen, 'replicaGen');
  return gen;
}

/** Tell the listeners the replica changed in a way this tab did not see (another tab pulled). */
export function replicaChangedElsewhere(db) {
  for (const fn of listeners) fn(db, null);
}

/**
 * Apply one pull page: puts replace the whole row, deletes remove it; cursor and position with it.
 * A `mutation` row is this user's verdict on one of their mutations: it settles the outbox item with
 * that uuid even when the push answer was lost (a tab closed mid-push), so it is never sent again.
 * `answered` (uuid -> {rule, stored}): push answers not written yet; those the page settles or
 * corrects are written here and removed from it once the page committed (an aborted page leaves them
 * for the caller to write). Returns {count, settledByFeed, rejectedByFeed, changed, gen}: `changed`
 * the replica rows written and `gen` the replicaGen committed with them, for the incremental view.
 *
 * Why the raw store and relaxed durability: a page is ~1,000 puts and the per-request promise of the
 * idb wrapper costs more than the put; nothing here awaits a single request. Relaxed durability may
 * lose the last page on a power cut, but atomically with its cursor, so it is pulled again (§16.11).
 */
export async function applyPage(db, page, answered = null) {
  const tx = db.transaction(['replica', 'meta', 'outbox'], 'readwrite', { durability: 'relaxed' });
  let changed, settled, gen;
  try {
    const store = unwrap(tx.objectStore('replica'));
    changed = [];
    for (const c of page.changes) {
      if (c.entity === 'mutation') continue; // a verdict for the outbox, not a row to show: not kept in the replica
      const id = String(c.id);
      if (c.op === 'delete') store.delete([c.entity, id]);
      else store.put({ entity: c.entity, id, seq: c.seq, data: c.data });
      changed.push(c);
    }
    // Verdicts and settling, as outbox_rules.applyPage decides, in this same transaction.
    settled = await settleInTransaction(tx, page, answered);
    const meta = unwrap(tx.objectStore('meta'));
    gen = await nextGen(tx.objectStore('meta'));
    meta.put(page.cursor, 'cursor');
    meta.put(page.position, 'position');
    meta.put(page.last_mutation_id, 'serverLast');
  } catch (err) {
    // A throw between requests does not abort by itself: the puts made so far would commit without
    // their cursor.
    try { tx.abort(); } catch { /* already finished */ }
    await tx.done.catch(() => {});
    throw err;
  }
  await tx.done;
  for (const uuid of settled.written) answered?.delete(uuid); // only now: an aborted page keeps them
  for (const fn of listeners) fn(db, changed, gen);
  return { count: page.changes.length, changed, gen, settledByFeed: settled.settledByFeed, rejectedByFeed: settled.rejectedByFeed };
}

/** Drop the replica and cursor (epoch changed, cursor expired, scope changed); keep the outbox. */
export async function resetReplica(db, reason) {
  const tx = db.transaction(['replica', 'meta'], 'readwrite');
  await nextGen(tx.objectStore('meta'));
  tx.objectStore('replica').clear();
  tx.objectStore('meta').put('', 'cursor');
  tx.objectStore('meta').put(0, 'position');
  tx.objectStore('meta').put({ reason, at: new Date().toISOString() }, 'lastReset');
  await tx.done;
  replicaChangedElsewhere(db);
}

/** Every row of one entity, as its data objects. */
export async function rows(db, entity) {
  return (await db.getAllFromIndex('replica', 'entity', entity)).map((r) => r.data);
}

/** All rows grouped by entity (one read for a whole view). */
export async function snapshot(db) {
  return snapshotOf(await db.getAll('replica'));
}

/** Stored replica records grouped by entity as snapshot() gives them (each row's data with its `_key`). */
export function snapshotOf(records) {
  const out = {};
  for (const r of records) (out[r.entity] ??= []).push({ ...r.data, _key: r.id });
  return out;
}
