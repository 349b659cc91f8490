/**
 * Validation of mutations against the protocol before they are queued (docs/PROTOCOL.md sections 5-6,
 * client obligation 4): a mirror of server/protocol.py's structs and constraints.
 *
 * Why: one malformed mutation makes every push 422 and would block the queue behind it, so nothing
 * enters the outbox unless this module accepts it. Each refusal names its field with an Indonesian
 * message the form shows next to that field. Held to tests/vectors/protocol_mutations.json, which the
 * Python suite decodes with server.protocol's strict msgspec decoder for the same verdicts.
 *
 * Exports:
 *   MUTATION_NAMES                     the 17 mutation names (the `name` tag), in protocol order
 *   SCHEMAS                            name -> {field: {type, required, nullable, min, max, choices, pattern}}
 *                                      types: int, str (optional `pattern`, a RegExp source), uuid, sha256,
 *                                      choice, date, datetime, struct ({fields}), list ({items, max})
 *   FIELD_LABELS                       field -> Indonesian label used in messages
 *   MAX_AMOUNT, MAX_ID
 *   UUID_RE, SHA256_RE
 *   isUuid(text) -> boolean
 *   newUuid() -> lower-case random UUID (crypto.randomUUID)
 *   validateOp(op) -> {ok, errors: [{field, code, message}]}              fields like "amount"
 *   validateMutation(m) -> {ok, errors}   the envelope {id, uuid, user_id, op, device_time?};
 *                                          op fields are reported as "op.amount"
 *   errorsByField(errors) -> {field: message}   the first message per field, for a form
 *   clipText(text, max) -> text trimmed and cut to max code points (never half an emoji)
 *   Error codes: not_object, unknown_mutation, unknown_field, required, not_text, malformed_text (half of a
 *   surrogate pair, which the server's strict decoder refuses for the whole push), too_short, too_long,
 *   not_integer, out_of_range, invalid_uuid, invalid_hash, invalid_choice, invalid_date, invalid_datetime,
 *   invalid_format (a str pattern), not_list, too_many. A nested struct's fields are reported as
 *   "sync_state.pending"; a list's items under the list's field ("sync_state.error_codes").
 */

export const MAX_AMOUNT = 1_000_000_000_000;
export const MAX_ID = 2 ** 53;
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const SHA256_RE = /^[0-9a-f]{64}$/;

const uuid = { type: "uuid" };
const id = { type: "int", min: 1, max: MAX_ID };
const amount = { type: "int", min: 1, max: MAX_AMOUNT };
const shortText = { type: "str", max: 200 };
const date = { type: "date" };
const reason = { type: "str", min: 1, max: 500 };
const opt = (spec) => ({ ...spec, required: false, nullable: true });
const def = (spec) => ({ ...spec, required: false });
const req = (spec) => ({ ...spec, required: true });
const choice = (...choices) => ({ type: "choice", choices });

export const SCHEMAS = Object.freeze({
  "deposit.create": {
    deposit_id: req(uuid), member_id: req(id), savings_type: req(shortText), kind: req(choice("offline", "mandiri")),
    amount: req(amount), location_id: req(id), bank_account_id: opt(id), transfer_date: opt(date),
    sender_bank: opt(shortText), account_holder: opt(shortText), note: def({ type: "str", max: 1000 }),
    attachment: opt({ type: "sha256" }),
  },
  "deposit.cancel": { deposit_id: req(uuid) },
  "deposit.verify": { deposit_id: req(uuid) },
  "deposit.reject": { deposit_id: req(uuid), reason: req(reason) },
  "withdrawal.create": {
    withdrawal_id: req(uuid), member_id: req(id), savings_type: req(shortText), amount: req(amount),
    method: req(choice("transfer", "tunai")), location_id: req(id), bank_name: opt(shortText),
    account_number: opt({ type: "str", max: 40 }), account_holder: opt(shortText), note: def({ type: "str", max: 1000 }),
  },
  "withdrawal.cancel": { withdrawal_id: req(uuid) },
  "withdrawal.verify": { withdrawal_id: req(uuid) },
  "withdrawal.reject": { withdrawal_id: req(uuid), reason: req(reason) },
  "loan.apply": {
    loan_id: req(uuid), member_id: req(id), product_id: req(id), purpose: req({ type: "str", min: 1, max: 200 }),
    amount: req(amount), tenor: req({ type: "int", min: 1, max: 600 }), requested_disbursement_date: req(date),
    location_id: req(id), disbursement_method: req(choice("transfer", "tunai")), bank_name: opt(shortText),
    account_number: opt({ type: "str", max: 40 }), account_holder: opt(shortText),
  },
  "loan.cancel": { loan_id: req(uuid) },
  "loan.approve": { loan_id: req(uuid) },
  "loan.reject": { loan_id: req(uuid), reason: req(reason) },
  "loan.disburse": { loan_id: req(uuid), disbursement_date: req(date) },
  "loan.repay": { repayment_id: req(uuid), loan_id: req(uuid), amount: req(amount) },
  "deduction_change.create": {
    change_id: req(uuid), member_id: req(id), savings_type: req(shortText),
    new_amount: req({ type: "int", min: 0, max: MAX_AMOUNT }),
  },
  "deduction_change.cancel": { change_id: req(uuid) },
  "report.create": {
    report_id: req(uuid), description: req({ type: "str", min: 1, max: 2000 }),
    app_version: req({ type: "str", min: 1, max: 40, pattern: "^[A-Za-z0-9._+-]+$" }),
    sync_state: req({
      type: "struct",
      fields: {
        pending: req({ type: "int", min: 0, max: 1_000_000 }), rejected: def({ type: "int", min: 0, max: 1_000_000 }),
        last_sync_at: opt({ type: "datetime" }),
        error_codes: def({ type: "list", max: 10, items: { type: "str", pattern: "^[a-z][a-z0-9_]{0,63}$" } }),
      },
    }),
  },
});

export const MUTATION_NAMES = Object.freeze(Object.keys(SCHEMAS));

export const FIELD_LABELS = Object.freeze({
  name: "Jenis transaksi", id: "Nomor transaksi", uuid: "UUID transaksi", user_id: "Pengguna", op: "Transaksi",
  device_time: "Waktu perangkat", deposit_id: "ID setoran", withdrawal_id: "ID penarikan", loan_id: "ID pinjaman",
  repayment_id: "ID pembayaran", change_id: "ID perubahan setoran", member_id: "Anggota", savings_type: "Jenis simpanan",
  kind: "Jenis setoran", amount: "Jumlah", location_id: "Lokasi", bank_account_id: "Metode pembayaran",
  transfer_date: "Tanggal setoran", sender_bank: "Bank transfer", account_holder: "Atas nama", note: "Keterangan",
  attachment: "Bukti setoran", reason: "Alasan", method: "Metode penarikan", bank_name: "Nama bank",
  account_number: "Nomor rekening", product_id: "Jenis pinjaman", purpose: "Tujuan pinjaman", tenor: "Jangka waktu",
  requested_disbursement_date: "Tanggal permintaan pencairan", disbursement_method: "Metode pencairan",
  disbursement_date: "Tanggal pencairan", new_amount: "Nominal setoran", report_id: "ID laporan",
  description: "Uraian masalah", app_version: "Versi aplikasi", sync_state: "Status sinkronisasi",
  pending: "Jumlah tertunda", rejected: "Jumlah ditolak", last_sync_at: "Sinkronisasi terakhir",
  error_codes: "Kode kesalahan",
});

const label = (field) => FIELD_LABELS[field] ?? field;
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const codePoints = (s) => [...s].length;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** No half of a surrogate pair: JSON.stringify would send it as "\ud83d", which the server's strict
 * decoder refuses for the whole push, and the queue behind it would never move. */
const wellFormed = (s) => (typeof s.isWellFormed === "function" ? s.isWellFormed() : !LONE_SURROGATE.test(s));

/** ``text`` trimmed and cut to ``max`` code points (the protocol counts code points; ``slice`` counts
 * UTF-16 units and can cut an emoji in half). */
export function clipText(text, max) {
  return Array.from(String(text).trim()).slice(0, max).join("");
}
const thousands = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ".");

export function isUuid(text) {
  return typeof text === "string" && UUID_RE.test(text);
}

/** A fresh lower-case UUID (v4) for a new mutation or a new record. */
export function newUuid() {
  return globalThis.crypto.randomUUID().toLowerCase();
}

function isLeap(y) {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function validDate(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const days = [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return y >= 1 && mo >= 1 && mo <= 12 && d >= 1 && d <= days[mo - 1];
}

/** RFC 3339 date-time (what msgspec decodes into a datetime): a valid date, T, a valid time, optional zone. */
function validDateTime(text) {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))?$/.exec(text);
  if (!m || !validDate(m[1])) return false;
  const [h, mi, s] = [Number(m[2]), Number(m[3]), Number(m[4])];
  if (h > 23 || mi > 59 || s > 59) return false;
  if (m[7] !== undefined && (Number(m[7]) > 23 || Number(m[8]) > 59)) return false;
  return true;
}

function checkValue(field, spec, value) {
  const what = label(field);
  const err = (code, message) => ({ field, code, message });
  switch (spec.type) {
    case "int":
      if (typeof value !== "number" || !Number.isInteger(value)) {
        return err("not_integer", `${what} harus bilangan bulat.`);
      }
      if (value < spec.min || value > spec.max) {
        if (spec.min === 1 && value < 1) return err("out_of_range", `${what} harus lebih dari nol.`);
        if (spec.min === 0 && value < 0) return err("out_of_range", `${what} tidak boleh negatif.`);
        return err("out_of_range", `${what} harus antara ${thousands(spec.min)} dan ${thousands(spec.max)}.`);
      }
      return null;
    case "str":
      if (typeof value !== "string") return err("not_text", `${what} harus berupa teks.`);
      if (!wellFormed(value)) return err("malformed_text", `${what} memuat karakter yang rusak; ketik ulang.`);
      if (spec.min && codePoints(value) < spec.min) return err("too_short", `${what} wajib diisi.`);
      if (spec.max && codePoints(value) > spec.max) return err("too_long", `${what} paling panjang ${spec.max} karakter.`);
      if (spec.pattern && !new RegExp(spec.pattern, "u").test(value)) return err("invalid_format", `${what} memuat karakter yang tidak diizinkan.`);
      return null;
    case "uuid":
      return typeof value === "string" && UUID_RE.test(value)
        ? null
        : err("invalid_uuid", `${what} harus UUID huruf kecil (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).`);
    case "sha256":
      return typeof value === "string" && SHA256_RE.test(value)
        ? null
        : err("invalid_hash", `${what} harus hash SHA-256 (64 digit heksadesimal huruf kecil).`);
    case "choice":
      return spec.choices.includes(value) ? null : err("invalid_choice", `${what} harus salah satu dari: ${spec.choices.join(", ")}.`);
    case "date":
      return typeof value === "string" && validDate(value) ? null : err("invalid_date", `${what} harus tanggal yang sah (YYYY-MM-DD).`);
    case "datetime":
      return typeof value === "string" && validDateTime(value) ? null : err("invalid_datetime", `${what} harus waktu RFC 3339 yang sah.`);
    default:
      throw new Error(`unknown spec type ${spec.type}`);
  }
}

function checkFields(obj, schema, prefix, errors, tag) {
  for (const key of Object.keys(obj)) {
    if (key === tag) continue;
    if (!(key in schema)) errors.push({ field: prefix + key, code: "unknown_field", message: `Kolom ${key} tidak dikenal.` });
  }
  for (const [field, spec] of Object.entries(schema)) {
    const present = Object.prototype.hasOwnProperty.call(obj, field) && obj[field] !== undefined;
    if (!present) {
      if (spec.required) errors.push({ field: prefix + field, code: "required", message: `${label(field)} wajib diisi.` });
      continue;
    }
    const value = obj[field];
    if (value === null) {
      if (!spec.nullable) errors.push({ field: prefix + field, code: "required", message: `${label(field)} wajib diisi.` });
      continue;
    }
    errors.push(...checkNested(field, spec, value, prefix));
  }
}

/** One field's errors: a struct checks its own fields, a list its length and each item. */
function checkNested(field, spec, value, prefix) {
  const path = prefix + field;
  if (spec.type === "struct") {
    if (!isObject(value)) return [{ field: path, code: "not_object", message: `${label(field)} harus berupa objek.` }];
    const errors = [];
    checkFields(value, spec.fields, `${path}.`, errors, null);
    return errors;
  }
  if (spec.type === "list") {
    if (!Array.isArray(value)) return [{ field: path, code: "not_list", message: `${label(field)} harus berupa daftar.` }];
    if (spec.max !== undefined && value.length > spec.max) {
      return [{ field: path, code: "too_many", message: `${label(field)} paling banyak ${spec.max} butir.` }];
    }
    for (const item of value) {
      const e = checkValue(field, spec.items, item);
      if (e) return [{ ...e, field: path }];
    }
    return [];
  }
  const e = checkValue(field, spec, value);
  return e ? [{ ...e, field: path }] : [];
}

function opErrors(op, prefix) {
  if (!isObject(op)) return [{ field: prefix.replace(/\.$/, "") || "op", code: "not_object", message: "Transaksi harus berupa objek." }];
  const schema = Object.prototype.hasOwnProperty.call(SCHEMAS, op.name) ? SCHEMAS[op.name] : undefined;
  if (!schema) {
    return [{ field: prefix + "name", code: "unknown_mutation", message: `Jenis transaksi ${String(op.name ?? "")} tidak dikenal.`.replace("  ", " ") }];
  }
  const errors = [];
  checkFields(op, schema, prefix, errors, "name");
  return errors;
}

/** Check one mutation op (``{name, ...args}``) against its protocol struct. */
export function validateOp(op) {
  const errors = opErrors(op, "");
  return { ok: errors.length === 0, errors };
}

const ENVELOPE = {
  id: req(id), uuid: req(uuid), user_id: req(id), op: req({ type: "op" }), device_time: opt({ type: "datetime" }),
};

/** Check a queued mutation: the envelope and its op (op fields reported as "op.<field>"). */
export function validateMutation(m) {
  if (!isObject(m)) return { ok: false, errors: [{ field: "", code: "not_object", message: "Transaksi harus berupa objek." }] };
  const errors = [];
  const { op, ...rest } = m;
  const { op: _opSpec, ...envelope } = ENVELOPE;
  checkFields(rest, envelope, "", errors, "op");
  if (op === undefined || op === null) errors.push({ field: "op", code: "required", message: `${label("op")} wajib diisi.` });
  else errors.push(...opErrors(op, "op."));
  return { ok: errors.length === 0, errors };
}

/** The first message per field, for showing next to a form's inputs. */
export function errorsByField(errors) {
  const out = {};
  for (const e of errors) if (!(e.field in out)) out[e.field] = e.message;
  return out;
}
