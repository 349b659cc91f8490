/**
 * The pure rules of the outbox (docs/PROTOCOL.md sections 5, 7, 15 and 16): which items to send, how a
 * push answer and a pulled page settle them, renumbering after `mutation_gap` / `mutation_id_reused` /
 * a server that lost acknowledged mutations, which errors are retryable, and the backoff.
 *
 * Why pure: the browser's IndexedDB outbox (pwa/js/sync/) and Python's client_sync must behave the same;
 * both are driven through tests/vectors/protocol_outbox.json (tests/js/outbox_rules.test.js here,
 * tests/client_sync/test_vectors_outbox.py against client_sync's real SQLite outbox). Nothing here
 * touches storage: each function takes the profile's items and returns `updates` (new item objects, keyed
 * by `uuid`, never by id: renumbering changes ids and never a uuid) for the caller to write in one
 * IndexedDB transaction.
 *
 * Item: {id, uuid, user_id, name, op, state: "pending"|"applied"|"rejected", code, message, visible_at,
 *        settled: boolean, settled_at?: ISO string, ...anything else the caller keeps (passed through)}
 *
 * Exports:
 *   MAX_BATCH = 1000, MAX_RECOVERIES = 3
 *   newItem(nextMutationId, {uuid, user_id, op, device_time = null, queued_at = now})
 *        -> {item, nextMutationId}   the next number; store both in the same IndexedDB transaction
 *   sortById(items) -> items ordered by id
 *   pendingBatch(items, limit = 200) -> the pending items to send next, in id order
 *   overlayItems(items) -> items the optimistic view draws: pending, or applied and not yet settled
 *   countItems(items) -> {unsent, pending, rejected}   (as client_sync's count_items)
 *   recordResults(sent, response) -> {updates, outcome}
 *        outcome: {applied: [item], rejected: [item], retry: item|null, retryCode, retryMessage,
 *                  collisionAt: id|null, answered, reupload: [uuid], serverLastMutationId}
 *        stops at a `retry` (nothing after it was processed) and at `mutation_id_reused`, which is not a
 *        verdict: that item stays pending for renumbering.
 *   afterPushAnswer(outcome) -> {action: "resequence", start} | {action: "stop", error?} | {action: "continue"}
 *   afterPushError(code, detail) -> {action: "resequence", start} | {action: "fail"}   (409 mutation_gap)
 *   resequence(items, start) -> {updates, nextMutationId, count}
 *        every item pending or with id >= start becomes pending again and all of them are renumbered
 *        start, start+1, … in their old order; uuids never change.
 *   applyPage(items, page) -> {updates, settledByFeed: [item], rejectedByFeed: [item]}
 *        `mutation` rows of the feed carry verdicts whose push answer was lost; then every answered item
 *        with visible_at <= page.position is settled (the replica now shows its effects).
 *   lostMutations(items, serverLastMutationId) -> start | null
 *        the server remembers fewer mutations than it answered (restored): resequence from start.
 *   applyUpdates(items, updates) -> items with the updates merged by uuid
 *   pruneable(items, {keep = 1000, days = 30, now = Date.now()}) -> [uuid] settled history to forget
 *   classifyError(status, body) -> {kind, retryable, code, message}
 *        kind: "update" (426) | "credentials" | "login" | "refresh" (401) | "resync" (409 mutation_gap)
 *              | "retry" (429, 5xx, network: status 0) | "attachment" (413/415/attachment_*) | "rejected"
 *   backoffCeiling(failures, {base = 1, cap = 60}) -> seconds
 *   backoffDelay(failures, {base, cap, random = Math.random}) -> seconds, full jitter in [0, ceiling]
 */

export const MAX_BATCH = 1000;
export const MAX_RECOVERIES = 3;
const LOGIN_AGAIN = new Set(["refresh_invalid", "session_revoked"]);

/** A new pending item under the profile's next number (the caller stores it and the counter together). */
export function newItem(nextMutationId, { uuid, user_id, op, device_time = null, queued_at = new Date().toISOString() }) {
  if (!Number.isInteger(nextMutationId) || nextMutationId < 1) throw new RangeError("nextMutationId must be >= 1");
  const item = {
    id: nextMutationId, uuid, user_id, name: op.name, op, device_time, queued_at, state: "pending", code: null,
    message: null, visible_at: null, settled: false, settled_at: null,
  };
  return { item, nextMutationId: nextMutationId + 1 };
}

export function sortById(items) {
  return [...items].sort((a, b) => a.id - b.id);
}

export function pendingBatch(items, limit = 200) {
  return sortById(items.filter((i) => i.state === "pending")).slice(0, Math.min(limit, MAX_BATCH));
}

export function overlayItems(items) {
  return sortById(items.filter((i) => !i.settled && (i.state === "pending" || i.state === "applied")));
}

export function countItems(items) {
  let unsent = 0;
  let pending = 0;
  let rejected = 0;
  for (const i of items) {
    if (i.state === "pending") unsent += 1;
    if (i.state !== "rejected" && !i.settled) pending += 1;
    if (i.state === "rejected") rejected += 1;
  }
  return { unsent, pending, rejected };
}

/** Record one push answer for the items that were sent; see the module docstring. */
export function recordResults(sent, response) {
  const byId = new Map(sent.map((i) => [i.id, i]));
  const outcome = {
    applied: [], rejected: [], retry: null, retryCode: null, retryMessage: null, collisionAt: null,
    answered: response.results.length, reupload: [], serverLastMutationId: response.last_mutation_id,
  };
  const updates = [];
  for (const result of response.results) {
    const item = byId.get(result.id);
    if (!item || item.uuid !== result.uuid) continue;
    if (result.status === "retry") {
      outcome.retry = item;
      outcome.retryCode = result.code ?? null;
      outcome.retryMessage = result.message ?? null;
      if (result.code === "attachment_missing") outcome.reupload.push(item.uuid);
      break;
    }
    if (result.status === "rejected" && result.code === "mutation_id_reused") {
      outcome.collisionAt = item.id;
      break;
    }
    if (item.state !== "pending") continue;
    const done = {
      ...item, state: result.status, code: result.code ?? null, message: result.message ?? null,
      visible_at: result.visible_at ?? null,
    };
    updates.push(done);
    (result.status === "applied" ? outcome.applied : outcome.rejected).push(done);
  }
  return { updates, outcome };
}

/** What the push loop does after recording an answer (client_sync's Round.push). */
export function afterPushAnswer(outcome) {
  if (outcome.collisionAt !== null) return { action: "resequence", start: Math.max(outcome.serverLastMutationId + 1, 1) };
  if (outcome.retry !== null) {
    const code = outcome.retryCode || "retry";
    const message = outcome.retryMessage || "Server meminta transaksi dikirim ulang nanti.";
    return { action: "stop", error: { code, message: `Transaksi #${outcome.retry.id}: ${message}`, retryable: true } };
  }
  if (outcome.answered === 0) return { action: "stop" };
  return { action: "continue" };
}

/** After a push refused as a whole: 409 mutation_gap renumbers from the server's expected id. */
export function afterPushError(code, detail) {
  if (code !== "mutation_gap") return { action: "fail" };
  const expected = Number.parseInt(detail?.expected, 10);
  return { action: "resequence", start: Number.isFinite(expected) && expected > 0 ? expected : 1 };
}

/** Renumber the items to (re)send as start, start+1, … in their old order; uuids never change. */
export function resequence(items, start) {
  if (!Number.isInteger(start) || start < 1) throw new RangeError("start must be >= 1");
  const moved = sortById(items.filter((i) => i.state === "pending" || i.id >= start));
  const movedUuids = new Set(moved.map((i) => i.uuid));
  const updates = moved.map((item, offset) => ({
    ...item, id: start + offset, state: "pending", code: null, message: null, visible_at: null, settled: false,
    settled_at: null,
  }));
  const kept = items.filter((i) => !movedUuids.has(i.uuid)).map((i) => i.id);
  const highest = Math.max(0, ...kept, ...updates.map((i) => i.id));
  return { updates, nextMutationId: Math.max(start + moved.length, highest + 1), count: moved.length };
}

function parseData(data) {
  if (typeof data === "string") {
    try {
      return JSON.parse(data);
    } catch {
      return null;
    }
  }
  return data;
}

/** Settle the outbox from one pulled page; see the module docstring. */
export function applyPage(items, page, now = new Date().toISOString()) {
  const byUuid = new Map(items.map((i) => [i.uuid, { ...i }]));
  const touched = new Set();
  const settledByFeed = [];
  const rejectedByFeed = [];
  for (const change of page.changes || []) {
    if (change.entity !== "mutation" || change.op === "delete") continue;
    const data = parseData(change.data);
    if (!data || typeof data !== "object" || (data.status !== "applied" && data.status !== "rejected")) continue;
    const item = byUuid.get(data.uuid || "");
    if (!item) continue;
    const visibleAt = data.visible_at || change.seq;
    if (item.state === "pending") {
      Object.assign(item, { state: data.status, code: data.code ?? null, message: data.message ?? null, visible_at: visibleAt });
      touched.add(item.uuid);
      settledByFeed.push({ ...item });
      if (item.state === "rejected") rejectedByFeed.push({ ...item });
    } else if (item.visible_at !== visibleAt) {
      item.visible_at = visibleAt; // the feed's position is the truth of the current epoch
      touched.add(item.uuid);
    }
  }
  for (const item of byUuid.values()) {
    if (item.state !== "pending" && !item.settled && (item.visible_at ?? 0) <= page.position) {
      item.settled = true;
      item.settled_at = now;
      touched.add(item.uuid);
    }
  }
  return { updates: [...touched].map((u) => byUuid.get(u)), settledByFeed, rejectedByFeed };
}

/** The server forgot mutations it had answered (restored from a backup): where to renumber from. */
export function lostMutations(items, serverLastMutationId) {
  const answered = items.filter((i) => i.state !== "pending").map((i) => i.id);
  const highest = Math.max(0, ...answered);
  return highest > serverLastMutationId ? serverLastMutationId + 1 : null;
}

export function applyUpdates(items, updates) {
  const byUuid = new Map(updates.map((u) => [u.uuid, u]));
  return items.map((i) => byUuid.get(i.uuid) ?? i);
}

/** Settled history beyond the newest ``keep`` items that is older than ``days``. */
export function pruneable(items, { keep = 1000, days = 30, now = Date.now() } = {}) {
  const newest = new Set(sortById(items).slice(-keep).map((i) => i.uuid));
  const cutoff = now - days * 86400_000;
  return items
    .filter((i) => i.settled && i.settled_at && Date.parse(i.settled_at) < cutoff && !newest.has(i.uuid))
    .map((i) => i.uuid);
}

/** The reaction to a non-2xx answer (status 0: no answer at all), as client_sync's transport maps it. */
export function classifyError(status, body) {
  let code = body && typeof body.code === "string" ? body.code : null;
  let message = body && typeof body.message === "string" ? body.message : null;
  if (status === 0) {
    return { kind: "retry", retryable: true, code: code ?? "network", message: message ?? "Tidak ada koneksi ke server." };
  }
  if (code === null || message === null) {
    code = `http_${status}`;
    message = `Server menjawab ${status}.`;
  }
  const out = (kind, retryable = false) => ({ kind, retryable, code, message });
  if (status === 426 || code === "protocol_version_unsupported") {
    return {
      kind: "update", retryable: false, code: "protocol_version_unsupported",
      message: "Aplikasi perlu diperbarui: server tidak lagi melayani versi protokol ini. Transaksi tertunda tetap tersimpan.",
    };
  }
  if (status === 401) {
    if (code === "invalid_credentials") return out("credentials");
    if (LOGIN_AGAIN.has(code)) return out("login");
    return out("refresh");
  }
  if (status === 409 && code === "mutation_gap") return out("resync");
  if (status === 429 || status >= 500) return out("retry", true);
  if (status === 413 || status === 415 || code.startsWith("attachment_")) return out("attachment");
  return out("rejected");
}

export function backoffCeiling(failures, { base = 1, cap = 60 } = {}) {
  if (failures <= 0) return 0;
  return Math.min(cap, base * 2 ** Math.min(failures - 1, 62));
}

export function backoffDelay(failures, { base = 1, cap = 60, random = Math.random } = {}) {
  const ceiling = backoffCeiling(failures, { base, cap });
  return ceiling > 0 ? random() * ceiling : 0;
}
