/**
 * Amounts in Indonesian words (*terbilang*), as printed on a deposit slip: a port of
 * server/domain/terbilang.py, held to the same vectors (tests/vectors/protocol_formatting.json).
 *
 * Exports:
 *   terbilang(amount) -> "satu juta dua ratus lima puluh ribu rupiah"   (integer Number or BigInt)
 */

const UNITS = ["", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan", "sepuluh", "sebelas"];
const SCALES = [
  [10n ** 12n, "triliun"],
  [10n ** 9n, "miliar"],
  [10n ** 6n, "juta"],
  [10n ** 3n, "ribu"],
];

function join(...parts) {
  return parts.join(" ").trim();
}

function words(n) {
  if (n < 12n) return UNITS[Number(n)];
  if (n < 20n) return `${UNITS[Number(n - 10n)]} belas`;
  if (n < 100n) return join(`${UNITS[Number(n / 10n)]} puluh`, words(n % 10n));
  if (n < 200n) return join("seratus", words(n - 100n));
  if (n < 1000n) return join(`${UNITS[Number(n / 100n)]} ratus`, words(n % 100n));
  if (n < 2000n) return join("seribu", words(n - 1000n));
  for (const [size, name] of SCALES) {
    if (n >= size) return join(`${words(n / size)} ${name}`, words(n % size));
  }
  throw new Error(`unreachable: ${n}`);
}

/** ``terbilang(1250000)`` -> ``"satu juta dua ratus lima puluh ribu rupiah"``. */
export function terbilang(amount) {
  if (typeof amount === "number" && !Number.isSafeInteger(amount)) throw new TypeError("terbilang needs a whole number");
  const n = BigInt(amount);
  if (n === 0n) return "nol rupiah";
  const prefix = n < 0n ? "minus " : "";
  return `${prefix}${words(n < 0n ? -n : n)} rupiah`;
}
