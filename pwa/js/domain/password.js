/**
 * Choosing a new password (POST /api/auth/password, PROTOCOL §4): what the forced change at login and
 * the Ubah Password card check before anything is sent, and the Indonesian message for each answer.
 *
 * - MIN_PASSWORD_LENGTH (10, the server's LUMBUNG_PASSWORD_MIN_LENGTH default) and MAX_PASSWORD_LENGTH
 *   (200): the bounds checked on the device; a server that answers `password_too_short` with another
 *   `detail.min_length` wins (the screens keep that figure for the next check).
 * - checkNewPassword(next, repeat, {current, minLength}): null when the two new fields may be sent,
 *   else {field, code, message} with `field` one of 'next' | 'repeat' (the input the message belongs to).
 *   The common-password list stays on the server (19,600 words are not worth the shell's bytes).
 * - passwordChangeProblem(err, {where}): an ApiError (or any error) of the change as {field, code,
 *   message, minLength?, needOtp?}; `field` is 'current' | 'next' | 'otp' | 'form', `where` is 'login'
 *   (the forced change) or 'settings' (the user changes it themselves). Unknown codes keep the
 *   server's own Indonesian message, as every other screen shows it.
 * - OFFLINE_MESSAGE: what is said when there is no connection: the change is never queued.
 */

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 200;

// As server/auth/policy.py: no control or format characters (NUL, tab, zero-width), and the minimum
// length counts the password without its surrounding spaces.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}]/u;
const INVISIBLE_MESSAGE = 'Password tidak boleh memuat karakter kontrol atau karakter yang tidak terlihat.';

export const OFFLINE_MESSAGE = 'Ganti password memerlukan koneksi ke server. Sambungkan perangkat ke internet, lalu coba lagi.';

export function checkNewPassword(next, repeat, { current = null, minLength = MIN_PASSWORD_LENGTH } = {}) {
  const value = typeof next === 'string' ? next : '';
  if (!value) return { field: 'next', code: 'password_missing', message: 'Isi password baru.' };
  if (INVISIBLE.test(value)) return { field: 'next', code: 'password_invalid_characters', message: INVISIBLE_MESSAGE };
  if (value.trim().length < minLength) {
    return { field: 'next', code: 'password_too_short', message: `Password baru minimal ${minLength} karakter.` };
  }
  if (value.length > MAX_PASSWORD_LENGTH) {
    return { field: 'next', code: 'password_too_long', message: `Password baru paling panjang ${MAX_PASSWORD_LENGTH} karakter.` };
  }
  if (current !== null && value === current) {
    return { field: 'next', code: 'password_unchanged', message: 'Password baru harus berbeda dari password saat ini.' };
  }
  if (repeat !== value) {
    return { field: 'repeat', code: 'password_mismatch', message: 'Ulangi password baru dengan tepat: kedua isian belum sama.' };
  }
  return null;
}

export function passwordChangeProblem(err, { where = 'settings' } = {}) {
  const code = err?.code ?? null;
  const detail = err?.detail ?? null;
  if (err?.status === 0 || code === 'offline') return { field: 'form', code: 'offline', message: OFFLINE_MESSAGE };
  switch (code) {
    case 'invalid_credentials':
      return where === 'login'
        ? { field: 'form', code, message: 'Password saat ini tidak diterima lagi. Kembali ke Masuk dan coba dari awal.' }
        : { field: 'current', code, message: 'Password saat ini salah.' };
    case 'password_too_short': {
      const min = Number.isInteger(detail?.min_length) ? detail.min_length : MIN_PASSWORD_LENGTH;
      return { field: 'next', code, message: `Password baru minimal ${min} karakter.`, minLength: min };
    }
    case 'password_too_long':
      return { field: 'next', code, message: `Password baru paling panjang ${MAX_PASSWORD_LENGTH} karakter.` };
    case 'password_invalid_characters':
      return { field: 'next', code, message: INVISIBLE_MESSAGE };
    case 'password_too_common':
      return { field: 'next', code, message: 'Password ini terlalu umum atau memuat nama pengguna; pilih yang lain.' };
    case 'password_unchanged':
      return { field: 'next', code, message: 'Password baru harus berbeda dari password saat ini.' };
    case 'mfa_required':
      return { field: 'otp', code, needOtp: true, message: 'Akun ini memakai verifikasi dua langkah: isi kode 6 angka dari aplikasi autentikator (atau kode pemulihan).' };
    case 'mfa_invalid':
      return { field: 'otp', code, needOtp: true, message: 'Kode verifikasi salah.' };
    case 'mfa_code_reused':
      return { field: 'otp', code, needOtp: true, message: 'Kode verifikasi ini sudah dipakai; tunggu kode berikutnya.' };
    case 'too_many_attempts': {
      const wait = Number.isInteger(detail?.retry_after) ? detail.retry_after : null;
      return { field: 'form', code, message: wait ? `Terlalu banyak percobaan yang gagal; coba lagi dalam ${wait} detik.` : 'Terlalu banyak percobaan yang gagal; coba lagi nanti.' };
    }
    case 'busy':
      return { field: 'form', code, message: 'Server sedang sibuk; coba lagi sebentar lagi. Password belum diganti.' };
    default:
      if (err?.status === 429) return { field: 'form', code, message: 'Terlalu banyak percobaan; coba lagi nanti.' };
      if (err?.status >= 500) return { field: 'form', code, message: 'Server sedang bermasalah; coba lagi sebentar lagi. Password belum diganti.' };
      return { field: 'form', code, message: err?.message || 'Password belum bisa diganti.' };
  }
}
