/**
 * Masuk: online once per user and device; afterwards the app opens offline with the last data.
 * Shows the cooperative's name and logo (GET /branding, before any login) and, when the server
 * answers `mfa_required`, asks for the authenticator code (or a recovery code) and logs in again.
 */
import { html, useEffect, useState } from '../html.js';
import { login } from '../app-state.js';
import { request } from '../sync/api.js';
import { Field } from '../ui/components.js';

export function useBranding() {
  const [b, setB] = useState(null);
  useEffect(() => { request('GET', '/branding').then(setB).catch(() => setB(null)); }, []);
  return b;
}

export function Login() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [otp, setOtp] = useState('');
  const [needOtp, setNeedOtp] = useState(false);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
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
      else setError(err.message ?? 'Gagal masuk.');
    } finally {
      setBusy(false);
    }
  };
  const logo = brand?.logo_sha256 ? `/branding/logo?v=${brand.logo_sha256.slice(0, 12)}` : '/icons/icon-192.png';
  const errId = needOtp ? 'otp' : 'password';
  return html`<main id="main" class="login">
    <img class="logo" src=${logo} alt="" width="72" height="72" />
    <h1>Masuk</h1>
    <p class="lead" id="coop-name">${brand?.name ?? 'Koperasi Karyawan'} — simpanan dan pinjaman, juga saat offline.</p>
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
