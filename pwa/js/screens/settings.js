/**
 * Pengaturan: install the app and Web Push (screens/notifications.js: install first, permission only
 * after an explaining click, the kinds of notice), Ubah Password (screens/password.js), the second
 * factor, then the device's sync state.
 */
import { html } from '../html.js';
import { app } from '../app-state.js';
import { Page } from '../ui/components.js';
import { waktu } from '../ui/format.js';
import { InstallCard, NotificationCard } from './notifications.js';
import { MfaCard } from './mfa.js';
import { PasswordCard } from './password.js';

export function Settings() {
  const s = app.sync ?? {};
  return html`<${Page} title="Pengaturan" current="#/pengaturan">
    <${InstallCard} />
    <${NotificationCard} />
    <${PasswordCard} />
    <${MfaCard} />
    <section class="card"><h2>Sinkronisasi</h2><dl class="facts">
      <dt>Sinkron terakhir</dt><dd>${s.lastSync ? waktu(s.lastSync) : '–'}</dd>
      <dt>Kesalahan terakhir</dt><dd>${s.lastError?.message ?? '–'}</dd>
      <dt>Penyimpanan permanen</dt><dd>${s.persisted ? 'Ya' : 'Tidak/belum'}</dd>
      <dt>ID perangkat</dt><dd>${app.profile.clientId}</dd></dl>
      <button type="button" onClick=${() => app.syncer.flush()}>Sinkronkan Sekarang</button></section>
  <//>`;
}
