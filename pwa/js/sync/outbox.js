/**
 * The durable outbox (PROTOCOL §16.2–16.6). A mutation's number is allocated in the same IndexedDB
 * transaction that stores it, so two tabs can never give one number to two mutations; the promise
 * resolves only after that transaction committed, which is when the UI may say "tersimpan".
 *
 * Item: {uuid, id, userId, op, deviceTime, state: 'pending'|'applied'|'rejected', code, message,
 *        visibleAt, settled, attachment, createdAt}
 * An answered item stays (with its verdict) until a pull passes its `visibleAt`; then it is `settled`
 * and leaves the optimistic overlay. Rejected items keep their message for the user.
 */
import { unwrap } from '../../vendor/idb/idb.js';
import { isQuotaError } from './db.js';
import * as rules from '../domain/outbox_rules.js';

/*
 * The decisions (numbering, which items to send, how an answer or a page settles them, renumbering)
 * are outbox_rules.js's, the module held to tests/vectors/protocol_outbox.json like client_sync; this
 * module only reads and writes IndexedDB around them. The stored item keeps its camelCase fields
 * (userId, visibleAt, deviceTime, createdAt) and the sparse `unsettled` index marker; toRule/fromRule
 * translate, so one implementation of the rules serves both.
 */

/** A stored item in outbox_rules' form. */
export function toRule(i) {
  return {
    id: i.id, uuid: i.uuid, user_id: i.userId, name: i.op?.name, op: i.op, device_time: i.deviceTime ?? null,
    queued_at: i.createdAt, state: i.state, code: i.code ?? null, message: i.message ?? null,
    visible_at: i.visibleAt ?? null, settled: !!i.settled, settled_at: i.settledAt ?? null,
  };
}

/** A rule-form item back onto its stored item (attachment, local, dismissed… kept). */
export function fromRule(r, stored = {}) {
  const { unsettled, ...rest } = stored;
  const out = {
    ...rest, id: r.id, uuid: r.uuid, userId: r.user_id, op: r.op, deviceTime: r.device_time, createdAt: r.queued_at,
    state: r.state, code: r.code, message: r.message, visibleAt: r.visible_at, settled: r.settled, settledAt: r.settled_at,
  };
  if (out.state !== 'pending' && !out.settled) out.unsettled = 1;
  return out;
}

export class QuotaError extends Error {
  constructor() {
    super('Penyimpanan perangkat penuh. Transaksi belum tersimpan; kosongkan ruang lalu coba lagi.');
    this.name = 'QuotaError';
    this.code = 'storage_full';
  }
}

/** SHA-256 of bytes as 64 lower-case hex digits (the attachment's address). */
export async function sha256Hex(bytes) {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Queue one mutation (already validated) and, if given, its attachment {bytes: ArrayBuffer, type}.
 * Returns the stored item once the transaction committed.
 */
export async function enqueue(db, { userId, op, attachment = null, uuid = crypto.randomUUID() }) {
  let sha = null;
  if (attachment) sha = await sha256Hex(attachment.bytes);
  if (sha) op = { ...op, attachment: sha };
  const now = new Date().toISOString();
  let item;
  try {
    const tx = db.transaction(['outbox', 'meta', 'attachments'], 'readwrite');
    const counter = (await tx.objectStore('meta').get('counter')) ?? 0;
    const made = rules.newItem(counter + 1, { uuid, user_id: userId, op, device_time: now, queued_at: now });
    item = fromRule(made.item, { attachment: sha });
    tx.objectStore('meta').put(made.nextMutationId - 1, 'counter');
    tx.objectStore('outbox').put(item);
    if (sha) tx.objectStore('attachments').put({ sha256: sha, type: attachment.type, bytes: attachment.bytes, uploaded: false });
    await tx.done;
  } catch (err) {
    if (isQuotaError(err)) throw new QuotaError();
    throw err;
  }
  return item;
}

export async function allItems(db) {
  return db.getAllFromIndex('outbox', 'id');
}

const stateRange = (state) => IDBKeyRange.bound([state, -Infinity], [state, Infinity]);

/**
 * Pending items in number order, at most `limit`, numbered above `afterId` (one indexed read;
 * outbox_rules.pendingBatch picks). Its transaction is made when called, before any made after it.
 */
export async function pendingBatch(db, limit = rules.MAX_BATCH, afterId = null) {
  const range = afterId === null ? stateRange('pending') : IDBKeyRange.bound(['pending', afterId], ['pending', Infinity], true);
  const rows = await db.getAllFromIndex('outbox', 'state_id', range, limit);
  const byUuid = new Map(rows.map((i) => [i.uuid, i]));
  return rules.pendingBatch(rows.map(toRule), limit).map((r) => byUuid.get(r.uuid));
}

/** The profile's next mutation number (the counter enqueue and resequence keep). */
export async function nextMutationId(db) {
  return ((await db.get('meta', 'counter')) ?? 0) + 1;
}

/**
 * Record a push answer in one transaction, as outbox_rules.recordResults decides: it stops at a
 * `retry` (nothing after it was processed) and at `mutation_id_reused` (not a verdict: the item stays
 * pending for renumbering). `sent` is current: only the round holding the profile's Web Lock changes
 * pending items, so no item is read back per answer. Returns the rules' outcome (items in rule form).
 */
export async function recordResults(db, sent, response) {
  const plan = planResults(sent, response);
  await writeResults(db, plan);
  return plan.outcome;
}

/** recordResults' decision alone (pure): {outcome, updates, stored, response, answeredTop}. */
export function planResults(sent, response) {
  const stored = new Map(sent.map((i) => [i.uuid, i]));
  const { updates, outcome } = rules.recordResults(sent.map(toRule), response);
  const answered = [...outcome.applied, ...outcome.rejected].map((i) => i.id);
  return { updates, outcome, stored, response, answeredTop: answered.length ? Math.max(...answered) : null };
}

/**
 * Write a planned answer. The transaction is made when called, so every transaction made after it
 * sees its writes; the push loop sends the next batch while the browser commits this one.
 */
export async function writeResults(db, { stored, updates, outcome, response }) {
  const tx = db.transaction(['outbox', 'meta', 'attachments'], 'readwrite');
  tx.objectStore('meta').put(response.last_mutation_id, 'serverLast');
  const box = unwrap(tx.objectStore('outbox')); // no per-request promise: nothing awaits a single put
  for (const u of updates) box.put(fromRule(u, stored.get(u.uuid)));
  for (const uuid of outcome.reupload) {
    const sha = stored.get(uuid)?.attachment;
    const a = sha ? await tx.objectStore('attachments').get(sha) : null;
    if (a) tx.objectStore('attachments').put({ ...a, uploaded: false });
  }
  await tx.done;
}

/**
 * Renumber as outbox_rules.resequence decides: every item pending or numbered ≥ start is (re)sent as
 * start, start+1, … in its old order, never changing a UUID (the server dedupes by uuid). Their
 * attachments are uploaded again (a restored server may not hold them). Returns how many moved.
 */
export async function resequence(db, start) {
  const tx = db.transaction(['outbox', 'meta', 'attachments'], 'readwrite');
  const store = tx.objectStore('outbox');
  const all = await store.getAll();
  const stored = new Map(all.map((i) => [i.uuid, i]));
  const { updates, nextMutationId, count } = rules.resequence(all.map(toRule), start);
  for (const u of updates) store.put(fromRule(u, stored.get(u.uuid)));
  tx.objectStore('meta').put(nextMutationId - 1, 'counter');
  for (const sha of new Set(updates.map((u) => stored.get(u.uuid).attachment).filter(Boolean))) {
    const a = await tx.objectStore('attachments').get(sha);
    if (a) tx.objectStore('attachments').put({ ...a, uploaded: false });
  }
  await tx.done;
  return count;
}

/**
 * Settle the outbox from one pulled page inside the caller's transaction (replica.applyPage, so the
 * page, its cursor and the verdicts commit together), as outbox_rules.applyPage decides: the page's
 * `mutation` rows give verdicts whose push answer was lost; every answered item whose visible_at the
 * page's position passed is settled. Reads only the items the rows name and the sparse `unsettled`
 * index, never the history. Returns {settledByFeed, rejectedByFeed} (rule form) and `written`: the
 * UUIDs written, for the caller to drop from `answered` once the transaction committed (not before:
 * if it aborts, those answers must still be written).
 */
export async function settleInTransaction(tx, page, answered = null) {
  const box = tx.objectStore('outbox');
  const named = [];
  for (const c of page.changes ?? []) {
    if (c.entity !== 'mutation' || c.op === 'delete' || !c.data) continue;
    const uuid = typeof c.data === 'string' ? safeUuid(c.data) : c.data.uuid;
    if (uuid) named.push(uuid);
  }
  // Most named items were answered by a push and are in `unsettled` already: read only the others
  // (an answer lost with a closed tab), not one get per verdict.
  const stored = new Map();
  for (const i of await box.index('unsettled').getAll()) stored.set(i.uuid, i);
  const missing = named.filter((u) => !stored.has(u) && !answered?.has(u));
  if (missing.length) for (const i of await Promise.all(missing.map((u) => box.get(u)))) if (i) stored.set(i.uuid, i);
  const items = [...stored.values()].map(toRule);
  // Push answers not written yet (engine.push defers them): the stored item is still `pending`, the
  // answer is in `answered`; each is written once, when a page settles or corrects it.
  for (const [uuid, a] of answered ?? []) { items.push(a.rule); stored.set(uuid, a.stored); }
  const result = rules.applyPage(items, page);
  const raw = unwrap(box); // no per-request promise: nothing awaits a single put
  for (const u of result.updates) raw.put(fromRule(u, stored.get(u.uuid)));
  return { settledByFeed: result.settledByFeed, rejectedByFeed: result.rejectedByFeed, written: result.updates.map((u) => u.uuid) };
}

function safeUuid(text) {
  try { return JSON.parse(text)?.uuid ?? null; } catch { return null; }
}

/**
 * Write push answers that were kept back (engine.push): [{rule, stored}] in one transaction, as
 * recordResults would have written them.
 */
export async function writeAnswered(db, answered) {
  if (!answered.length) return;
  const tx = db.transaction('outbox', 'readwrite');
  const box = unwrap(tx.objectStore('outbox'));
  for (const a of answered) box.put(fromRule(a.rule, a.stored));
  await tx.done;
}

/** Settle answered items the replica now shows (position ≥ visible_at), in a transaction of its own. */
export async function settle(db, position) {
  const tx = db.transaction('outbox', 'readwrite');
  const { settledByFeed, rejectedByFeed } = await settleInTransaction(tx, { position, changes: [] });
  await tx.done;
  return { settledByFeed, rejectedByFeed };
}

/** Highest number the server has answered (two indexed reads, not the history). */
export async function highestAnswered(db) {
  const tx = db.transaction('outbox');
  let top = 0;
  for (const state of ['applied', 'rejected']) {
    const last = await tx.store.index('state_id').openCursor(stateRange(state), 'prev');
    if (last && last.value.id > top) top = last.value.id;
  }
  await tx.done;
  return top;
}

/**
 * The server remembers fewer mutations than it answered (restored from a backup): where to renumber
 * from, or null (outbox_rules.lostMutations over the highest answered item, which is all it reads).
 */
export async function lostStart(db, serverLastMutationId) {
  const top = await highestAnswered(db);
  return rules.lostMutations(top > 0 ? [{ id: top, state: 'applied' }] : [], serverLastMutationId);
}

/** Forget an answered item the user has dismissed (a rejected one, after copying it if wanted). */
export async function dismiss(db, uuid) {
  const tx = db.transaction('outbox', 'readwrite');
  const item = await tx.store.get(uuid);
  if (item && item.state !== 'pending') tx.store.put({ ...item, dismissed: true });
  await tx.done;
}

export async function attachmentsToUpload(db, batch) {
  const wanted = [...new Set(batch.map((i) => i.attachment).filter(Boolean))];
  const out = [];
  for (const sha of wanted) {
    const a = await db.get('attachments', sha);
    if (a && !a.uploaded) out.push(a);
  }
  return out;
}

export async function markUploaded(db, sha) {
  const tx = db.transaction('attachments', 'readwrite');
  const a = await tx.store.get(sha);
  if (a) tx.store.put({ ...a, uploaded: true });
  await tx.done;
}

export async function attachment(db, sha) {
  return db.get('attachments', sha);
}
