/** Masuk: online once per user and device; afterwards the app opens offline with the last data. */
import { html, useState } from '../html.js';
import { login } from '../app-state.js';
import { Field } from '../ui/components.js';

export function Login() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (ev) => {
    ev.preventDefault();
    if (!username.trim() || !password) { setError('Isi nama pengguna dan password.'); return; }
    setBusy(true);
    setError(null);
    try {
      await login(username.trim(), password);
      location.hash = '#/';
    } catch (err) {
      setError(err.message ?? 'Gagal masuk.');
    } finally {
      setBusy(false);
    }
  };
  return html`<main id="main" class="login">
    <img class="logo" src="/icons/icon-192.png" alt="" width="72" height="72" />
    <h1>Masuk</h1>
    <p class="lead">Koperasi Karyawan — simpanan dan pinjaman, juga saat offline.</p>
    <form class="form" onSubmit=${submit} novalidate>
      <${Field} label="Nama pengguna" id="username">
        <input id="username" name="username" autocomplete="username" value=${username} onInput=${(e) => setUsername(e.currentTarget.value)} />
      <//>
      <${Field} label="Password" id="password" error=${error}>
        <input id="password" name="password" type="password" autocomplete="current-password" value=${password}
          onInput=${(e) => setPassword(e.currentTarget.value)} aria-describedby=${error ? 'password-err' : undefined} />
      <//>
      <button class="primary" type="submit" disabled=${busy}>${busy ? 'Memproses…' : 'Masuk'}</button>
    </form>
  </main>`;
}
