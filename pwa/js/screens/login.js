/**
 * Masuk: online once per user and device; afterwards the app opens offline with the last data.
 * Shows the cooperative's name and logo (GET /branding, before any login) and, when the server
 * answers `mfa_required`, asks for the authenticator code (or a recovery code) and logs in again.
 * When it answers `password_change_required` (the admin set the password), the Ganti Password step
 * (screens/password.js) comes first. A session that ended (app.loginReason) says why, with the
 * profile's username filled in.
 */
import { html, useEffect, useState } from '../html.js';
import { app, login } from '../app-state.js';
import { request } from '../sync/api.js';
import { Field } from '../ui/components.js';
import { ForcedChange } from './password.js';

export function useBranding() {
  const [b, setB] = useState(null);
  useEffect(() => { request('GET', '/branding').then(setB).catch(() => setB(null)); }, []);
  return b;
}

export function Login() {
  const [username, setUsername] = useState(app.loginReason ? app.profile?.username ?? '' : '');
  const [password, setPassword] = useState('');
  const [otp, setOtp] = useState('');
  const [needOtp, setNeedOtp] = useState(false);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [changing, setChanging] = useState(false);
  const [notice, setNotice] = useState(app.loginReason);
  const brand = useBranding();
  const submit = async (ev) => {
    ev.preventDefault();
    if (!username.trim() || !password) { setError('Isi nama pengguna dan password.'); return; }
    if (needOtp && !otp.trim()) { setError('Isi kode dari aplikasi autentikator atau kode pemulihan.'); return; }
    setBusy(true);
    setError(null);
    try {
      await login(username.trim(), password, needOtp ? otp.trim() : null);
      location.hash = '#/';
    } catch (err) {
      if (err.code === 'mfa_required') { setNeedOtp(true); setError(null); }
      else if (err.code === 'password_change_required') { setChanging(true); setError(null); setNotice(null); }
      else setError(err.message ?? 'Gagal masuk.');
    } finally {
      setBusy(false);
    }
  };
  const logo = brand?.logo_sha256 ? `/branding/logo?v=${brand.logo_sha256.slice(0, 12)}` : '/icons/icon-192.png';
  const errId = needOtp ? 'otp' : 'password';
  const head = html`<img class="logo" src=${logo} alt="" width="72" height="72" />
    <h1>Masuk</h1>
    <p class="lead" id="coop-name">${brand?.name ?? 'Koperasi Karyawan'} — simpanan dan pinjaman, juga saat offline.</p>`;
  if (changing) {
    // The password is changed: back to Masuk with the new one, e.g. for the next authenticator code.
    const changed = (newPassword, err) => {
      setChanging(false);
      setPassword(newPassword);
      const otpNeeded = typeof err?.code === 'string' && err.code.startsWith('mfa_');
      setNeedOtp(otpNeeded);
      setOtp('');
      setNotice(otpNeeded
        ? 'Password baru sudah disimpan. Untuk masuk, isi kode verifikasi berikutnya (tunggu sampai kode di aplikasi berganti).'
        : `Password baru sudah disimpan, tetapi belum bisa masuk: ${err?.message ?? 'coba lagi.'}`);
    };
    const back = () => { setChanging(false); setPassword(''); };
    return html`<main id="main" class="login">${head}
      <${ForcedChange} username=${username.trim()} current=${password} onLoggedIn=${() => { location.hash = '#/'; }}
        onChanged=${changed} onBack=${back} />
    </main>`;
  }
  return html`<main id="main" class="login">
    ${head}
    ${notice ? html`<p class="notice" role="status" id="login-notice">${notice}</p>` : null}
    <form class="form" onSubmit=${submit} novalidate>
      <${Field} label="Nama pengguna" id="username">
        <input id="username" name="username" autocomplete="username" value=${username} onInput=${(e) => setUsername(e.currentTarget.value)} />
      <//>
      <${Field} label="Password" id="password" error=${errId === 'password' ? error : null}>
        <input id="password" name="password" type="password" autocomplete="current-password" value=${password}
          onInput=${(e) => setPassword(e.currentTarget.value)} aria-describedby=${error && errId === 'password' ? 'password-err' : undefined} />
      <//>
      ${needOtp ? html`<${Field} label="Kode verifikasi" id="otp" error=${error} hint="6 angka dari aplikasi autentikator, atau kode pemulihan">
        <input id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" value=${otp}
          onInput=${(e) => setOtp(e.currentTarget.value)} aria-describedby=${error ? 'otp-err' : undefined} /><//>` : null}
      <button class="primary" type="submit" disabled=${busy}>${busy ? 'Memproses…' : needOtp ? 'Verifikasi' : 'Masuk'}</button>
    </form>
  </main>`;
}
