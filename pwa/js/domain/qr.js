/**
 * Lumbung QR payloads (docs/DOCUMENTS.md "QR payload"): `LMB1.<body>[.<signature>]`, the body the
 * base64url of sorted-key JSON, the signature Ed25519 over `LMB1.<body>`. Pure: the WebCrypto
 * `subtle` is passed in, so Node tests hold this module to tests/vectors/qr_payloads.json exactly as
 * server/documents/qr.py is held to it. Why offline: an officer in a village without signal must tell
 * a forged slip from a real one with only the public key the feed published (`qr_key`).
 *
 * Exports:
 *   PREFIX, MAX_PAYLOAD, ASLI, TIDAK_COCOK, REASON_TEXT, reasonText(code) -> string
 *   b64(bytes) / unb64(text) -> base64url without padding, both ways (unb64: null when not base64url)
 *   encodeBody(body) -> string; unsignedSetoran({m, n, s, a, r}) -> payload
 *   parsePayload(payload) -> {ok, body, signed} | {ok: false, error}
 *   verifyPayload(payload, keys, subtle?) -> Promise of the same, the signature checked
 *   checkOffline(body, replica) -> {verdict: 'Asli' | 'Tidak cocok' | null, reason}
 */

export const PREFIX = 'LMB1';
export const MAX_PAYLOAD = 1200;
export const ASLI = 'Asli';
export const TIDAK_COCOK = 'Tidak cocok';

const B64URL = /^[A-Za-z0-9_-]+$/;

/** Why a code failed, as a person reads it (the stable code stays beside it). */
export const REASON_TEXT = {
  ok: 'Tanda tangan dan data cocok.',
  unsigned_request: 'Permintaan setoran tanpa tanda tangan: hanya untuk mengisi formulir.',
  qr_not_lumbung: 'Bukan kode QR Lumbung.',
  qr_malformed: 'Isi kode QR rusak.',
  qr_unsigned: 'Dokumen tanpa tanda tangan.',
  qr_unknown_key: 'Ditandatangani kunci yang tidak dikenal (koperasi lain atau kunci lama).',
  qr_bad_signature: 'Tanda tangan tidak cocok: isi kode telah diubah.',
  qr_unknown_type: 'Jenis kode QR tidak dikenal.',
  hash_mismatch: 'Hash buku besar tidak cocok dengan data.',
  amount_or_member_mismatch: 'Jumlah atau anggota tidak cocok dengan data.',
  record_not_found: 'Transaksi tidak ditemukan.',
  member_mismatch: 'Data anggota tidak cocok.',
  member_inactive: 'Anggota tidak aktif.',
  not_in_replica: 'Tanda tangan asli, tetapi transaksinya tidak ada di perangkat ini. Periksa secara online.',
  not_posted: 'Tanda tangan asli, transaksi belum diverifikasi (belum ada di buku besar). Periksa secara online.',
  member_elsewhere: 'Kartu asli, tetapi anggota ini bukan dari lokasi Anda: Setor Tunai tidak dapat dibuka.',
  no_key: 'Kunci verifikasi belum ada di perangkat. Sinkronkan atau periksa secara online.',
  unsupported: 'Peramban ini tidak mendukung verifikasi Ed25519. Periksa secara online.',
};

export function reasonText(code) {
  return REASON_TEXT[code] ?? code;
}

/** base64url without padding → bytes; null when the text is not base64url. */
export function unb64(text) {
  if (typeof text !== 'string' || !text || !B64URL.test(text) || text.length % 4 === 1) return null;
  const std = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const bin = atob(std);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i += 1) out[i] = bin.charCodeAt(i);
  return out;
}

export function b64(bytes) {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The body's wire form: JSON with sorted keys and no spaces, UTF-8, base64url (as msgspec's `order="sorted"`). */
export function encodeBody(body) {
  const sorted = Object.fromEntries(Object.keys(body).sort().map((k) => [k, body[k]]));
  return b64(new TextEncoder().encode(JSON.stringify(sorted)));
}

/** A Setoran request a member's device makes offline: unsigned, it only prefills the officer's form. */
export function unsignedSetoran({ m, n, s, a, r }) {
  return `${PREFIX}.${encodeBody({ t: 'setoran', m, n, s, a, r })}`;
}

/** Steps 1–2: split and decode. `{ok: true, body, signed, head, sig}` or `{ok: false, error}`. */
export function parsePayload(payload) {
  // eslint-disable-next-line no-control-regex
  if (typeof payload !== 'string' || payload.length > MAX_PAYLOAD || !/^[\x00-\x7f]*$/.test(payload)) return { ok: false, error: 'qr_malformed' };
  const parts = payload.trim().split('.');
  if (parts[0] !== PREFIX || (parts.length !== 2 && parts.length !== 3)) return { ok: false, error: 'qr_not_lumbung' };
  const raw = unb64(parts[1]);
  if (!raw) return { ok: false, error: 'qr_malformed' };
  let body;
  try { body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw)); } catch { return { ok: false, error: 'qr_malformed' }; }
  if (!body || typeof body !== 'object' || Array.isArray(body) || typeof body.t !== 'string') return { ok: false, error: 'qr_malformed' };
  if (parts.length === 2) {
    if (body.t !== 'setoran') return { ok: false, error: 'qr_unsigned', body };
    return { ok: true, body, signed: false };
  }
  return { ok: true, body, signed: true, head: `${parts[0]}.${parts[1]}`, sig: parts[2] };
}

/**
 * Steps 1–3: the body of a payload whose Ed25519 signature verifies with one of `keys`
 * (`[{kid, alg, public_key}]`), or an unsigned Setoran request. `{ok: false, error: 'unsupported'}`
 * when `subtle` cannot do Ed25519 (the caller then asks the server).
 */
export async function verifyPayload(payload, keys, subtle = globalThis.crypto?.subtle) {
  const parsed = parsePayload(payload);
  if (!parsed.ok || !parsed.signed) return parsed;
  const key = (keys ?? []).find((k) => k && k.kid === String(parsed.body.kid));
  if (!key) return { ok: false, error: 'qr_unknown_key', body: parsed.body };
  const raw = unb64(key.public_key);
  const sig = unb64(parsed.sig);
  if (!raw || raw.length !== 32 || !sig || sig.length !== 64) return { ok: false, error: sig ? 'qr_bad_signature' : 'qr_malformed', body: parsed.body };
  let good;
  try {
    const pub = await subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']);
    good = await subtle.verify({ name: 'Ed25519' }, pub, sig, new TextEncoder().encode(parsed.head));
  } catch {
    return { ok: false, error: 'unsupported', body: parsed.body };
  }
  return good ? { ok: true, body: parsed.body, signed: true } : { ok: false, error: 'qr_bad_signature', body: parsed.body };
}

const RECORD_OF = { setoran: 'deposit', penarikan: 'withdrawal', pinjaman: 'loan' };

/**
 * Step 4 offline: check a verified body against this device's replica (`{ledger_entry, deposit,
 * withdrawal, loan, member}` arrays). Returns `{verdict: 'Asli'|'Tidak cocok'|null, reason}`; null
 * means "cannot tell here" (not in this replica, not posted yet): the caller offers the online check.
 */
export function checkOffline(body, replica) {
  const entries = replica.ledger_entry ?? [];
  const members = replica.member ?? [];
  if (body.t === 'card' || body.t === 'setoran') {
    const m = members.find((x) => x.id === body.m);
    if (!m) return { verdict: null, reason: 'not_in_replica' };
    if (m.number !== body.n || (body.t === 'card' && m.name !== body.nm)) return { verdict: TIDAK_COCOK, reason: 'member_mismatch' };
    if (m.active === false) return { verdict: TIDAK_COCOK, reason: 'member_inactive' };
    // an amount no form could have written (an unsigned request is anyone's to make): as the server
    if (body.a != null && !(Number.isInteger(body.a) && body.a > 0 && body.a <= 1_000_000_000_000)) return { verdict: TIDAK_COCOK, reason: 'qr_malformed' };
    return { verdict: ASLI, reason: body.kid ? 'ok' : 'unsigned_request' };
  }
  if (body.t !== 'doc') return { verdict: TIDAK_COCOK, reason: 'qr_unknown_type' };
  const memberOk = (memberId) => {
    const m = members.find((x) => x.id === memberId);
    return !m || m.number === body.n;
  };
  const entity = RECORD_OF[body.d];
  if (entity) {
    const row = (replica[entity] ?? []).find((r) => r.code === body.c);
    if (row && (row.amount !== body.a || !memberOk(row.member_id))) return { verdict: TIDAK_COCOK, reason: 'amount_or_member_mismatch' };
    if (!body.h) return { verdict: null, reason: row ? 'not_posted' : 'not_in_replica' };
    const entry = entries.find((e) => e.hash === body.h);
    if (!entry) return { verdict: null, reason: 'not_in_replica' };
    const sameRecord = entry.ref_code === body.c || (row && (entry.ref_id === row.id || entry.savings_type === `pinjaman:${row.id}`));
    if (!sameRecord) return { verdict: TIDAK_COCOK, reason: 'hash_mismatch' };
    if (entity !== 'loan' && Math.abs(entry.amount) !== body.a) return { verdict: TIDAK_COCOK, reason: 'amount_or_member_mismatch' };
    return { verdict: ASLI, reason: 'ok' };
  }
  if (body.d === 'kartu_simpanan') {
    const [, number, savingsType] = String(body.c).split('/');
    if (number !== body.n) return { verdict: TIDAK_COCOK, reason: 'amount_or_member_mismatch' };
    if (!body.h) return { verdict: null, reason: 'not_in_replica' };
    const entry = entries.find((e) => e.hash === body.h);
    if (!entry) return { verdict: null, reason: 'not_in_replica' };
    if (entry.savings_type !== savingsType || !memberOk(entry.member_id)) return { verdict: TIDAK_COCOK, reason: 'hash_mismatch' };
    if (entry.balance_after !== body.a) return { verdict: TIDAK_COCOK, reason: 'amount_or_member_mismatch' };
    return { verdict: ASLI, reason: 'ok' };
  }
  return { verdict: null, reason: 'not_in_replica' }; // kas_harian: the day's list is checked by the server
}
