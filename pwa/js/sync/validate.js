/**
 * Structural check of a mutation against the protocol structs before it is queued (PROTOCOL §16.4):
 * one malformed mutation would make every push 422 and block the queue behind it. Returns a list of
 * {field, message}; empty means the server's strict decoder will accept it.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SHA = /^[0-9a-f]{64}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_ID = 2 ** 53;

const T = {
  uuid: (v) => typeof v === 'string' && UUID.test(v),
  id: (v) => Number.isSafeInteger(v) && v >= 1 && v <= MAX_ID,
  amount: (v) => Number.isSafeInteger(v) && v >= 1 && v <= 1e12,
  amount0: (v) => Number.isSafeInteger(v) && v >= 0 && v <= 1e12,
  tenor: (v) => Number.isSafeInteger(v) && v >= 1 && v <= 600,
  date: (v) => typeof v === 'string' && DATE.test(v),
  sha: (v) => typeof v === 'string' && SHA.test(v),
  str: (max, min = 0) => (v) => typeof v === 'string' && v.length >= min && v.length <= max,
  oneOf: (...xs) => (v) => xs.includes(v),
};
const opt = (check) => Object.assign((v) => v === undefined || v === null || check(v), { optional: true });

const SCHEMAS = {
  'deposit.create': { deposit_id: T.uuid, member_id: T.id, savings_type: T.str(50, 1), kind: T.oneOf('offline', 'mandiri'),
    amount: T.amount, location_id: T.id, bank_account_id: opt(T.id), transfer_date: opt(T.date), sender_bank: opt(T.str(200)),
    account_holder: opt(T.str(200)), note: opt(T.str(1000)), attachment: opt(T.sha) },
  'deposit.cancel': { deposit_id: T.uuid },
  'deposit.verify': { deposit_id: T.uuid },
  'deposit.reject': { deposit_id: T.uuid, reason: T.str(500, 1) },
  'withdrawal.create': { withdrawal_id: T.uuid, member_id: T.id, savings_type: T.str(50, 1), amount: T.amount,
    method: T.oneOf('transfer', 'tunai'), location_id: T.id, bank_name: opt(T.str(200)), account_number: opt(T.str(40)),
    account_holder: opt(T.str(200)), note: opt(T.str(1000)) },
  'withdrawal.cancel': { withdrawal_id: T.uuid },
  'withdrawal.verify': { withdrawal_id: T.uuid },
  'withdrawal.reject': { withdrawal_id: T.uuid, reason: T.str(500, 1) },
  'loan.apply': { loan_id: T.uuid, member_id: T.id, product_id: T.id, purpose: T.str(200, 1), amount: T.amount, tenor: T.tenor,
    requested_disbursement_date: T.date, location_id: T.id, disbursement_method: T.oneOf('transfer', 'tunai'),
    bank_name: opt(T.str(200)), account_number: opt(T.str(40)), account_holder: opt(T.str(200)) },
  'loan.cancel': { loan_id: T.uuid },
  'loan.approve': { loan_id: T.uuid },
  'loan.reject': { loan_id: T.uuid, reason: T.str(500, 1) },
  'loan.disburse': { loan_id: T.uuid, disbursement_date: T.date },
  'loan.repay': { repayment_id: T.uuid, loan_id: T.uuid, amount: T.amount },
  'deduction_change.create': { change_id: T.uuid, member_id: T.id, savings_type: T.str(50, 1), new_amount: T.amount0 },
  'deduction_change.cancel': { change_id: T.uuid },
};

export function validateOp(op) {
  const schema = SCHEMAS[op?.name];
  if (!schema) return [{ field: 'name', message: 'Jenis transaksi tidak dikenal.' }];
  const problems = [];
  for (const key of Object.keys(op)) {
    if (key !== 'name' && !(key in schema)) problems.push({ field: key, message: `Kolom ${key} tidak dikenal.` });
  }
  for (const [key, check] of Object.entries(schema)) {
    if (!check(op[key])) problems.push({ field: key, message: `Isian ${key} tidak valid.` });
  }
  return problems;
}

/** Drop undefined/empty optional fields so the strict decoder sees only what was meant. */
export function clean(op) {
  return Object.fromEntries(Object.entries(op).filter(([, v]) => v !== undefined && v !== null && v !== ''));
}
