/**
 * Entry point: register the service worker (updates wait for the user: "Versi baru tersedia" →
 * click → skip-waiting → reload; the outbox lives in IndexedDB and survives every update), boot the
 * signed-in profile and route by hash.
 */
import { html, render } from './html.js';
import { app, boot, changed, useApp } from './app-state.js';
import { useRoute } from './router.js';
import { Login } from './screens/login.js';
import { Dashboard, SavingsCard } from './screens/dashboard.js';
import { Deposits, Withdrawals } from './screens/deposits.js';
import { DepositForm, WithdrawalForm } from './screens/deposit-form.js';
import { DeductionChanges } from './screens/deduction.js';
import { Loans, LoanDetail, LoanWizard } from './screens/loans.js';
import { CashDeposit, Verification, CashInHand, Disbursement } from './screens/officer.js';
import { Approvals } from './screens/board.js';
import { Settings } from './screens/settings.js';
import { Slip } from './screens/slip.js';
import { Scan } from './screens/scan.js';
import { MemberCard } from './screens/member-card.js';

const HOME = { anggota: '#/', petugas: '#/petugas', pengurus: '#/persetujuan', admin: '#/persetujuan' };

function App() {
  useApp();
  const { path } = useRoute();
  if (!app.ready) return html`<p class="boot">Memuat Lumbung…</p>`;
  const role = app.profile?.user?.role;
  if (!app.profile || path[0] === 'masuk') return html`<${Login} />`;
  const [a, b] = path;
  if (role === 'anggota') {
    if (!a) return html`<${Dashboard} />`;
    if (a === 'kartu') return html`<${SavingsCard} />`;
    if (a === 'setoran') return b === 'baru' ? html`<${DepositForm} />` : html`<${Deposits} />`;
    if (a === 'penarikan') return b === 'baru' ? html`<${WithdrawalForm} />` : html`<${Withdrawals} />`;
    if (a === 'perubahan-setoran') return html`<${DeductionChanges} adding=${b === 'baru'} />`;
    if (a === 'pinjaman') return b === 'baru' ? html`<${LoanWizard} />` : b ? html`<${LoanDetail} id=${b} />` : html`<${Loans} />`;
    if (a === 'slip') return html`<${Slip} id=${b} />`;
    if (a === 'kartu-anggota') return html`<${MemberCard} />`;
  }
  if (role === 'petugas') {
    if (!a || a === 'petugas') return html`<${CashDeposit} />`;
    if (a === 'verifikasi') return html`<${Verification} />`;
    if (a === 'kas') return html`<${CashInHand} />`;
    if (a === 'pencairan') return html`<${Disbursement} />`;
  }
  if (role === 'pengurus' || role === 'admin') {
    if (!a || a === 'persetujuan') return html`<${Approvals} />`;
  }
  if (a === 'pengaturan') return html`<${Settings} />`;
  if (a === 'pindai') return html`<${Scan} />`;
  location.hash = HOME[role] ?? '#/';
  return null;
}

async function registerWorker() {
  if (!('serviceWorker' in navigator)) return;
  const reg = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  const offer = (worker) => {
    app.updateAvailable = true;
    app.applyUpdate = () => worker.postMessage({ type: 'skip-waiting' });
    changed();
  };
  if (reg.waiting && navigator.serviceWorker.controller) offer(reg.waiting);
  reg.addEventListener('updatefound', () => {
    const worker = reg.installing;
    worker?.addEventListener('statechange', () => {
      if (worker.state === 'installed' && navigator.serviceWorker.controller) offer(worker);
    });
  });
  let reloading = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (app.updateAvailable && !reloading) { reloading = true; location.reload(); }
  });
  navigator.serviceWorker.addEventListener('message', (ev) => {
    if (ev.data?.type === 'navigate' && typeof ev.data.url === 'string') location.hash = new URL(ev.data.url, location.origin).hash;
    if (ev.data?.type === 'notified') window.__lumbungNotified = (window.__lumbungNotified ?? 0) + 1;
    if (ev.data?.type === 'resubscribe' && ev.data.subscription && app.syncer) {
      app.syncer.session.call('POST', '/api/push/subscriptions', { body: { ...ev.data.subscription, client_id: app.profile.clientId } }).catch(() => {});
    }
  });
  setInterval(() => reg.update().catch(() => {}), 60 * 60 * 1000);
}

window.addEventListener('beforeinstallprompt', (ev) => { ev.preventDefault(); app.installPrompt = ev; });
render(html`<${App} />`, document.getElementById('app'));
registerWorker().catch((err) => console.warn('service worker', err));
boot().catch((err) => { console.error(err); app.ready = true; changed(); });
