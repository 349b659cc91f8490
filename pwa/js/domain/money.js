/**
 * Rupiah amounts on screen and in inputs: whole rupiah only, Indonesian thousands separators.
 *
 * Why here: every amount a user types goes through parseAmount before it can reach a mutation, so a
 * float, a negative number or "1,5" never gets into the outbox; formatRupiah matches Python's
 * server.domain.rules.rupiah exactly, so messages computed on the device read like the server's.
 *
 * Exports:
 *   MAX_AMOUNT                      1_000_000_000_000 (the protocol's structural bound)
 *   formatThousands(n) -> "1.250.000"
 *   formatRupiah(n, {signFirst = false} = {}) -> "Rp1.250.000"
 *        like server.domain.rules.rupiah, so device messages equal the server's: a negative number gives
 *        "Rp-5.000"; with signFirst "-Rp5.000" (client_sync's format_rupiah), for display.
 *   parseAmount(text, {allowZero = false, max = MAX_AMOUNT} = {})
 *        -> {ok: true, value} | {ok: false, code, message}
 *        accepts "1250000", "1.250.000", "Rp 1.250.000", "1 250 000"; refuses decimals ("1,5",
 *        "1.25"), signs, letters, empty input. Codes: amount_required, amount_not_integer,
 *        amount_negative, amount_not_positive, amount_too_large.
 *   liveFormat(text, caret) -> {text, caret, value}
 *        reformat what the user is typing ("1250000" -> "1.250.000") and keep the caret after the same
 *        digit; value is the number or null. Non-digits are dropped (the field shows digits only).
 */

export const MAX_AMOUNT = 1_000_000_000_000;

/** Digits grouped by three with dots: 1250000 -> "1.250.000" (negative keeps its sign). */
export function formatThousands(n) {
  if (typeof n === "bigint") n = n.toString();
  const text = String(n);
  const negative = text.startsWith("-");
  const digits = negative ? text.slice(1) : text;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  return (negative ? "-" : "") + grouped;
}

/** Whole rupiah the Indonesian way, exactly like Python's ``rupiah``: Rp1.250.000. */
export function formatRupiah(n, { signFirst = false } = {}) {
  const text = formatThousands(n);
  if (signFirst && text.startsWith("-")) return "-Rp" + text.slice(1);
  return "Rp" + text;
}

function fail(code, message) {
  return { ok: false, code, message };
}

/** Parse an amount the user typed. See the module docstring for what is accepted. */
export function parseAmount(text, { allowZero = false, max = MAX_AMOUNT } = {}) {
  const raw = String(text ?? "").trim();
  if (raw === "") return fail("amount_required", "Jumlah wajib diisi.");
  let body = raw.replace(/^rp\.?\s*/i, "");
  if (/^[-−]/.test(body)) return fail("amount_negative", "Jumlah tidak boleh negatif.");
  body = body.replace(/^\+/, "");
  // separators: dots, spaces (incl. no-break) between groups of exactly three digits
  const grouped = /^\d{1,3}([. \u00a0\u202f]\d{3})+$/;
  if (!/^\d+$/.test(body) && !grouped.test(body)) {
    return fail("amount_not_integer", "Jumlah harus bilangan bulat rupiah tanpa desimal, misalnya 1.250.000.");
  }
  const digits = body.replace(/\D/g, "");
  if (digits.length > 15) return fail("amount_too_large", `Jumlah paling banyak ${formatRupiah(max)}.`);
  const value = Number(digits);
  if (value === 0 && !allowZero) return fail("amount_not_positive", "Jumlah harus lebih dari nol.");
  if (value > max) return fail("amount_too_large", `Jumlah paling banyak ${formatRupiah(max)}.`);
  return { ok: true, value };
}

/** Reformat an input's text as the user types and keep the caret after the same digit. */
export function liveFormat(text, caret = String(text ?? "").length) {
  const raw = String(text ?? "");
  const digitsBefore = raw.slice(0, caret).replace(/\D/g, "").replace(/^0+(?=\d)/, "").length;
  let digits = raw.replace(/\D/g, "").replace(/^0+(?=\d)/, "");
  if (digits.length > 15) digits = digits.slice(0, 15);
  const formatted = digits === "" ? "" : formatThousands(digits);
  let seen = 0;
  let pos = 0;
  const wanted = Math.min(digitsBefore, digits.length);
  while (pos < formatted.length && seen < wanted) {
    if (/\d/.test(formatted[pos])) seen += 1;
    pos += 1;
  }
  return { text: formatted, caret: pos, value: digits === "" ? null : Number(digits) };
}
