// loans.js must give the same verdicts, codes and Indonesian messages as server/domain for every case
// of tests/vectors/protocol_loan_rules.json (checked on the Python side by tests/client_sync/test_vectors_loan_rules.py).
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  adminFee, checkDeductionChange, checkRepayment, DomainError, evaluateApplication, nextPayrollMonth, repaymentDue,
  retirementDate, APPLICATION_RULES,
} from "../../pwa/js/domain/loans.js";
import { vectors } from "./helpers.js";

const cases = vectors("protocol_loan_rules.json");

function run(c) {
  const i = c.input;
  if (c.kind === "repayment") {
    const due = repaymentDue(i.installments) - i.pending.reduce((s, a) => s + a, 0);
    try {
      checkRepayment(i.loan_code, due, i.amount);
      return { due };
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      return { due, error: { code: e.code, message: e.message } };
    }
  }
  try {
    if (c.kind === "deduction_change") {
      return { breakdown: checkDeductionChange(i.profile ?? { member_id: 100 }, i.installments, i.new_amount) };
    }
    const r = evaluateApplication({
      product: i.product, memberId: i.member_id, profile: i.profile, loans: i.loans, accounts: i.accounts,
      changes: i.changes, purpose: i.purpose, amount: i.amount, tenor: i.tenor, startDate: i.start_date,
      month: i.month, settings: i.settings,
    });
    return {
      breakdown: r.breakdown,
      max_installment: r.schedule.max_installment,
      last_due_date: r.schedule.last_due_date,
      retirement_date: retirementDate(i.profile ?? { member_id: i.member_id }, i.settings),
      admin_fee: adminFee(i.product, i.amount),
      checks: r.checks,
    };
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return { error: { code: e.code, message: e.message } };
  }
}

test("the vector file covers the application rules and the deduction change", () => {
  assert.ok(cases.filter((c) => c.kind === "application").length >= 20);
  assert.ok(cases.some((c) => c.kind === "deduction_change" && c.expected.error));
  assert.ok(cases.some((c) => c.kind === "repayment" && c.expected.error?.code === "repayment_exceeds_due"));
});

for (const c of cases) {
  test(`loan rule vector ${c.name}`, () => {
    assert.deepEqual(run(c), c.expected);
  });
}

test("every application reports the seven rules in the server's order", () => {
  const c = cases.find((x) => x.name === "all_rules_pass");
  assert.deepEqual(run(c).checks.map((x) => x.code), [...APPLICATION_RULES]);
});

test("a deduction change takes effect the month after, December rolls into January", () => {
  assert.equal(nextPayrollMonth("2026-12-01"), "2027-01");
  assert.equal(nextPayrollMonth("2026-03-31"), "2026-04");
});

test("a fractional deduction amount is refused like a negative one", () => {
  assert.throws(() => checkDeductionChange({ member_id: 1, plafon: 10 }, [], 1.5), (e) => e.code === "amount_negative");
});
