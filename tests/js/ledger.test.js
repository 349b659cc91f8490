// ledger.js against tests/vectors/ledger_chain.json (copied from the ledger-chain branch, where
// tests/domain/test_ledger_vectors.py holds server/domain/ledger.py to the same file).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";

import { accountLink, canonicalPayload, entryHash, findChainBreak, verifyMemberLedger } from "../../pwa/js/domain/ledger.js";
import { VECTORS, vectors } from "./helpers.js";

const present = existsSync(join(VECTORS, "ledger_chain.json"));
const data = present ? vectors("ledger_chain.json") : { hash_examples: [], cases: [], global_cases: [], ledger: { entries: [] } };

test("the ledger chain vectors are present", { skip: !present && "tests/vectors/ledger_chain.json not merged yet" }, () => {
  assert.ok(data.cases.length >= 10);
});

for (const ex of data.hash_examples) {
  test(`canonical payload, hash and link of ${ex.name}`, async () => {
    assert.equal(canonicalPayload(ex.entry), ex.canonical);
    assert.equal(await entryHash(ex.entry), ex.hash);
    assert.equal(await accountLink(ex.entry), ex.link);
  });
}

if (present) {
  test("the whole ledger verifies globally", async () => {
    assert.equal(await findChainBreak(data.ledger.entries), data.ledger.expected_global);
  });
}

for (const c of data.global_cases) {
  test(`global chain case ${c.name}`, async () => {
    assert.deepEqual(await findChainBreak(c.entries), c.expected_global);
  });
}

for (const c of data.cases) {
  test(`member replica case ${c.name}`, async () => {
    assert.deepEqual(await verifyMemberLedger(c.entries, c.balances), c.expected);
  });
}
