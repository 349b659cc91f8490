/**
 * Verifikasi Dua Langkah (TOTP) in Pengaturan: enrol (the server's QR SVG shown as an <img> from a
 * blob URL, never as markup in the page), confirm with a code, then the recovery codes shown once.
 */
import { html, useEffect, useState } from '../html.js';
import { app, changed } from '../app-state.js';
import { saveProfile } from '../sync/profiles.js';
import { Field } from '../ui/components.js';
import { call, useGet } from '../ui/online.js';

/** An object URL for an SVG text, revoked when the component goes away. */
function useSvgUrl(svg) {
  const [url, setUrl] = useState(null);
  useEffect(() => {
    if (!svg) { setUrl(null); return undefined; }
    const u = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [svg]);
  return url;
}

export function MfaCard() {
  const status = useGet('/api/auth/mfa');
  const [enrol, setEnrol] = useState(null);
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState(null);
  const [error, setError] = useState(null);
  const qr = useSvgUrl(enrol?.qr_svg);
  const start = async () => {
    setError(null);
    try { setEnrol(await call('POST', '/api/auth/mfa/enrol')); } catch (err) { setError(err.message); }
  };
  const confirm = async (ev) => {
    ev.preventDefault();
    setError(null);
    try {
      const r = await call('POST', '/api/auth/mfa/confirm', { body: { code: code.trim() } });
      setCodes(r.recovery_codes);
      setEnrol(null);
      status.reload();
      if (app.profile.mfaEnrolmentRequired) { // the server lets this session through now: so does the app
        app.syncer.session.profile = await saveProfile({ ...app.syncer.session.profile, mfaEnrolmentRequired: false });
        app.profile = { ...app.profile, mfaEnrolmentRequired: false };
        app.syncer.flush();
        changed();
      }
    } catch (err) { setError(err.message); }
  };
  const s = status.data;
  return html`<section class="card" id="mfa"><h2>Verifikasi Dua Langkah</h2>
    ${app.profile?.mfaEnrolmentRequired ? html`<p class="banner warn" role="alert" id="mfa-enforced">Peran Anda wajib memakai verifikasi dua langkah. Aktifkan dulu sebelum memakai menu lain.</p>` : null}
    ${status.error ? html`<p class="muted">${status.error}</p>` : null}
    ${s ? html`<p id="mfa-state">${s.enrolled ? `Aktif. Sisa kode pemulihan: ${s.recovery_codes_left}.` : s.required ? 'Wajib untuk peran Anda: aktifkan sekarang.' : 'Belum aktif.'}</p>` : null}
    ${codes ? html`<div class="notice ok" role="status" id="recovery-codes"><p><strong>Simpan kode pemulihan ini sekarang.</strong> Kode hanya ditampilkan sekali; setiap kode berlaku satu kali bila ponsel hilang.</p>
      <ol class="codes">${codes.map((c) => html`<li><code>${c}</code></li>`)}</ol></div>` : null}
    ${s && !s.enrolled && !enrol ? html`<button type="button" id="mfa-start" onClick=${start}>Aktifkan Verifikasi Dua Langkah</button>` : null}
    ${enrol ? html`<div id="mfa-enrol"><p>Pindai kode QR ini dengan aplikasi autentikator (Google Authenticator, Aegis, FreeOTP), lalu masukkan kode 6 angka.</p>
      ${qr ? html`<img id="mfa-qr" class="qr" src=${qr} alt="Kode QR untuk aplikasi autentikator" width="200" height="200" />` : null}
      <p class="muted">Atau ketik kunci ini: <code id="mfa-secret">${enrol.secret}</code></p>
      <form class="form" onSubmit=${confirm} novalidate><${Field} label="Kode 6 angka" id="mfa-code" error=${error}>
        <input id="mfa-code" inputmode="numeric" autocomplete="one-time-code" value=${code} onInput=${(e) => setCode(e.currentTarget.value)} aria-describedby=${error ? 'mfa-code-err' : undefined} /><//>
        <button class="primary" type="submit" id="mfa-confirm">Konfirmasi</button></form></div>` : error ? html`<p class="error" role="alert">${error}</p>` : null}
  </section>`;
}
