/**
 * The loan rules the wizard checks on the device before a `loan.apply` is queued, and the plafon /
 * sisa plafon the dashboard shows: a port of server/domain/loans.py and plafon.py (check_application,
 * simulate, sisa_plafon, plafon_now, retirement_date, check_deduction_change).
 *
 * Why a port: the member must see a refusal at once, offline, with the same code and the same Indonesian
 * message the server would give (docs/LOANS.md sections 4-6, 9). Held to tests/vectors/protocol_loan_rules.json,
 * which the Python suite checks against server/domain too.
 *
 * Records are plain objects shaped like the replica's rows (feed entities loan_product, payroll_profile,
 * savings_account, loan, deduction_change, loan_settings). Dates are "YYYY-MM-DD", months "YYYY-MM".
 *
 * Exports:
 *   DomainError                    Error with .code, .message, .detail (like server.errors.DomainError)
 *   APPLICATION_RULES              the seven rule codes in the order check_application reports them
 *   DEFAULT_SETTINGS               {min_savings_bp: 1000, counted_savings: [...], retirement_ages: {...}}
 *   PLAFON_STATUSES                ["approved", "active"]: loans whose installment counts against the plafon
 *   percent(bp) -> "12,5%"
 *   termsFor(product, amount, tenor) -> schedule terms
 *   simulate(product, amount, tenor, startDate) -> schedule (schedule.js) | throws DomainError
 *   adminFee(product, amount) -> number
 *   countedSavingsBalance(accounts, settings) -> number      available (balance - held) of counted types
 *   retirementDate(profile, settings) -> "YYYY-MM-DD" | null
 *   sisaPlafon(profile, installments, replaceVoluntaryWith?) -> {plafon, active_installments,
 *                                      voluntary_deduction, remaining}  | throws DomainError plafon_not_set
 *   deductionForMonth(profile, changes, month) -> number
 *   plafonNow(profile, changes, month, installments) -> breakdown (as every server check counts it)
 *   plafonInstallments(loans, memberId) -> [monthly_installment of approved/active loans]
 *   checkApplication({product, purpose, amount, tenor, schedule, breakdown, savingsBalance, retirement,
 *                     settings}) -> [{code, ok, message}]   every rule, passed or not
 *   evaluateApplication({product, memberId, profile, loans, accounts, changes, purpose, amount, tenor,
 *                        startDate, month, settings}) -> {schedule, breakdown, checks, failed, ok}
 *                        | throws DomainError (plafon_not_set first, then schedule errors), as the server
 *   checkDeductionChange(profile, installments, newAmount) -> breakdown | throws DomainError
 *   repaymentDue(installments) -> number                     sum of amount - paid (the loan_schedule row's)
 *   checkRepayment(loanCode, due, amount) -> undefined | throws DomainError amount_not_positive /
 *                                      repayment_exceeds_due (due: what is owed less this device's queued ones)
 *   nextPayrollMonth(today) -> "YYYY-MM"
 */

import { buildSchedule, MAX_TENOR, ScheduleError } from "./schedule.js";
import { formatRupiah as rupiah } from "./money.js";
import { formatDate as tanggal } from "./dates.js";

export class DomainError extends Error {
  /** A business refusal with a stable ``code`` and an Indonesian ``message``. */
  constructor(code, message, detail = null) {
    super(message);
    this.name = "DomainError";
    this.code = code;
    this.detail = detail;
  }
}

export const APPLICATION_RULES = Object.freeze([
  "product_inactive",
  "purpose_unknown",
  "amount_out_of_range",
  "tenor_out_of_range",
  "installment_over_plafon",
  "savings_below_minimum",
  "tenor_past_retirement",
]);

export const DEFAULT_SETTINGS = Object.freeze({
  min_savings_bp: 1000,
  counted_savings: Object.freeze(["pokok", "wajib", "sukarela"]),
  retirement_ages: Object.freeze({ karyawan: 56, pns: 58, dosen: 65 }),
});

export const PLAFON_STATUSES = Object.freeze(["approved", "active"]);

function settingsOf(settings) {
  return { ...DEFAULT_SETTINGS, ...(settings || {}) };
}

/** Basis points as an Indonesian percentage: 1000 -> "10%", 1250 -> "12,5%". */
export function percent(bp) {
  const whole = Math.floor(bp / 100);
  const frac = bp % 100;
  if (frac === 0) return `${whole}%`;
  return `${whole},${String(frac).padStart(2, "0")}`.replace(/0+$/, "") + "%";
}

export function termsFor(product, amount, tenor) {
  return {
    principal: amount,
    tenor,
    annual_rate_bp: product.annual_rate_bp,
    method: product.method,
    rounding_mode: product.rounding_mode ?? "half_up",
    rounding_multiple: product.rounding_multiple ?? 1,
  };
}

const isInt = (v) => typeof v === "number" && Number.isSafeInteger(v);

/** *Simulasi Pinjaman*: the schedule, or the server's InvalidInput for terms that make none. */
export function simulate(product, amount, tenor, startDate) {
  const terms = termsFor(product, amount, tenor);
  try {
    return buildSchedule(terms, startDate);
  } catch (exc) {
    if (!(exc instanceof ScheduleError)) throw exc;
    if (exc.code === "date_out_of_range") throw new DomainError("date_out_of_range", "Tanggal di luar rentang yang dapat dihitung.");
    if (exc.code === "schedule_infeasible") {
      throw new DomainError(
        "schedule_infeasible",
        `Jadwal angsuran tidak dapat dibentuk: jumlah ${rupiah(terms.principal)} terlalu kecil untuk ` +
          `${terms.tenor} bulan dengan pembulatan ${rupiah(terms.rounding_multiple)}. ` +
          "Perbesar jumlah atau perpendek jangka waktu.",
      );
    }
    if (!isInt(terms.principal) || terms.principal <= 0) {
      throw new DomainError("amount_not_positive", "Jumlah pinjaman harus bilangan bulat lebih dari nol.");
    }
    if (!isInt(terms.tenor) || terms.tenor <= 0) throw new DomainError("tenor_not_positive", "Jangka waktu harus minimal 1 bulan.");
    if (terms.tenor > MAX_TENOR) throw new DomainError("tenor_too_long", `Jangka waktu paling lama ${MAX_TENOR} bulan.`);
    throw new DomainError("invalid_terms", "Syarat produk pinjaman tidak valid.", { reason: exc.message });
  }
}

/** ``amount * admin_fee_bp / 10000`` rounded half up to Rp1, plus ``admin_fee_flat``. */
export function adminFee(product, amount) {
  const num = BigInt(amount) * BigInt(product.admin_fee_bp ?? 0);
  const fee = (2n * num + 10000n) / 20000n; // half up, num >= 0
  return Number(fee) + (product.admin_fee_flat ?? 0);
}

/** Available balances (balance - held) of the savings types that count for the savings rule. */
export function countedSavingsBalance(accounts, settings) {
  const counted = settingsOf(settings).counted_savings;
  return accounts
    .filter((a) => counted.includes(a.savings_type))
    .reduce((sum, a) => sum + (a.balance ?? 0) - (a.held ?? 0), 0);
}

function isLeap(y) {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** The member's birthday at their category's retirement age (29 Feb -> 28 Feb); null if unknown. */
export function retirementDate(profile, settings) {
  const age = settingsOf(settings).retirement_ages[profile?.category ?? "karyawan"];
  if (!profile?.birth_date || age === undefined || age === null) return null;
  const [y, m, d] = profile.birth_date.split("-").map(Number);
  const year = y + age;
  if (year > 9999) return null;
  const day = m === 2 && d === 29 && !isLeap(year) ? 28 : d;
  return `${String(year).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/** Sisa plafon = plafon - installments of active loans - voluntary payroll deduction (may be negative). */
export function sisaPlafon(profile, installments, replaceVoluntaryWith = null) {
  if (profile?.plafon === null || profile?.plafon === undefined) {
    throw new DomainError("plafon_not_set", "Plafon angsuran/cicilan Anda belum ditetapkan. Hubungi petugas koperasi.");
  }
  const active = installments.reduce((s, x) => s + x, 0);
  const voluntary = replaceVoluntaryWith ?? profile.voluntary_deduction ?? 0;
  return { plafon: profile.plafon, active_installments: active, voluntary_deduction: voluntary, remaining: profile.plafon - active - voluntary };
}

function ownChanges(profile, changes) {
  return (changes || []).filter((c) => c.member_id === profile.member_id && (c.status === undefined || c.status === "submitted" || c.status === "applied"));
}

/** The voluntary deduction payroll takes in ``month``: the latest change effective by then, else the profile's. */
export function deductionForMonth(profile, changes, month) {
  const effective = ownChanges(profile, changes).filter((c) => c.effective_month <= month);
  if (effective.length === 0) return profile.voluntary_deduction ?? 0;
  let best = effective[0];
  for (const c of effective.slice(1)) {
    if (c.effective_month > best.effective_month || (c.effective_month === best.effective_month && c.created_at > best.created_at)) best = c;
  }
  return best.new_amount;
}

/** Sisa plafon as every check counts it: the higher of this month's deduction and any requested later. */
export function plafonNow(profile, changes, month, installments) {
  const later = ownChanges(profile, changes).filter((c) => c.effective_month > month).map((c) => c.new_amount);
  const voluntary = Math.max(deductionForMonth(profile, changes, month), ...later);
  return sisaPlafon(profile, installments, voluntary);
}

/** Monthly installments of a member's approved and active loans (what the plafon counts). */
export function plafonInstallments(loans, memberId) {
  return (loans || [])
    .filter((l) => l.member_id === memberId && PLAFON_STATUSES.includes(l.status))
    .map((l) => l.monthly_installment ?? 0);
}

/** Every application rule, passed or not, in APPLICATION_RULES order (the UI shows them all). */
export function checkApplication({ product, purpose, amount, tenor, schedule, breakdown, savingsBalance, retirement, settings }) {
  const s = settingsOf(settings);
  const checks = [];
  const add = (code, ok, passed, failed) => checks.push({ code, ok, message: ok ? passed : failed });
  const active = product.active ?? true;
  add("product_inactive", active, `Produk ${product.name} tersedia.`, `Produk ${product.name} sudah tidak tersedia untuk pengajuan baru.`);
  const given = String(purpose ?? "").trim();
  const purposes = product.purposes ?? [];
  const purposeOk = given !== "" && (purposes.length === 0 || purposes.includes(given));
  add(
    "purpose_unknown",
    purposeOk,
    `Tujuan pinjaman: ${given}.`,
    given === "" ? "Tujuan pinjaman wajib diisi." : `Tujuan "${given}" tidak tersedia untuk produk ${product.name}.`,
  );
  add(
    "amount_out_of_range",
    product.min_amount <= amount && amount <= product.max_amount,
    `Jumlah pinjaman ${rupiah(amount)} dalam batas produk.`,
    `Jumlah pinjaman harus antara ${rupiah(product.min_amount)} dan ${rupiah(product.max_amount)}.`,
  );
  add(
    "tenor_out_of_range",
    product.min_tenor <= tenor && tenor <= product.max_tenor,
    `Jangka waktu ${tenor} bulan dalam batas produk.`,
    `Jangka waktu harus antara ${product.min_tenor} dan ${product.max_tenor} bulan.`,
  );
  const installment = schedule.max_installment;
  add(
    "installment_over_plafon",
    installment <= breakdown.remaining,
    `Angsuran ${rupiah(installment)} tidak melebihi sisa plafon ${rupiah(breakdown.remaining)}.`,
    `Angsuran ${rupiah(installment)} melebihi sisa plafon ${rupiah(breakdown.remaining)}.`,
  );
  const required = Number((BigInt(amount) * BigInt(s.min_savings_bp) + 9999n) / 10000n);
  add(
    "savings_below_minimum",
    savingsBalance >= required,
    `Saldo simpanan ${rupiah(savingsBalance)} memenuhi minimal ${percent(s.min_savings_bp)} dari jumlah pinjaman (${rupiah(required)}).`,
    `Saldo simpanan ${rupiah(savingsBalance)} kurang dari minimal ${percent(s.min_savings_bp)} dari jumlah pinjaman (${rupiah(required)}).`,
  );
  const last = schedule.installments[schedule.installments.length - 1].due_date;
  if (retirement === null || retirement === undefined) {
    checks.push({
      code: "tenor_past_retirement",
      ok: false,
      message:
        "Tanggal lahir atau kategori anggota belum tercatat, sehingga batas usia pensiun tidak dapat " +
        "diperiksa. Hubungi petugas koperasi.",
    });
  } else {
    add(
      "tenor_past_retirement",
      last < retirement,
      `Angsuran terakhir (${tanggal(last)}) jatuh sebelum tanggal pensiun (${tanggal(retirement)}).`,
      `Angsuran terakhir jatuh tempo ${tanggal(last)}, tidak sebelum tanggal pensiun ${tanggal(retirement)}. Perpendek jangka waktu.`,
    );
  }
  return checks;
}

/**
 * A loan application as the server would judge it, from replica rows: plafon_not_set first, then the
 * schedule's errors, then every rule. ``ok`` is true when the server would accept the rules.
 */
export function evaluateApplication({ product, memberId, profile, loans = [], accounts = [], changes = [], purpose, amount, tenor, startDate, month, settings }) {
  const prof = profile ?? { member_id: memberId, plafon: null };
  const breakdown = plafonNow(prof, changes, month ?? startDate.slice(0, 7), plafonInstallments(loans, memberId));
  const schedule = simulate(product, amount, tenor, startDate);
  const checks = checkApplication({
    product, purpose, amount, tenor, schedule, breakdown,
    savingsBalance: countedSavingsBalance(accounts.filter((a) => a.member_id === undefined || a.member_id === memberId), settings),
    retirement: retirementDate(prof, settings),
    settings,
  });
  const failed = checks.filter((c) => !c.ok);
  return { schedule, breakdown, checks, failed, ok: failed.length === 0 };
}

/** A new voluntary payroll deduction: >= 0 and within sisa plafon, counting the current one as replaced. */
export function checkDeductionChange(profile, installments, newAmount) {
  if (!isInt(newAmount) || newAmount < 0) {
    throw new DomainError("amount_negative", "Nominal setoran harus bilangan bulat rupiah, tidak boleh negatif.");
  }
  const after = sisaPlafon(profile, installments, newAmount);
  if (after.remaining < 0) {
    const available = after.plafon - after.active_installments;
    throw new DomainError(
      "deduction_over_plafon",
      `Nominal setoran ${rupiah(newAmount)} melebihi sisa plafon ${rupiah(available)} ` +
        `(tanpa setoran sukarela saat ini ${rupiah(profile.voluntary_deduction ?? 0)}).`,
      { available },
    );
  }
  return after;
}

/** "YYYY-MM" of the month after ``today`` ("YYYY-MM-DD"): when a deduction change takes effect. */
export function nextPayrollMonth(today) {
  const [y, m] = today.split("-").map(Number);
  const next = m === 12 ? [y + 1, 1] : [y, m + 1];
  return `${String(next[0]).padStart(4, "0")}-${String(next[1]).padStart(2, "0")}`;
}

/** What is still owed on a loan: each installment's amount less what was paid on it (repayment_due). */
export function repaymentDue(installments) {
  return installments.reduce((sum, i) => sum + i.amount - i.paid, 0);
}

/**
 * A cash installment is a positive integer no larger than ``due`` (check_repayment_amount). The officer's
 * screen passes what is owed less the loan.repay items this device has queued and not yet sent, so two
 * queued installments cannot together pay more than the loan owes.
 */
export function checkRepayment(loanCode, due, amount) {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new DomainError("amount_not_positive", "Jumlah pembayaran harus bilangan bulat lebih dari nol.");
  }
  if (amount > due) {
    throw new DomainError(
      "repayment_exceeds_due",
      `Pembayaran ${rupiah(amount)} melebihi sisa tagihan pinjaman ${loanCode} sebesar ${rupiah(due)}.`,
      { due },
    );
  }
}
