// The bug report's device state: counts, a time and codes only, always a valid report.create op.
import { test } from "node:test";
import assert from "node:assert/strict";

import { appVersion, deviceSyncState, reportOp } from "../../pwa/js/domain/report.js";
import { validateOp } from "../../pwa/js/domain/mutations.js";

const item = (id, state, code = null, extra = {}) => ({ id, uuid: `u${id}`, state, code, message: code ? "Saldo Siti Aminah tidak cukup." : null, ...extra });

test("counts pending and rejected items and lists the codes newest first, without messages", () => {
  const items = [item(1, "rejected", "insufficient_balance"), item(2, "applied"), item(3, "pending"), item(4, "rejected", "not_owner"),
    item(5, "pending"), item(6, "rejected", "insufficient_balance", { dismissed: true })];
  const s = deviceSyncState(items, { lastSync: "2026-12-01T08:00:00+07:00", lastError: { code: "network", message: "Tidak ada koneksi." } });
  assert.deepEqual(s, { pending: 2, rejected: 2, last_sync_at: "2026-12-01T01:00:00.000Z", error_codes: ["network", "not_owner", "insufficient_balance"] });
  assert.ok(!JSON.stringify(s).includes("Siti"), "no server message (which may name a member) is carried");
});

test("at most ten codes, each a machine code; a device that never synced", () => {
  const items = Array.from({ length: 15 }, (_, n) => item(n + 1, "rejected", `code_${n}`));
  items.push(item(99, "rejected", "Bukan Kode"));
  const s = deviceSyncState(items, {});
  assert.equal(s.error_codes.length, 10);
  assert.equal(s.error_codes[0], "code_14");
  assert.equal(s.last_sync_at, null);
  assert.ok(s.error_codes.every((c) => /^[a-z][a-z0-9_]*$/.test(c)));
});

test("the op passes the protocol check; the version keeps to its pattern", () => {
  assert.equal(appVersion("2026-12-02.1"), "pwa-2026-12-02.1");
  assert.equal(appVersion("a b/c"), "pwa-abc");
  assert.equal(appVersion(null), "pwa-unknown");
  assert.ok(appVersion("x".repeat(80)).length <= 40);
  const op = reportOp({ reportId: "5d2c1b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d", description: "Setoran tidak muncul.", appVersion: appVersion("1"),
    syncState: deviceSyncState([item(1, "pending")], { lastSync: null }) });
  assert.deepEqual(validateOp(op), { ok: true, errors: [] });
  assert.equal(validateOp({ ...op, description: "" }).ok, false);
});
