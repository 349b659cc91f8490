/**
 * Fees a person confirms before saving (docs/DOCUMENTS.md "Fees shown before confirming"), computed
 * on the device from the feed (`fee_settings`, the loan product) exactly as server/domain/fees.py
 * and server/domain/loans.py do, so the confirmation shows the same figures offline.
 *
 * Exports:
 *   withdrawalFee(method, amount, transferFee) -> number
 *   withdrawalPreview(method, amount, transferFee) -> {amount, fee, received, fee_label}
 *   loanFees(product, amount) -> {admin_fee, disbursed_amount}
 */
import { adminFee } from './loans.js';

/** Transfer fee of a withdrawal: none for cash, never more than the amount. */
export function withdrawalFee(method, amount, transferFee) {
  if (!(amount > 0)) return 0;
  return method === 'transfer' && transferFee > 0 ? Math.min(transferFee, amount) : 0;
}

/** `{amount, fee, received, fee_label}` as GET /api/fees/withdrawal answers. */
export function withdrawalPreview(method, amount, transferFee) {
  const fee = withdrawalFee(method, amount, transferFee);
  return { amount, fee, received: amount - fee, fee_label: method === 'transfer' ? 'Biaya transfer' : 'Tanpa biaya' };
}

/** A loan's admin fee and what the member receives at disbursement (`GET /api/loans/simulate`). */
export function loanFees(product, amount) {
  const fee = product ? adminFee(product, amount) : 0;
  return { admin_fee: fee, disbursed_amount: amount - fee };
}
