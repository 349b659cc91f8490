/**
 * Ganti Password (POST /api/auth/password), online only and never queued:
 * - ForcedChange: the login step after 403 `password_change_required` (an admin set the password):
 *   the current password is the one just typed on Masuk (kept in memory only, never shown again),
 *   then the app logs in with the new one on the same profile and client id.
 * - PasswordCard: Ubah Password in Pengaturan; the server ends every session of the user, so
 *   app-state's changeOwnPassword logs this device in again by itself and the outbox stays.
 * The two new fields are checked on the device first (domain/password.js); each refusal of the server
 * is shown next to the field it is about.
 */
import { html, useRef, useState } from '../html.js';
import { changeOwnPassword, login } from '../app-state.js';
import { changePassword } from '../sync/profiles.js';
import { Field } from '../ui/components.js';
import { useGet } from '../ui/online.js';
import {
  MIN_PASSWORD_LENGTH, OFFLINE_MESSAGE, checkNewPassword, passwordChangeProblem,
} from '../domain/password.js';

const OTP_MISSING = { field: 'otp', code: 'otp_missing', message: 'Isi kode dari aplikasi autentikator atau kode pemulihan.' };

/** The message for `field` (or null), with the id that aria-describedby needs. */
function errorOf(problem, field) {
  return problem?.field === field ? problem.message : null;
}

function NewPasswordFields({ next, repeat, setNext, setRepeat, problem, minLength }) {
  const nextErr = errorOf(problem, 'next');
  const repeatErr = errorOf(problem, 'repeat');
  return html`
    <${Field} label="Password Baru" id="pw-new" error=${nextErr} hint=${`Minimal ${minLength} karakter; jangan memakai nama pengguna atau password yang umum.`}>
      <input id="pw-new" name="new-password" type="password" autocomplete="new-password" value=${next}
        onInput=${(e) => setNext(e.currentTarget.value)} aria-invalid=${nextErr ? 'true' : undefined}
        aria-describedby=${nextErr ? 'pw-new-err' : undefined} />
    <//>
    <${Field} label="Ulangi Password Baru" id="pw-repeat" error=${repeatErr}>
      <input id="pw-repeat" name="repeat-password" type="password" autocomplete="new-password" value=${repeat}
        onInput=${(e) => setRepeat(e.currentTarget.value)} aria-invalid=${repeatErr ? 'true' : undefined}
        aria-describedby=${repeatErr ? 'pw-repeat-err' : undefined} />
    <//>`;
}

function OtpField({ otp, setOtp, problem }) {
  const err = errorOf(problem, 'otp');
  return html`<${Field} label="Kode Autentikator" id="pw-otp" error=${err} hint="6 angka dari aplikasi autentikator, atau kode pemulihan">
    <input id="pw-otp" name="otp" inputmode="numeric" autocomplete="one-time-code" value=${otp}
      onInput=${(e) => setOtp(e.currentTarget.value)} aria-describedby=${err ? 'pw-otp-err' : undefined} />
  <//>`;
}

function FormError({ problem }) {
  return problem?.field === 'form' ? html`<p class="error" id="pw-error" role="alert">${problem.message}</p>` : null;
}

/** The state both forms share: the fields, the problem shown, the minimum length, busy. */
function usePasswordForm() {
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [otp, setOtp] = useState('');
  const [needOtp, setNeedOtp] = useState(false);
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  const [minLength, setMinLength] = useState(MIN_PASSWORD_LENGTH);
  const running = useRef(false); // set at once (state is set only at the next render): no double submit
  /** True and taken when no request runs; `done()` gives it back. */
  const start = () => {
    if (running.current) return false;
    running.current = true;
    setBusy(true);
    setProblem(null);
    return true;
  };
  const done = () => { running.current = false; setBusy(false); };
  /** Show a refusal of the server; keeps its minimum length and asks for the code when it must. */
  const refused = (err, where) => {
    const p = passwordChangeProblem(err, { where });
    if (p.minLength) setMinLength(p.minLength);
    if (p.needOtp) setNeedOtp(true);
    setProblem(p);
  };
  return { next, setNext, repeat, setRepeat, otp, setOtp, needOtp, problem, setProblem, busy, start, done, minLength, refused, running };
}

/**
 * The forced change at login. `onChanged(newPassword, loginError)` is told when the password is
 * changed but the login with it failed (a second factor whose code was spent on the change, say).
 */
export function ForcedChange({ username, current, onLoggedIn, onChanged, onBack }) {
  const f = usePasswordForm();
  const submit = async (ev) => {
    ev.preventDefault();
    if (f.running.current) return;
    const local = checkNewPassword(f.next, f.repeat, { current, minLength: f.minLength });
    if (local) { f.setProblem(local); return; }
    if (f.needOtp && !f.otp.trim()) { f.setProblem(OTP_MISSING); return; }
    if (!navigator.onLine) { f.setProblem({ field: 'form', code: 'offline', message: OFFLINE_MESSAGE }); return; }
    if (!f.start()) return;
    try {
      await changePassword(username, current, f.next, f.needOtp ? f.otp.trim() : null);
    } catch (err) {
      if (err?.status === 0) {
        // the connection dropped: if the change landed and only its answer was lost, the new password logs in
        try { await login(username, f.next); f.done(); onLoggedIn(); return; } catch { /* it did not land */ }
      }
      f.refused(err, 'login');
      f.done();
      return;
    }
    try {
      await login(username, f.next);
      f.done();
      onLoggedIn();
    } catch (err) {
      f.done();
      onChanged(f.next, err);
    }
  };
  return html`<section id="password-change" aria-labelledby="pw-title">
    <h2 id="pw-title">Ganti Password</h2>
    <p id="pw-why">Password akun <strong>${username}</strong> dibuat oleh admin koperasi. Sebelum masuk, pilih password Anda sendiri; password dari admin tidak berlaku lagi setelah ini.</p>
    <form class="form" onSubmit=${submit} novalidate>
      <${NewPasswordFields} ...${f} />
      ${f.needOtp ? html`<${OtpField} otp=${f.otp} setOtp=${f.setOtp} problem=${f.problem} />` : null}
      <${FormError} problem=${f.problem} />
      <button class="primary" type="submit" id="pw-save" disabled=${f.busy}>${f.busy ? 'Memproses…' : 'Simpan dan Masuk'}</button>
      <button type="button" class="linkish" id="pw-back" disabled=${f.busy} onClick=${onBack}>Kembali</button>
    </form>
  </section>`;
}

/** Ubah Password in Pengaturan. */
export function PasswordCard() {
  const mfa = useGet('/api/auth/mfa');
  const f = usePasswordForm();
  const [current, setCurrent] = useState('');
  const [done, setDone] = useState(null);
  const showOtp = f.needOtp || !!mfa.data?.enrolled;
  const submit = async (ev) => {
    ev.preventDefault();
    if (f.running.current) return;
    setDone(null);
    if (!current) { f.setProblem({ field: 'current', code: 'current_missing', message: 'Isi password saat ini.' }); return; }
    const local = checkNewPassword(f.next, f.repeat, { current, minLength: f.minLength });
    if (local) { f.setProblem(local); return; }
    if (showOtp && !f.otp.trim()) { f.setProblem(OTP_MISSING); return; }
    if (!navigator.onLine) { f.setProblem({ field: 'form', code: 'offline', message: OFFLINE_MESSAGE }); return; }
    if (!f.start()) return;
    try {
      const result = await changeOwnPassword(current, f.next, showOtp ? f.otp.trim() : null);
      setCurrent('');
      f.setNext('');
      f.setRepeat('');
      f.setOtp('');
      if (result.relogged) setDone('Password sudah diganti. Perangkat ini sudah masuk kembali dengan password baru; transaksi tertunda tetap dikirim.');
      else location.hash = '#/masuk';
    } catch (err) {
      f.refused(err, 'settings');
    } finally {
      f.done();
    }
  };
  const currentErr = errorOf(f.problem, 'current');
  return html`<section class="card" id="password"><h2>Ubah Password</h2>
    <p class="muted">Perlu koneksi internet. Setelah diganti, semua perangkat Anda yang lain harus masuk lagi dengan password baru.</p>
    <form class="form" onSubmit=${submit} novalidate>
      <${Field} label="Password Saat Ini" id="pw-current" error=${currentErr}>
        <input id="pw-current" name="current-password" type="password" autocomplete="current-password" value=${current}
          onInput=${(e) => setCurrent(e.currentTarget.value)} aria-invalid=${currentErr ? 'true' : undefined}
          aria-describedby=${currentErr ? 'pw-current-err' : undefined} />
      <//>
      <${NewPasswordFields} ...${f} />
      ${showOtp ? html`<${OtpField} otp=${f.otp} setOtp=${f.setOtp} problem=${f.problem} />` : null}
      <${FormError} problem=${f.problem} />
      ${done ? html`<p class="notice ok" role="status" id="pw-done">${done}</p>` : null}
      <button class="primary" type="submit" id="pw-save" disabled=${f.busy}>${f.busy ? 'Memproses…' : 'Ubah Password'}</button>
    </form>
  </section>`;
}
