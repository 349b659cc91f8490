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
import { Help, ReportForm } from './screens/report.js';
import { keepPushAlive, onWorkerMessage } from './push-client.js';
import { BoardStructure } from './screens/board-structure.js';
import { AuditLog } from './screens/audit.js';
import { AdminMembers, MemberImport } from './screens/admin-members.js';
import { AdminCoop, AdminBoard } from './screens/admin-coop.js';
import { AdminUsers } from './screens/admin-users.js';
import { AdminHealth, AdminReports, AdminProducts, AdminPayroll } from './screens/admin-ops.js';
import { Scan } from './screens/scan.js';
import { MemberCard } from './screens/member-card.js';
import { onNewerVersion } from './sync/db.js';

const HOME = { anggota: '#/', petugas: '#/petugas', pengurus: '#/persetujuan', admin: '#/persetujuan' };

function App() {
  useApp();
  const { path } = useRoute();
  if (!app.ready) return html`<p class="boot">Memuat Lumbung…</p>`;
  const role = app.profile?.user?.role;
  if (!app.profile || path[0] === 'masuk') return html`<${Login} />`;
  const [a, b] = path;
  if (app.profile.mfaEnrolmentRequired && a !== 'pengaturan') { location.hash = '#/pengaturan'; return null; }
  if (role === 'anggota') {
    if (!a) return html`<${Dashboard} />`;
    if (a === 'kartu') return html`<${SavingsCard} />`;
    if (a === 'setoran') return b === 'baru' ? html`<${DepositForm} />` : html`<${Deposits} focus=${b} />`;
    if (a === 'penarikan') return b === 'baru' ? html`<${WithdrawalForm} />` : html`<${Withdrawals} focus=${b} />`;
    if (a === 'potongan') return html`<${DeductionChanges} />`; // a notice's url (PROTOCOL §19)
    if (a === 'riwayat') return html`<${Dashboard} />`;
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
    if (a === 'audit') return html`<${AuditLog} />`;
  }
  if (role === 'admin' && a === 'admin') {
    if (b === 'anggota') return html`<${AdminMembers} />`;
    if (b === 'impor') return html`<${MemberImport} />`;
    if (b === 'pengguna') return html`<${AdminUsers} />`;
    if (b === 'koperasi') return html`<${AdminCoop} />`;
    if (b === 'pengurus') return html`<${AdminBoard} />`;
    if (b === 'kesehatan') return html`<${AdminHealth} />`;
    if (b === 'laporan') return html`<${AdminReports} />`;
    if (b === 'produk') return html`<${AdminProducts} />`;
    if (b === 'potong-gaji') return html`<${AdminPayroll} />`;
  }
  if (a === 'struktur') return html`<${BoardStructure} />`;
  if (a === 'pengaturan') return html`<${Settings} />`;
  if (a === 'bantuan') return b === 'laporkan' ? html`<${ReportForm} />` : html`<${Help} />`;
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
  navigator.serviceWorker.addEventListener('message', onWorkerMessage);
  setInterval(() => reg.update().catch(() => {}), 60 * 60 * 1000);
}

// Another tab runs a newer version that needs a newer database schema: this tab closed its database
// (db.js) and stops syncing; the user reloads into the new version. The outbox stays in IndexedDB.
onNewerVersion(() => {
  app.syncer?.stop();
  offerReload();
});

/** "Versi baru tersedia" for a newer database: take a waiting service worker first (its shell opens
 * the new schema; the old cached one would fail with a VersionError), else reload. */
function offerReload() {
  app.updateAvailable = true;
  app.applyUpdate = async () => {
    const reg = await navigator.serviceWorker?.getRegistration();
    if (reg?.waiting) reg.waiting.postMessage({ type: 'skip-waiting' }); // controllerchange reloads
    else location.reload();
  };
  changed();
}

window.addEventListener('beforeinstallprompt', (ev) => { ev.preventDefault(); app.installPrompt = ev; changed(); });
window.addEventListener('appinstalled', () => { app.installPrompt = null; changed(); });
app.onView = keepPushAlive;
render(html`<${App} />`, document.getElementById('app'));
registerWorker().catch((err) => console.warn('service worker', err));
boot().catch((err) => {
  console.error(err);
  if (err?.name === 'VersionError') offerReload(); // this shell is older than the database another tab made
  app.ready = true;
  changed();
});
