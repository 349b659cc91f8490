// qr.js against tests/vectors/qr_payloads.json (tests/documents/test_qr_payload.py holds
// server/documents/qr.py to the same file).
import { test } from "node:test";
import assert from "node:assert/strict";

import { ASLI, TIDAK_COCOK, checkOffline, encodeBody, parsePayload, unsignedSetoran, verifyPayload } from "../../pwa/js/domain/qr.js";
import { vectors } from "./helpers.js";

const data = vectors("qr_payloads.json");
const keys = [data.key];

test("the vector file has valid and invalid cases", () => {
  assert.ok(data.cases.filter((c) => c.valid).length >= 3);
  assert.ok(data.cases.filter((c) => !c.valid).length >= 5);
});

for (const c of data.cases) {
  test(`vector: ${c.name}`, async () => {
    const got = await verifyPayload(c.payload, keys);
    if (c.valid) {
      assert.equal(got.ok, true, `expected valid, got ${got.error}`);
      assert.equal(got.signed, c.signed);
      assert.deepEqual(got.body, c.body);
    } else {
      assert.equal(got.ok, false);
      assert.equal(got.error, c.error);
    }
  });
}

test("the body encoding is byte for byte the server's (sorted keys, no spaces)", () => {
  for (const c of data.cases.filter((x) => x.valid)) {
    assert.equal(encodeBody(c.body), c.payload.split(".")[1]);
  }
});

test("an unsigned Setoran request made on the device equals the vector", () => {
  const v = data.cases.find((c) => c.valid && !c.signed);
  const { m, n, s, a, r } = v.body;
  assert.equal(unsignedSetoran({ m, n, s, a, r }), v.payload);
});

test("every single character change of a signed slip is detected", async () => {
  const slip = data.cases.find((c) => c.name === "deposit slip").payload;
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (let i = 5; i < slip.length; i += 7) {
    if (slip[i] === ".") continue;
    const swap = alphabet[(alphabet.indexOf(slip[i]) + 1) % alphabet.length];
    const changed = slip.slice(0, i) + swap + slip.slice(i + 1);
    const got = await verifyPayload(changed, keys);
    assert.equal(got.ok, false, `change at ${i} went unnoticed`);
  }
});

test("a payload over 1200 characters or with non-ASCII text is malformed", () => {
  assert.equal(parsePayload("LMB1." + "A".repeat(1300)).error, "qr_malformed");
  assert.equal(parsePayload("LMB1.é").error, "qr_malformed");
});

test("without Ed25519 in the browser the answer is 'unsupported', not a verdict", async () => {
  const slip = data.cases.find((c) => c.name === "deposit slip").payload;
  const noEd = { importKey: async () => { throw new DOMException("no", "NotSupportedError"); }, verify: async () => false };
  assert.equal((await verifyPayload(slip, keys, noEd)).error, "unsupported");
});

const slipBody = data.cases.find((c) => c.name === "deposit slip").body;
const entry = { hash: slipBody.h, ref_code: slipBody.c, ref_id: "d1", amount: slipBody.a, member_id: 1, savings_type: "sukarela", balance_after: 900000 };
const replica = {
  ledger_entry: [entry], member: [{ id: 1, number: "A0001", name: "Budi Santoso", active: true }],
  deposit: [{ id: "d1", code: slipBody.c, amount: slipBody.a, member_id: 1 }],
};

test("offline: the slip whose ledger entry is in the replica is Asli", () => {
  assert.deepEqual(checkOffline(slipBody, replica), { verdict: ASLI, reason: "ok" });
});

test("offline: a hash that names another record, or another amount, is Tidak cocok", () => {
  assert.equal(checkOffline({ ...slipBody, c: "STR-2612-000009" }, { ...replica, deposit: [] }).verdict, TIDAK_COCOK);
  assert.equal(checkOffline({ ...slipBody, a: 1 }, replica).reason, "amount_or_member_mismatch");
});

test("offline: an entry this device does not hold cannot be judged here", () => {
  assert.deepEqual(checkOffline({ ...slipBody, h: "00".repeat(32) }, replica), { verdict: null, reason: "not_in_replica" });
});

test("offline: a member card matches the member row; a renamed card does not", () => {
  const card = data.cases.find((c) => c.name === "member card").body;
  assert.equal(checkOffline(card, replica).verdict, ASLI);
  assert.equal(checkOffline({ ...card, nm: "Orang Lain" }, replica).reason, "member_mismatch");
  assert.equal(checkOffline(card, { member: [{ ...replica.member[0], active: false }] }).reason, "member_inactive");
});

test("offline: a savings statement rests on the account's entry and its balance", () => {
  const ks = { t: "doc", d: "kartu_simpanan", c: "KS/A0001/sukarela/2026-01-01/2026-12-31", h: entry.hash, a: 900000, n: "A0001" };
  assert.equal(checkOffline(ks, replica).verdict, ASLI);
  assert.equal(checkOffline({ ...ks, a: 5 }, replica).verdict, TIDAK_COCOK);
  assert.equal(checkOffline({ ...ks, c: "KS/A0001/wajib/2026-01-01/2026-12-31" }, replica).reason, "hash_mismatch");
});

test("an unsigned setoran request is Asli offline only with an amount a form could write (as the server)", () => {
  const replica = { member: [{ id: 1, number: "A0001", name: "Budi Santoso", active: true }] };
  const request = (a) => checkOffline({ t: "setoran", m: 1, n: "A0001", s: "sukarela", a }, replica);
  assert.deepEqual(request(150000), { verdict: "Asli", reason: "unsigned_request" });
  for (const bad of [1e30, 0, -5, 1.5, "150000", true]) {
    assert.deepEqual(request(bad), { verdict: "Tidak cocok", reason: "qr_malformed" }, String(bad));
  }
});
