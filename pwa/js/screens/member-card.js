/**
 * Kartu Anggota: the member's signed card QR (GET /api/qr/member-card, kept in the profile's
 * IndexedDB so it shows offline), and a Setoran request as a QR for the officer to scan: signed by the
 * server when online, unsigned when offline (it only prefills the officer's form; the officer counts
 * the cash).
 */
import { html, useEffect, useState } from '../html.js';
import { app } from '../app-state.js';
import { Page, Field, AmountInput } from '../ui/components.js';
import { rupiah } from '../ui/format.js';
import { QrImage } from '../ui/documents.js';
import { profileDb } from '../sync/db.js';
import { parseAmount, formatRupiah } from '../domain/money.js';
import { unsignedSetoran } from '../domain/qr.js';
import { LIMITS } from './deposit-form.js';

const CARD_KEY = 'qr-member-card';

export function MemberCard() {
  const u = app.profile.user;
  const member = (app.view?.member ?? []).find((m) => m.id === u.member_id);
  const [card, setCard] = useState(null);
  const [cardError, setCardError] = useState(null);
  const [v, setV] = useState({ savings_type: 'sukarela', amount: '' });
  const [request, setRequest] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let live = true;
    (async () => {
      const db = await profileDb(app.profile.clientId);
      const cached = await db.get('meta', CARD_KEY);
      if (cached && live) setCard(cached);
      if (!navigator.onLine) { if (!cached && live) setCardError('Kartu anggota belum tersimpan di perangkat. Buka layar ini sekali saat online.'); return; }
      try {
        const answer = await app.syncer.session.call('GET', '/api/qr/member-card', { query: { member_id: u.member_id } });
        const fresh = { payload: answer.payload, fetched_at: new Date().toISOString() };
        await db.put('meta', fresh, CARD_KEY);
        if (live) { setCard(fresh); setCardError(null); }
      } catch (err) {
        if (!cached && live) setCardError(err.message);
      }
    })();
    return () => { live = false; };
  }, [u.member_id]);

  const makeRequest = async (ev) => {
    ev.preventDefault();
    const a = parseAmount(v.amount);
    if (!a.ok) { setError(a.message); return; }
    if (a.value < LIMITS.deposit[0] || a.value > LIMITS.deposit[1]) { setError(`Jumlah setoran harus antara ${formatRupiah(LIMITS.deposit[0])} dan ${formatRupiah(LIMITS.deposit[1])}.`); return; }
    setError(null);
    let payload = null;
    let signed = false;
    if (navigator.onLine) {
      try {
        payload = (await app.syncer.session.call('POST', '/api/qr/setoran', { body: { savings_type: v.savings_type, amount: a.value, member_id: u.member_id } })).payload;
        signed = true;
      } catch (err) {
        if (err.status && err.status !== 0) { setError(err.message); return; }
      }
    }
    if (!payload) payload = unsignedSetoran({ m: u.member_id, n: member?.number ?? '', s: v.savings_type, a: a.value, r: crypto.randomUUID() });
    setRequest({ payload, signed, amount: a.value, type: v.savings_type });
  };
  const typeName = (code) => (app.view?.savings_type ?? []).find((t) => t.code === code)?.name ?? code;

  return html`<${Page} title="Kartu Anggota" current="#/kartu-anggota">
    <section class="card" id="member-card">
      <h2>${member?.name ?? u.name}</h2>
      <p class="lead">No. Anggota ${member?.number ?? ''}</p>
      ${card ? html`<${QrImage} text=${card.payload} id="card-qr" label=${`Kode QR kartu anggota ${member?.number ?? ''}`} />
        <p class="muted">Tunjukkan kode ini kepada petugas untuk setoran tunai.</p>`
        : html`<p class=${cardError ? 'error' : 'muted'} id="card-state" role=${cardError ? 'alert' : undefined}>${cardError ?? 'Memuat kartu…'}</p>`}
    </section>
    <section class="card">
      <h2>Setoran lewat QR</h2>
      <form class="form" id="setoran-qr-form" onSubmit=${makeRequest} novalidate>
        <${Field} label="Jenis Simpanan" id="req-type"><select id="req-type" value=${v.savings_type} onChange=${(e) => setV({ ...v, savings_type: e.currentTarget.value })}>
          ${(app.view?.savings_type ?? []).map((t) => html`<option value=${t.code}>${t.name}</option>`)}</select><//>
        <${Field} label="Jumlah Setoran" id="req-amount" error=${error}><${AmountInput} id="req-amount" value=${v.amount} onInput=${(t) => setV((o) => ({ ...o, amount: t }))} describedby=${error ? 'req-amount-err' : undefined} /><//>
        <button class="primary" type="submit" id="make-request">Tampilkan QR Setoran</button>
      </form>
      ${request ? html`<div id="request-qr"><${QrImage} text=${request.payload} label=${`QR setoran ${typeName(request.type)} ${rupiah(request.amount)}`} />
        <p>${typeName(request.type)} · <strong>${rupiah(request.amount)}</strong></p>
        <p class="muted">${request.signed ? 'Ditandatangani server.' : 'Dibuat tanpa sinyal: petugas tetap menghitung uang tunai.'} Petugas memindai kode ini untuk mengisi formulir setoran.</p></div>` : null}
    </section>
  <//>`;
}
