// mutations.js must accept exactly what server.protocol's strict decoder accepts, for every case of
// tests/vectors/protocol_mutations.json, and name every wrong field with an Indonesian message.
import { test } from "node:test";
import assert from "node:assert/strict";

import { clipText, errorsByField, MUTATION_NAMES, newUuid, isUuid, validateMutation, validateOp } from "../../pwa/js/domain/mutations.js";
import { vectors } from "./helpers.js";

const { cases } = vectors("protocol_mutations.json");

test("the device knows the same seventeen mutation names as the protocol", () => {
  const valid = new Set(cases.filter((c) => c.kind === "op" && c.valid).map((c) => c.value.name));
  assert.deepEqual([...valid].sort(), [...MUTATION_NAMES].sort());
  assert.equal(MUTATION_NAMES.length, 17);
});

for (const c of cases) {
  test(`mutation vector ${c.name}`, () => {
    const r = c.kind === "op" ? validateOp(c.value) : validateMutation(c.value);
    assert.equal(r.ok, c.valid, JSON.stringify(r.errors));
    assert.deepEqual(r.errors.map((e) => e.field).sort(), [...c.fields].sort());
    for (const e of r.errors) {
      assert.match(e.code, /^[a-z_]+$/);
      assert.ok(e.message.length > 5 && /[A-Z]/.test(e.message[0]), e.message);
    }
  });
}

test("messages are Indonesian and name the field's label", () => {
  const dep = cases.find((c) => c.name === "two_errors").value;
  const byField = errorsByField(validateOp(dep).errors);
  assert.equal(byField.amount, "Jumlah harus lebih dari nol.");
  assert.match(byField.deposit_id, /^ID setoran harus UUID huruf kecil/);
  const neg = validateOp(cases.find((c) => c.name === "deduction_negative").value);
  assert.equal(neg.errors[0].message, "Nominal setoran tidak boleh negatif.");
});

test("new uuids are lower-case v4 and pass the protocol's pattern", () => {
  const seen = new Set();
  for (let i = 0; i < 100; i++) {
    const u = newUuid();
    assert.ok(isUuid(u), u);
    seen.add(u);
  }
  assert.equal(seen.size, 100);
});

test("half of an emoji is never queued: the strict decoder would refuse the whole push (review finding)", () => {
  const ok = cases.find((c) => c.name === "loan_reject").value;
  const cut = `${"a".repeat(499)}😀 alasan`.slice(0, 500); // what the reject forms did: ends in "\ud83d"
  assert.equal(JSON.stringify(cut).endsWith('\\ud83d"'), true);
  for (const reason of [cut, "\udc00 sisa", "a\ud83d b"]) {
    const r = validateOp({ ...ok, reason });
    assert.equal(r.ok, false);
    assert.deepEqual(r.errors.map((e) => [e.field, e.code]), [["reason", "malformed_text"]]);
    assert.match(r.errors[0].message, /^Alasan memuat karakter yang rusak/);
  }
  assert.equal(validateOp({ ...ok, reason: "Pinjaman ditolak 😀 maaf" }).ok, true); // a whole emoji is fine
});

test("clipText cuts by code points, never inside an emoji, and trims", () => {
  const clipped = clipText(`  ${"a".repeat(499)}😀 alasan  `, 500);
  assert.equal([...clipped].length, 500);
  assert.equal(clipped.endsWith("😀"), true);
  assert.equal(validateOp({ ...cases.find((c) => c.name === "loan_reject").value, reason: clipped }).ok, true);
  assert.equal(clipText("  pendek  ", 500), "pendek");
});
