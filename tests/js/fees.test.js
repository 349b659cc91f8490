// fees.js: the figures the confirmation steps show, as server/domain/fees.py computes them.
import { test } from "node:test";
import assert from "node:assert/strict";

import { loanFees, withdrawalFee, withdrawalPreview } from "../../pwa/js/domain/fees.js";

test("a transfer withdrawal pays the transfer fee, cash pays none", () => {
  assert.equal(withdrawalFee("transfer", 200_000, 6_500), 6_500);
  assert.equal(withdrawalFee("tunai", 200_000, 6_500), 0);
  assert.equal(withdrawalFee("transfer", 200_000, 0), 0);
});

test("the fee is never more than the amount", () => {
  assert.equal(withdrawalFee("transfer", 5_000, 6_500), 5_000);
  assert.deepEqual(withdrawalPreview("transfer", 5_000, 6_500), { amount: 5_000, fee: 5_000, received: 0, fee_label: "Biaya transfer" });
});

test("the preview matches the server's answer shape", () => {
  assert.deepEqual(withdrawalPreview("transfer", 200_000, 6_500), { amount: 200_000, fee: 6_500, received: 193_500, fee_label: "Biaya transfer" });
  assert.deepEqual(withdrawalPreview("tunai", 200_000, 6_500), { amount: 200_000, fee: 0, received: 200_000, fee_label: "Tanpa biaya" });
});

test("a loan's admin fee is basis points rounded half up plus the flat part", () => {
  assert.deepEqual(loanFees({ admin_fee_bp: 100, admin_fee_flat: 0 }, 6_000_000), { admin_fee: 60_000, disbursed_amount: 5_940_000 });
  assert.deepEqual(loanFees({ admin_fee_bp: 125, admin_fee_flat: 10_000 }, 1_000_050), { admin_fee: 22_501, disbursed_amount: 977_549 });
  assert.deepEqual(loanFees({ admin_fee_bp: 0, admin_fee_flat: 0 }, 1_000_000), { admin_fee: 0, disbursed_amount: 1_000_000 });
});
