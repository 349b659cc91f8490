/**
 * Loan installment schedules (jadwal angsuran): the JavaScript twin of server/domain/schedule.py.
 *
 * Exact integer arithmetic with BigInt, following docs/LOANS.md "Exact algorithm with integers only"
 * line for line; it must reproduce tests/vectors/loan_schedules.json bit for bit. Amounts leave this
 * module as Numbers (whole rupiah are exact in a double up to 2^53; the protocol bounds them to 10^12).
 *
 * Exports:
 *   INTEREST_METHODS            ["flat", "efektif", "anuitas"]
 *   ROUNDING_MODES              ["half_up", "up", "down"]
 *   MAX_TENOR                   600
 *   ScheduleError               Error with .code ("invalid_terms" | "schedule_infeasible" | "date_out_of_range")
 *   buildSchedule(terms, startDate) -> {terms, start_date, installments: [{number, due_date, principal,
 *                                      interest, amount, remaining}], total_principal, total_interest,
 *                                      total_amount, max_installment, last_due_date}
 *       terms: {principal, tenor, annual_rate_bp, method, rounding_mode = "half_up", rounding_multiple = 1}
 *       startDate: "YYYY-MM-DD"; due dates are "YYYY-MM-DD" strings.
 *   dueDate(startDate, n) -> "YYYY-MM-DD"   n months after start, day clamped to the month's end
 *   roundTo(num, den, multiple, mode) -> BigInt   num/den rounded to a multiple (BigInt arguments)
 *   fdiv(a, c) -> BigInt         floor division for c > 0
 */

export const INTEREST_METHODS = Object.freeze(["flat", "efektif", "anuitas"]);
export const ROUNDING_MODES = Object.freeze(["half_up", "up", "down"]);
export const MAX_TENOR = 600;
const MAX_YEAR = 9000;
const D = 120000n; // annual basis points -> monthly fraction

export class ScheduleError extends Error {
  /** Terms that cannot make a schedule; ``code`` is stable like Python's ScheduleError. */
  constructor(code, message) {
    super(message);
    this.name = "ScheduleError";
    this.code = code;
  }
}

/** Floor division for BigInt with c > 0 (BigInt `/` truncates toward zero). */
export function fdiv(a, c) {
  return a >= 0n ? a / c : -((-a + c - 1n) / c);
}

/** num/den (den > 0) rounded to a multiple of m with mode down, up or half_up. */
export function roundTo(num, den, m, mode) {
  if (mode === "down") return fdiv(num, den * m) * m;
  if (mode === "up") return -fdiv(-num, den * m) * m;
  if (mode === "half_up") return fdiv(2n * num + den * m, 2n * den * m) * m;
  throw new ScheduleError("invalid_terms", `unknown rounding mode ${mode}`);
}

function isLeap(y) {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysIn(y, m) {
  return [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
}

function parseDate(text) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(text));
  if (!match) throw new ScheduleError("invalid_terms", `not a date: ${text}`);
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m)) throw new ScheduleError("invalid_terms", `not a date: ${text}`);
  return [y, m, d];
}

const pad = (n, w) => String(n).padStart(w, "0");

/** The date n months after start, clamped to the month's last day; always counted from start. */
export function dueDate(startDate, n) {
  const [y, m, d] = parseDate(startDate);
  const months = y * 12 + (m - 1) + n;
  const year = Math.floor(months / 12);
  const month = (months % 12) + 1;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(Math.min(d, daysIn(year, month)), 2)}`;
}

function checkInt(name, value, minimum, maximum) {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw new ScheduleError("invalid_terms", `${name} must be an integer, got ${value}`);
  }
  if (value < minimum || (maximum !== undefined && value > maximum)) {
    throw new ScheduleError("invalid_terms", `${name} out of range: ${value}`);
  }
}

function normalise(terms) {
  const t = { rounding_mode: "half_up", rounding_multiple: 1, ...terms };
  checkInt("principal", t.principal, 1);
  checkInt("tenor", t.tenor, 1, MAX_TENOR);
  checkInt("annual_rate_bp", t.annual_rate_bp, 0);
  checkInt("rounding_multiple", t.rounding_multiple, 1);
  if (!INTEREST_METHODS.includes(t.method)) throw new ScheduleError("invalid_terms", `unknown interest method ${t.method}`);
  if (!ROUNDING_MODES.includes(t.rounding_mode)) throw new ScheduleError("invalid_terms", `unknown rounding mode ${t.rounding_mode}`);
  return {
    principal: t.principal, tenor: t.tenor, annual_rate_bp: t.annual_rate_bp, method: t.method,
    rounding_mode: t.rounding_mode, rounding_multiple: t.rounding_multiple,
  };
}

/** The full schedule of ``terms`` from ``startDate`` (docs/LOANS.md, section 3). */
export function buildSchedule(terms, startDate) {
  const t = normalise(terms);
  const [sy, sm] = parseDate(startDate);
  if (sy + Math.floor((sm + t.tenor) / 12) > MAX_YEAR) {
    throw new ScheduleError("date_out_of_range", `the schedule would end after the year ${MAX_YEAR}`);
  }
  const P = BigInt(t.principal);
  const n = BigInt(t.tenor);
  const b = BigInt(t.annual_rate_bp);
  const m = BigInt(t.rounding_multiple);
  const mode = t.rounding_mode;
  let aNum = 0n;
  let aDen = 1n;
  if (t.method === "anuitas") {
    if (b === 0n) {
      aNum = P;
      aDen = n;
    } else {
      const G = (D + b) ** n;
      const H = D ** n;
      aNum = P * b * G;
      aDen = D * (G - H);
    }
  }
  const installments = [];
  let R = P;
  for (let k = 1; k <= t.tenor; k++) {
    const iNum = (t.method === "flat" ? P : R) * b;
    const interest = fdiv(2n * iNum + D, 2n * D);
    let principal;
    let amount;
    if (k < t.tenor) {
      amount = t.method === "anuitas" ? roundTo(aNum, aDen, m, mode) : roundTo(P * D + n * iNum, n * D, m, mode);
      principal = amount - interest;
      if (amount <= 0n || principal < 0n || principal >= R) {
        throw new ScheduleError(
          "schedule_infeasible",
          `installment ${k}: amount ${amount}, interest ${interest}, remaining ${R}: ` +
            "the principal is too small for this tenor and rounding",
        );
      }
    } else {
      principal = R;
      amount = principal + interest;
    }
    R -= principal;
    installments.push({
      number: k, due_date: dueDate(startDate, k), principal: Number(principal), interest: Number(interest),
      amount: Number(amount), remaining: Number(R),
    });
  }
  const totalInterest = installments.reduce((s, i) => s + i.interest, 0);
  return {
    terms: t,
    start_date: startDate,
    installments,
    total_principal: t.principal,
    total_interest: totalInterest,
    total_amount: t.principal + totalInterest,
    max_installment: Math.max(...installments.map((i) => i.amount)),
    last_due_date: installments[installments.length - 1].due_date,
  };
}
