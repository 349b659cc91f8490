// money.js, dates.js and terbilang.js: the shared formatting vectors plus the input rules of the UI.
import { test } from "node:test";
import assert from "node:assert/strict";

import { formatRupiah, liveFormat, parseAmount } from "../../pwa/js/domain/money.js";
import { dateIn, formatDate, formatDateTime, formatMonth, formatTime, parseInstant, todayIn, zoneLabel } from "../../pwa/js/domain/dates.js";
import { terbilang } from "../../pwa/js/domain/terbilang.js";
import { percent } from "../../pwa/js/domain/loans.js";
import { vectors } from "./helpers.js";

const v = vectors("protocol_formatting.json");

test("terbilang matches Python for every vector", () => {
  for (const c of v.terbilang) assert.equal(terbilang(c.amount), c.expected, String(c.amount));
});

test("rupiah, tanggal and percent match Python", () => {
  for (const c of v.rupiah) assert.equal(formatRupiah(c.amount), c.expected);
  assert.equal(formatRupiah(-5000, { signFirst: true }), "-Rp5.000");
  assert.equal(formatRupiah(5000, { signFirst: true }), "Rp5.000");
  assert.equal(formatRupiah(10n ** 12n), "Rp1.000.000.000.000");
  for (const c of v.tanggal) assert.equal(formatDate(c.date), c.expected);
  for (const c of v.percent) assert.equal(percent(c.bp), c.expected);
});

test("typed amounts with thousands separators parse to whole rupiah", () => {
  for (const [text, value] of [["1250000", 1250000], ["1.250.000", 1250000], ["Rp1.250.000", 1250000],
    ["Rp 1.250.000", 1250000], [" 1 250 000 ", 1250000], ["1000000000000", 1e12], ["+5.000", 5000]]) {
    assert.deepEqual(parseAmount(text), { ok: true, value }, text);
  }
  assert.deepEqual(parseAmount("0", { allowZero: true }), { ok: true, value: 0 });
});

test("non-integer, negative, empty, zero and too large amounts are refused with a code and a message", () => {
  const cases = [
    ["", "amount_required"], ["   ", "amount_required"], ["1,5", "amount_not_integer"], ["1.25", "amount_not_integer"],
    ["12.50.000", "amount_not_integer"], ["1e6", "amount_not_integer"], ["abc", "amount_not_integer"],
    ["-5000", "amount_negative"], ["−5.000", "amount_negative"], ["0", "amount_not_positive"], ["000", "amount_not_positive"],
    ["1000000000001", "amount_too_large"], ["9999999999999999999", "amount_too_large"], ["5.000", "amount_too_large"],
  ];
  for (const [text, code] of cases) {
    const r = parseAmount(text, text === "5.000" ? { max: 1000 } : undefined);
    assert.equal(r.ok, false, text);
    assert.equal(r.code, code, text);
    assert.match(r.message, /Jumlah/);
  }
});

test("live formatting keeps the caret after the same digit", () => {
  assert.deepEqual(liveFormat("1250000", 7), { text: "1.250.000", caret: 9, value: 1250000 });
  // typed a 5 after "1.2" in "1.200.000": "1.25200.000", caret after the 5 (third digit)
  assert.deepEqual(liveFormat("1.25200.000", 4), { text: "125.200.000", caret: 3, value: 125200000 });
  assert.deepEqual(liveFormat("1.000", 1), { text: "1.000", caret: 1, value: 1000 });
  assert.deepEqual(liveFormat("", 0), { text: "", caret: 0, value: null });
  assert.deepEqual(liveFormat("Rp abc", 6), { text: "", caret: 0, value: null });
  // deleting the first digit of "1.000" leaves ".000" -> "0"
  assert.deepEqual(liveFormat(".000", 0), { text: "0", caret: 0, value: 0 });
});

test("dates and times in Indonesian, in WIB by default, with WITA and WIT", () => {
  assert.equal(formatDate("2026-12-01"), "1 Desember 2026");
  assert.equal(formatMonth("2026-11"), "November 2026");
  assert.equal(formatDateTime("2026-11-30T17:05:00Z"), "1 Desember 2026 00.05 WIB");
  assert.equal(formatDateTime("2026-11-30T17:05:00+00:00", "Asia/Makassar"), "1 Desember 2026 01.05 WITA");
  assert.equal(formatTime("2026-11-30T17:05:00Z", "Asia/Jayapura"), "02.05 WIT");
  assert.equal(zoneLabel("Asia/Pontianak"), "WIB");
  assert.equal(zoneLabel("Asia/Kolkata"), "UTC+05:30");
  assert.equal(dateIn("2026-11-30T16:59:59Z"), "2026-11-30");
  assert.equal(dateIn("2026-11-30T17:00:00Z"), "2026-12-01");
  assert.equal(todayIn("Asia/Jakarta", new Date("2026-12-31T18:00:00Z")), "2027-01-01");
});

test("an instant without a zone is refused (never read in the device's own zone)", () => {
  assert.throws(() => parseInstant("2026-11-30T17:05:00"), RangeError);
  assert.equal(parseInstant("2026-11-30T17:05:00.123+07:00").toISOString(), "2026-11-30T10:05:00.123Z");
});

test("typed amounts: the same verdicts as client_sync's parse_amount", () => {
  for (const c of v.amounts) {
    const r = parseAmount(c.text);
    assert.equal(r.ok ? r.value : null, c.value, JSON.stringify(c.text));
  }
  // deliberately more lenient than the officer CLI: "Rp. 5.000" is common Indonesian writing
  assert.deepEqual(parseAmount("Rp. 5.000"), { ok: true, value: 5000 });
});
