/**
 * Dates and times the Indonesian way, in a given IANA zone (default Asia/Jakarta, WIB).
 *
 * Why: the protocol dates what people type or filter by in WIB (docs/PROTOCOL.md section 1) and the
 * server sends instants in UTC with either "Z" or "+00:00"; the device's own zone must never decide
 * "today" or a transaction's date. Built on Intl (no locale data of our own) but formats its own
 * strings, so the output is the same in every browser and in Node: "1 Desember 2026", "14.05 WIB".
 *
 * Exports:
 *   COOP_ZONE                          "Asia/Jakarta"
 *   MONTHS                             ["Januari", …, "Desember"]
 *   formatDate(date) -> "1 Desember 2026"        date: "YYYY-MM-DD" (a calendar date, no zone)
 *   formatMonth("2026-11") -> "November 2026"
 *   zoneLabel(zone = COOP_ZONE, instant = now) -> "WIB" | "WITA" | "WIT" | "UTC+05:30"
 *   parseInstant(text) -> Date          ISO 8601 with Z or an offset; throws RangeError otherwise
 *   dateIn(instant, zone = COOP_ZONE) -> "YYYY-MM-DD"     the calendar date of an instant in a zone
 *   todayIn(zone = COOP_ZONE, now = new Date()) -> "YYYY-MM-DD"
 *   monthIn(instant, zone = COOP_ZONE) -> "YYYY-MM"
 *   formatTime(instant, zone = COOP_ZONE) -> "14.05 WIB"
 *   formatDateTime(instant, zone = COOP_ZONE) -> "1 Desember 2026 14.05 WIB"
 *   instant: a Date, an ISO string, or milliseconds since the epoch.
 */

export const COOP_ZONE = "Asia/Jakarta";
export const MONTHS = Object.freeze([
  "Januari", "Februari", "Maret", "April", "Mei", "Juni",
  "Juli", "Agustus", "September", "Oktober", "November", "Desember",
]);

const LABELS = { 420: "WIB", 480: "WITA", 540: "WIT" };
const INDONESIAN_ZONES = new Set(["Asia/Jakarta", "Asia/Pontianak", "Asia/Makassar", "Asia/Jayapura"]);
const formatters = new Map();

function partsFormatter(zone) {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** ISO 8601 instant with an explicit zone ("Z" or "+07:00"): a bare local time is refused. */
export function parseInstant(text) {
  const s = String(text);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(s)) {
    throw new RangeError(`not an ISO instant with a zone: ${s}`);
  }
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) throw new RangeError(`not an ISO instant: ${s}`);
  return d;
}

function toDate(instant) {
  if (instant instanceof Date) return instant;
  if (typeof instant === "number") return new Date(instant);
  return parseInstant(instant);
}

function fields(instant, zone) {
  const out = {};
  for (const p of partsFormatter(zone).formatToParts(toDate(instant))) out[p.type] = p.value;
  return { year: out.year, month: out.month, day: out.day, hour: out.hour === "24" ? "00" : out.hour, minute: out.minute, second: out.second };
}

const pad = (n) => String(n).padStart(2, "0");

/** A calendar date "YYYY-MM-DD" as "1 Desember 2026". */
export function formatDate(date) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(date));
  if (!m) throw new RangeError(`not a date: ${date}`);
  return `${Number(m[3])} ${MONTHS[Number(m[2]) - 1]} ${Number(m[1])}`;
}

/** "2026-11" -> "November 2026". */
export function formatMonth(month) {
  const m = /^(\d{4})-(\d{2})$/.exec(String(month));
  if (!m) throw new RangeError(`not a month: ${month}`);
  return `${MONTHS[Number(m[2]) - 1]} ${Number(m[1])}`;
}

/** Minutes east of UTC of ``zone`` at ``instant``. */
function offsetMinutes(zone, instant) {
  const d = toDate(instant);
  const f = fields(d, zone);
  const asUtc = Date.UTC(Number(f.year), Number(f.month) - 1, Number(f.day), Number(f.hour), Number(f.minute), Number(f.second));
  return Math.round((asUtc - (d.getTime() - d.getUTCMilliseconds())) / 60000);
}

/** WIB, WITA or WIT for Indonesia's zones; "UTC+hh:mm" elsewhere. */
export function zoneLabel(zone = COOP_ZONE, instant = new Date()) {
  const off = offsetMinutes(zone, instant);
  if (INDONESIAN_ZONES.has(zone) && LABELS[off]) return LABELS[off];
  const sign = off < 0 ? "-" : "+";
  const abs = Math.abs(off);
  return `UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** The calendar date of ``instant`` in ``zone``. */
export function dateIn(instant, zone = COOP_ZONE) {
  const f = fields(instant, zone);
  return `${f.year}-${f.month}-${f.day}`;
}

/** Today in ``zone`` (WIB by default): the day the protocol means by "today". */
export function todayIn(zone = COOP_ZONE, now = new Date()) {
  return dateIn(now, zone);
}

/** "YYYY-MM" of ``instant`` in ``zone``. */
export function monthIn(instant, zone = COOP_ZONE) {
  return dateIn(instant, zone).slice(0, 7);
}

/** "14.05 WIB". */
export function formatTime(instant, zone = COOP_ZONE) {
  const f = fields(instant, zone);
  return `${f.hour}.${f.minute} ${zoneLabel(zone, instant)}`;
}

/** "1 Desember 2026 14.05 WIB". */
export function formatDateTime(instant, zone = COOP_ZONE) {
  return `${formatDate(dateIn(instant, zone))} ${formatTime(instant, zone)}`;
}
