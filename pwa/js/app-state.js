/**
 * The app's one shared state: the signed-in profile, its sync loop and its optimistic view.
 * Screens read it through `useApp()` and re-render whenever a pull, a queueing (in any tab) or a
 * sync-state change recomputes the view.
 */
import { useEffect, useState } from './html.js';
import {
  changePassword, currentProfile, login as apiLogin, logout as apiLogout, saveProfile, sendPendingLogouts,
} from './sync/profiles.js';
import { profileDb } from './sync/db.js';
import { Syncer } from './sync/engine.js';
import { buildView } from './sync/view.js';
import { prefetchDecoder } from './ui/qr-decoder.js';

export const app = {
  profile: null, syncer: null, view: null, sync: {}, ready: false, updateAvailable: false, loginReason: null, onView: null,
};
const subscribers = new Set();
let version = 0;

export function changed() {
  version += 1;
  for (const fn of subscribers) fn(version);
}

/** Re-render the calling component on every change of the app state. */
export function useApp() {
  const [, setV] = useState(version);
  useEffect(() => {
    subscribers.add(setV);
    return () => subscribers.delete(setV);
  }, []);
  return app;
}

let viewTimer = null;
let building = false;
let dirty = false;
/**
 * Recompute the view soon. Calls coalesce: at most one build runs at a time and one more follows it
 * if anything changed meanwhile, so a long sync round does not rebuild the view per batch.
 */
export function refreshView() {
  if (building) { dirty = true; return; }
  clearTimeout(viewTimer);
  viewTimer = setTimeout(async () => {
    if (!app.profile) return;
    building = true;
    dirty = false;
    try {
      app.view = await buildView(await profileDb(app.profile.clientId));
      changed();
      app.onView?.(app.view); // main.js: Web Push upkeep
    } finally {
      building = false;
      if (dirty) refreshView();
    }
  }, 30);
}

async function startProfile(profile) {
  app.syncer?.stop();
  app.profile = profile;
  app.loginReason = null;
  app.view = await buildView(await profileDb(profile.clientId));
  // A syncer that was replaced (a new login, a password change) no longer speaks for the app.
  const syncer = new Syncer(profile, {
    // While a round runs only the header changes; the view is rebuilt once the round is over.
    onChange: (state) => {
      if (app.syncer !== syncer) return;
      app.sync = { ...state };
      if (state.syncing) changed(); else refreshView();
    },
    onLoginNeeded: (err) => {
      if (app.syncer !== syncer) return;
      app.loginReason = err?.message ?? 'Sesi berakhir. Silakan masuk kembali.';
      changed();
    },
  });
  app.syncer = syncer;
  app.sync = { ...app.syncer.state };
  await app.syncer.start();
  changed();
  // Officers, the board and admins scan offline at work sites: keep the QR decoder on the device.
  prefetchDecoder(profile.user.role).catch(() => {});
}

export async function boot() {
  const endOfflineLogouts = () => { sendPendingLogouts().catch(() => {}); };
  globalThis.addEventListener?.('online', endOfflineLogouts);
  endOfflineLogouts();
  const profile = await currentProfile();
  if (profile?.user) await startProfile(profile);
  app.ready = true;
  changed();
}

export async function login(username, password, otp = null) {
  const profile = await apiLogin(username, password, otp);
  await startProfile(profile);
}

/**
 * The signed-in user changes their own password (Pengaturan). The server ends every session of the
 * user, this device's too, so: the change runs under this profile's sync lock (no round of this tab
 * is in flight with the tokens it ends), this tab's sync loop stops once it succeeded, and the same
 * user logs in again with the new password on the same client id. Nothing of a logout runs: the
 * outbox, replica and cursor stay as they are and the queue is sent by the new session.
 * A refused change throws (the ApiError) and the sync loop goes on. Resolves {relogged: true}, or
 * {relogged: false, error} when the new login failed: the profile is then left without tokens
 * (outbox kept) and the login screen is asked for, with `app.loginReason` saying why.
 */
export async function changeOwnPassword(currentPassword, newPassword, otp = null) {
  const syncer = app.syncer;
  const username = syncer.session.profile.username;
  const change = async () => {
    await changePassword(username, currentPassword, newPassword, otp);
    syncer.stop();
  };
  try {
    await syncer.exclusive(change);
  } catch (err) {
    if (err?.status !== 0) throw err;
    // The connection dropped: the change may have landed with its answer lost (then this device's
    // session has ended). A login with the new password tells; if it fails, the change did not land.
    try {
      await login(username, newPassword);
      return { relogged: true };
    } catch {
      throw err;
    }
  }
  try {
    await login(username, newPassword);
    return { relogged: true };
  } catch (error) {
    const ended = { ...syncer.session.profile, accessToken: null, refreshToken: null, loggedIn: false };
    syncer.session.profile = await saveProfile(ended);
    app.profile = ended;
    const code = typeof error?.code === 'string' ? error.code : '';
    app.loginReason = code === 'offline'
      ? 'Password sudah diganti, tetapi koneksi terputus sebelum perangkat masuk kembali. Masuk dengan password baru; transaksi tertunda tetap tersimpan.'
      : code.startsWith('mfa_')
        ? 'Password sudah diganti. Masuk kembali dengan password baru dan kode verifikasi berikutnya; transaksi tertunda tetap tersimpan.'
        : 'Password sudah diganti. Masuk kembali dengan password baru; transaksi tertunda tetap tersimpan.';
    changed();
    return { relogged: false, error };
  }
}

export async function logout() {
  const profile = app.syncer?.session.profile ?? app.profile;
  app.syncer?.stop();
  app.syncer = null;
  if (profile) await apiLogout(profile);
  app.profile = null;
  app.view = null;
  changed();
}

/** Queue a validated mutation; resolves once it is durably in IndexedDB ("tersimpan"). */
export async function queue(op, attachment = null) {
  const item = await app.syncer.queue(op, attachment);
  refreshView();
  return item;
}

/** Hide a rejected item the user has read (it stays in the outbox's record until pruned). */
export async function dismiss(uuid) {
  await app.syncer.dismiss(uuid);
  refreshView();
}

export function user() {
  return app.profile?.user ?? null;
}
