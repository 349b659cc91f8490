// password.js: what the Ganti Password forms check before sending, and the message for each answer.
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, OFFLINE_MESSAGE, checkNewPassword, passwordChangeProblem,
} from "../../pwa/js/domain/password.js";

const GOOD = "kopi-tubruk-pagi-2026";

test("two equal new passwords of the minimum length may be sent", () => {
  assert.equal(MIN_PASSWORD_LENGTH, 10);
  assert.equal(checkNewPassword(GOOD, GOOD), null);
  assert.equal(checkNewPassword("a".repeat(10), "a".repeat(10)), null);
  assert.equal(checkNewPassword("a".repeat(MAX_PASSWORD_LENGTH), "a".repeat(MAX_PASSWORD_LENGTH)), null);
});

test("an empty, short or too long new password is refused on the new field", () => {
  assert.deepEqual(checkNewPassword("", ""), { field: "next", code: "password_missing", message: "Isi password baru." });
  const short = checkNewPassword("a".repeat(9), "a".repeat(9));
  assert.equal(short.field, "next");
  assert.equal(short.code, "password_too_short");
  assert.equal(short.message, "Password baru minimal 10 karakter.");
  assert.equal(checkNewPassword("a".repeat(201), "a".repeat(201)).code, "password_too_long");
});

test("the server's minimum length wins over the device's", () => {
  assert.equal(checkNewPassword("a".repeat(11), "a".repeat(11), { minLength: 12 }).message, "Password baru minimal 12 karakter.");
  assert.equal(checkNewPassword("a".repeat(12), "a".repeat(12), { minLength: 12 }), null);
});

test("a repeat that differs is refused on the repeat field, the new one otherwise fine", () => {
  const p = checkNewPassword(GOOD, `${GOOD}x`);
  assert.equal(p.field, "repeat");
  assert.equal(p.code, "password_mismatch");
  assert.match(p.message, /belum sama/);
  assert.equal(checkNewPassword(GOOD, "").field, "repeat");
});

test("the current password again is refused before sending", () => {
  assert.equal(checkNewPassword(GOOD, GOOD, { current: GOOD }).code, "password_unchanged");
  assert.equal(checkNewPassword(GOOD, GOOD, { current: "rahasia123" }), null);
});

test("each answer of the server gets its field and an Indonesian message", () => {
  const at = (code, extra = {}) => passwordChangeProblem({ status: 422, code, message: "server", detail: null, ...extra });
  assert.deepEqual(at("password_too_short", { detail: { min_length: 14 } }),
    { field: "next", code: "password_too_short", message: "Password baru minimal 14 karakter.", minLength: 14 });
  assert.equal(at("password_too_common").field, "next");
  assert.match(at("password_too_common").message, /terlalu umum/);
  assert.match(at("password_too_long").message, /paling panjang 200/);
  assert.match(at("password_unchanged").message, /berbeda/);
  assert.deepEqual(at("invalid_credentials", { status: 401 }), { field: "current", code: "invalid_credentials", message: "Password saat ini salah." });
  assert.equal(passwordChangeProblem({ status: 401, code: "invalid_credentials" }, { where: "login" }).field, "form");
  for (const code of ["mfa_required", "mfa_invalid", "mfa_code_reused"]) {
    const p = at(code, { status: 401 });
    assert.equal(p.field, "otp", code);
    assert.equal(p.needOtp, true, code);
  }
  assert.match(at("mfa_code_reused").message, /kode berikutnya/);
  assert.equal(at("too_many_attempts", { status: 429, detail: { retry_after: 30 } }).message,
    "Terlalu banyak percobaan yang gagal; coba lagi dalam 30 detik.");
  assert.match(at("busy", { status: 503 }).message, /sibuk/);
  assert.equal(at("http_502", { status: 502 }).field, "form");
});

test("offline says the change needs a connection", () => {
  assert.deepEqual(passwordChangeProblem({ status: 0, code: "offline", message: "x" }),
    { field: "form", code: "offline", message: OFFLINE_MESSAGE });
  assert.match(OFFLINE_MESSAGE, /koneksi/);
});

test("an unknown code keeps the server's own message", () => {
  assert.deepEqual(passwordChangeProblem({ status: 422, code: "invalid_request", message: "Permintaan tidak valid." }),
    { field: "form", code: "invalid_request", message: "Permintaan tidak valid." });
  assert.equal(passwordChangeProblem(new Error("")).message, "Password belum bisa diganti.");
});

test("blanks and invisible characters are refused as the server refuses them (server/auth/policy.py)", () => {
  assert.equal(checkNewPassword(" ".repeat(12), " ".repeat(12)).code, "password_too_short");
  assert.equal(checkNewPassword("  pendek1   ", "  pendek1   ").code, "password_too_short");
  for (const bad of ["\u200b".repeat(12), "Sawah-Hijau\u0000-31", "Sawah-Hijau\t-Subuh", "Sawah\u200dHijau-31"]) {
    const problem = checkNewPassword(bad, bad);
    assert.equal(problem.code, "password_invalid_characters", JSON.stringify(bad));
    assert.equal(problem.field, "next");
  }
  assert.equal(passwordChangeProblem({ status: 422, code: "password_invalid_characters" }).field, "next");
  assert.equal(checkNewPassword("  Sawah-Hijau-31 ", "  Sawah-Hijau-31 "), null); // spaces around are allowed
});
