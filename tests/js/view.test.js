// The incremental optimistic view (pwa/js/sync/view.js) draws the same picture as the full overlay:
// base rows kept between builds plus the pulled changes, with the outbox laid over, equal overlay() of
// a fresh replica snapshot, row for row and in the same order, and a build never changes the base.
import { test } from "node:test";
import assert from "node:assert/strict";
import { applyChanges, baseFrom, overlay, overlayBase } from "../../pwa/js/sync/view.js";

const row = (entity, id, data) => ({ entity, id, data: { id, ...data } });

/** Replica rows as snapshot() returns them: by entity, in key order, each with its `_key`. */
function snapshotOf(rows) {
  const out = {};
  const sorted = [...rows].sort((a, b) => (a.entity === b.entity ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.entity < b.entity ? -1 : 1));
  for (const r of sorted) (out[r.entity] ??= []).push({ ...r.data, _key: r.id });
  return out;
}

const replica = [
  row("deposit", "d2", { member_id: 1, amount: 20000, status: "unverified" }),
  row("deposit", "d1", { member_id: 1, amount: 10000, status: "verified" }),
  row("withdrawal", "w1", { member_id: 1, savings_type: "sukarela", amount: 5000, status: "unverified" }),
  row("savings_account", "1:sukarela", { member_id: 1, savings_type: "sukarela", balance: 100000 }),
  row("savings_account", "1:pokok", { member_id: 1, savings_type: "pokok", balance: 50000 }),
  row("member", "1", { number: "A0001", name: "Budi" }),
];

let n = 0;
const item = (state, op, extra = {}) => ({
  uuid: `u${++n}`, id: n, userId: 7, op, state, code: state === "rejected" ? "limit" : null,
  message: state === "rejected" ? "Saldo tidak cukup" : null, settled: false, createdAt: "2026-12-02T00:00:00Z", ...extra,
});

const items = [
  item("pending", { name: "deposit.create", deposit_id: "d9", member_id: 1, savings_type: "sukarela", amount: 7000 }),
  item("applied", { name: "deposit.create", deposit_id: "d2", member_id: 1, savings_type: "sukarela", amount: 20000 }),
  item("rejected", { name: "deposit.create", deposit_id: "d8", member_id: 1, savings_type: "sukarela", amount: 1 }, { settled: true }),
  item("pending", { name: "deposit.verify", deposit_id: "d2" }),
  item("pending", { name: "deposit.reject", deposit_id: "d1", reason: "Bukti buram" }),
  item("pending", { name: "withdrawal.create", withdrawal_id: "w9", member_id: 1, savings_type: "sukarela", amount: 30000 }),
  item("pending", { name: "withdrawal.create", withdrawal_id: "w8", member_id: 1, savings_type: "sukarela", amount: 2000 }),
  item("applied", { name: "withdrawal.cancel", withdrawal_id: "w1" }, { settled: true }),
  item("rejected", { name: "deposit.cancel", deposit_id: "d1" }, { dismissed: true }),
  item("pending", { name: "loan.approve", loan_id: "nowhere" }),
];

test("overlayBase over base rows equals overlay over the snapshot", () => {
  const snap = snapshotOf(replica);
  const base = baseFrom(snap);
  const before = structuredClone([...Object.entries(base)].map(([e, m]) => [e, [...m]]));
  assert.deepEqual(overlayBase(base, items), overlay(snapshotOf(replica), items));
  assert.deepEqual([...Object.entries(base)].map(([e, m]) => [e, [...m]]), before, "a build changed the base");
  const acc = overlayBase(base, items).savings_account.find((a) => a._key === "1:sukarela");
  assert.equal(acc.pending_hold, 32000); // both pending withdrawals hold their amount
});

test("pulled changes applied to the base equal a fresh snapshot of the changed replica", () => {
  const base = baseFrom(snapshotOf(replica));
  overlayBase(base, items); // an earlier build: must leave nothing behind
  const changes = [
    { entity: "deposit", id: "d9", op: "put", seq: 10, data: { id: "d9", member_id: 1, amount: 7000, status: "unverified" } },
    { entity: "deposit", id: "d0", op: "put", seq: 11, data: { id: "d0", member_id: 1, amount: 1, status: "verified" } },
    { entity: "deposit", id: "d2", op: "put", seq: 12, data: { id: "d2", member_id: 1, amount: 20000, status: "verified" } },
    { entity: "withdrawal", id: "w1", op: "delete", seq: 13 },
    { entity: "loan", id: "l1", op: "put", seq: 14, data: { id: "l1", member_id: 1, status: "submitted" } },
    { entity: "savings_account", id: "1:sukarela", op: "put", seq: 15, data: { member_id: 1, savings_type: "sukarela", balance: 127000 } },
  ];
  applyChanges(base, changes);
  applyChanges(base, changes.slice(0, 2)); // a page seen twice is harmless
  const after = new Map(replica.map((r) => [`${r.entity}/${r.id}`, r]));
  for (const c of changes) {
    if (c.op === "delete") after.delete(`${c.entity}/${c.id}`);
    else after.set(`${c.entity}/${c.id}`, { entity: c.entity, id: c.id, data: c.data });
  }
  const full = overlay(snapshotOf([...after.values()]), items);
  const incremental = overlayBase(base, items);
  for (const entity of Object.keys(full)) assert.deepEqual(incremental[entity], full[entity], entity);
  assert.deepEqual(Object.keys(incremental).sort(), Object.keys(full).sort());
});
