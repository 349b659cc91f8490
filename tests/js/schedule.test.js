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

// 300 seeded random terms computed by server/domain/schedule.py (tests/client_sync/test_vectors_schedule_random.py):
// totals, last due date and the SHA-256 of the installments' JSON must match.
const random = vectors("protocol_schedule_random.json");

test("300 random schedules match Python exactly", async () => {
  let infeasible = 0;
  for (const c of random.cases) {
    if (c.expected.error) {
      assert.throws(() => buildSchedule(c.terms, c.start_date), (e) => e.code === c.expected.error, c.name);
      infeasible += 1;
      continue;
    }
    const s = buildSchedule(c.terms, c.start_date);
    const { total_principal, total_interest, total_amount, max_installment } = s;
    assert.deepEqual({ total_principal, total_interest, total_amount, max_installment }, c.expected.totals, c.name);
    assert.equal(s.last_due_date, c.expected.last_due_date, c.name);
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(s.installments)));
    const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
    assert.equal(hex, c.expected.installments_sha256, c.name);
  }
  assert.ok(infeasible > 0 && infeasible < random.cases.length);
});
