// The JavaScript schedule port must reproduce every shared vector (tests/vectors/loan_schedules.json).
import { test } from "node:test";
import assert from "node:assert/strict";

import { buildSchedule, dueDate, ScheduleError } from "../../pwa/js/domain/schedule.js";
import { vectors } from "./helpers.js";

const cases = vectors("loan_schedules.json");

test("the vector file has cases", () => {
  assert.ok(cases.length >= 20);
});

for (const c of cases) {
  test(`schedule vector ${c.name}`, () => {
    if (c.expected.error) {
      assert.throws(() => buildSchedule(c.terms, c.start_date), (e) => e instanceof ScheduleError && e.code === c.expected.error);
      return;
    }
    const s = buildSchedule(c.terms, c.start_date);
    assert.deepEqual(s.installments, c.expected.installments);
    const { total_principal, total_interest, total_amount, max_installment } = s;
    assert.deepEqual({ total_principal, total_interest, total_amount, max_installment }, c.expected.totals);
  });
}

test("due dates clamp to the month end and count from the start", () => {
  assert.deepEqual([1, 2, 3].map((k) => dueDate("2026-01-31", k)), ["2026-02-28", "2026-03-31", "2026-04-30"]);
  assert.equal(dueDate("2027-12-31", 2), "2028-02-29");
});

test("invalid terms are refused like Python (floats, zero principal, tenor past 600)", () => {
  for (const bad of [
    { principal: 1000.5, tenor: 3, annual_rate_bp: 0, method: "flat" },
    { principal: 0, tenor: 3, annual_rate_bp: 0, method: "flat" },
    { principal: 1000, tenor: 601, annual_rate_bp: 0, method: "flat" },
    { principal: 1000, tenor: 3, annual_rate_bp: 0, method: "bunga" },
    { principal: 1000, tenor: 3, annual_rate_bp: 0, method: "flat", rounding_mode: "nearest" },
  ]) {
    assert.throws(() => buildSchedule(bad, "2026-01-01"), (e) => e.code === "invalid_terms");
  }
});
