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
import { isQuotaError } from './db.js';

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
export async function enqueue(db, { userId, op, attachment = null }) {
  let sha = null;
  if (attachment) sha = await sha256Hex(attachment.bytes);
  if (sha) op = { ...op, attachment: sha };
  const item = {
    uuid: crypto.randomUUID(), id: 0, userId, op, deviceTime: new Date().toISOString(), state: 'pending',
    code: null, message: null, visibleAt: null, settled: false, attachment: sha, createdAt: new Date().toISOString(),
  };
  try {
    const tx = db.transaction(['outbox', 'meta', 'attachments'], 'readwrite');
    const counter = (await tx.objectStore('meta').get('counter')) ?? 0;
    item.id = counter + 1;
    tx.objectStore('meta').put(item.id, 'counter');
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

/** Pending items in number order, at most `limit` (one indexed read). */
export async function pendingBatch(db, limit) {
  return db.getAllFromIndex('outbox', 'state_id', stateRange('pending'), limit);
}

/**
 * Record a push answer in one transaction. Stops at a `retry` (nothing after it was processed) and
 * at `mutation_id_reused` (not a verdict: the item stays pending for renumbering).
 * Returns {applied, rejected, retry: item|null, collision: id|null, answered}.
 */
export async function recordResults(db, sent, response) {
  const byId = new Map(sent.map((i) => [i.id, i]));
  const outcome = { applied: 0, rejected: 0, retry: null, collision: null, answered: response.results.length };
  const tx = db.transaction(['outbox', 'meta', 'attachments'], 'readwrite');
  tx.objectStore('meta').put(response.last_mutation_id, 'serverLast');
  for (const r of response.results) {
    const item = byId.get(r.id);
    if (!item || item.uuid !== r.uuid) continue;
    if (r.status === 'retry') {
      outcome.retry = { ...item, code: r.code, message: r.message };
      if (r.code === 'attachment_missing' && item.attachment) {
        const a = await tx.objectStore('attachments').get(item.attachment);
        if (a) tx.objectStore('attachments').put({ ...a, uploaded: false });
      }
      break;
    }
    if (r.status === 'rejected' && r.code === 'mutation_id_reused') { outcome.collision = item.id; break; }
    // `sent` is current: only the round holding the profile's Web Lock changes pending items.
    tx.objectStore('outbox').put({ ...item, state: r.status, code: r.code ?? null, message: r.message ?? null,
      visibleAt: r.visible_at ?? null, unsettled: 1 });
    outcome[r.status === 'applied' ? 'applied' : 'rejected'] += 1;
  }
  await tx.done;
  return outcome;
}

/**
 * Make the items to (re)send exactly start, start+1, … in their original order, never changing a
 * UUID: every item numbered ≥ start becomes pending again (the server does not hold it; it dedupes
 * by uuid anyway), and with the items still pending is renumbered without holes.
 */
export async function resequence(db, start) {
  if (start < 1) throw new RangeError('start must be >= 1');
  const tx = db.transaction(['outbox', 'meta', 'attachments'], 'readwrite');
  const store = tx.objectStore('outbox');
  const items = (await store.index('id').getAll()).filter((i) => i.state === 'pending' || i.id >= start);
  let highest = 0;
  for (const i of await store.index('id').getAll()) if (!(i.state === 'pending' || i.id >= start)) highest = Math.max(highest, i.id);
  items.forEach((item, n) => {
    const { unsettled, ...rest } = item;
    store.put({ ...rest, id: start + n, state: 'pending', code: null, message: null, visibleAt: null, settled: false });
  });
  tx.objectStore('meta').put(Math.max(start + items.length - 1, highest), 'counter');
  for (const item of items) {
    if (!item.attachment) continue;
    const a = await tx.objectStore('attachments').get(item.attachment);
    if (a) tx.objectStore('attachments').put({ ...a, uploaded: false });
  }
  await tx.done;
  return items.length;
}

/** Mark answered items whose effects the replica now holds (position ≥ visibleAt) as settled. */
export async function settle(db, position) {
  const tx = db.transaction('outbox', 'readwrite');
  for (const i of await tx.store.index('unsettled').getAll()) {
    if (i.state !== 'pending' && i.visibleAt !== null && position >= i.visibleAt) {
      const { unsettled, ...rest } = i;
      tx.store.put({ ...rest, settled: true });
    }
  }
  await tx.done;
}

/** Highest number the server has answered (for detecting a server that lost acknowledged work). */
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
