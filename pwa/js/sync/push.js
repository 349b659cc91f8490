/**
 * Web Push on this device (PROTOCOL §19): subscribe with the server's VAPID key and register the
 * subscription for this session's device, unsubscribe, and keep it alive: after a key rotation the
 * feed's `push_subscription` row turns `resubscribe`, and a `pushsubscriptionchange` the service
 * worker handled while no page was open leaves the new subscription in a cache for the next start.
 *
 * `pushManager.subscribe` can hang forever (a push service that never answers), so it is always
 * raced against a timeout; errors are Indonesian sentences the screen can show as they are.
 */

const SUBSCRIBE_TIMEOUT_MS = 10_000;
export const PENDING_CACHE = 'lumbung-pending';
export const PENDING_KEY = '/pending-subscription';

export function b64ToBytes(b64) {
  const s = atob(b64.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

function bytesToB64(buffer) {
  const bytes = new Uint8Array(buffer);
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** What this browser can do: 'ok', or why not (shown to the user). */
export function pushSupport() {
  if (!('serviceWorker' in navigator) || typeof PushManager === 'undefined' || typeof Notification === 'undefined') {
    return 'Browser ini tidak mendukung notifikasi push. Pada iPhone/iPad, pasang aplikasi ke Layar Utama terlebih dahulu (iOS 16.4 atau lebih baru).';
  }
  return 'ok';
}

/** True when the app runs installed (home screen), where iOS allows push at all. */
export function isInstalled() {
  return window.matchMedia?.('(display-mode: standalone)').matches || navigator.standalone === true;
}

export function isIos() {
  return /iPad|iPhone|iPod/.test(navigator.userAgent) || (navigator.platform === 'MacIntel' && navigator.maxTouchPoints > 1);
}

function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** This device's current browser subscription, or null. */
export async function currentSubscription() {
  if (pushSupport() !== 'ok') return null;
  const reg = await navigator.serviceWorker.ready;
  return reg.pushManager.getSubscription();
}

/** Register a browser subscription at the server for this session's device. */
export async function registerSubscription(session, clientId, subscription, publicKey = null) {
  const json = typeof subscription.toJSON === 'function' ? subscription.toJSON() : subscription;
  const body = { endpoint: json.endpoint, expirationTime: json.expirationTime ?? null, keys: json.keys, client_id: clientId };
  if (publicKey) body.vapid_public_key = publicKey;
  return session.call('POST', '/api/push/subscriptions', { body });
}

/**
 * Subscribe with the server's current key and register it. An existing subscription made with
 * another key (after a rotation) is dropped first: the browser refuses a second key otherwise.
 */
export async function subscribePush(session, clientId) {
  const reg = await navigator.serviceWorker.ready;
  const key = await session.call('GET', '/api/push/vapid-public-key');
  if (key?.enabled === false) throw new Error('Notifikasi push tidak diaktifkan di server ini.');
  const existing = await reg.pushManager.getSubscription();
  if (existing) {
    const old = existing.options?.applicationServerKey;
    if (old && bytesToB64(old) !== key.public_key) await existing.unsubscribe().catch(() => {});
  }
  let sub;
  try {
    sub = await withTimeout(
      reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64ToBytes(key.public_key) }),
      SUBSCRIBE_TIMEOUT_MS, 'Layanan notifikasi browser tidak menjawab. Coba lagi nanti.');
  } catch (err) {
    if (err?.name === 'NotAllowedError') throw new Error('Izin notifikasi ditolak oleh browser.');
    if (err?.name === 'AbortError') throw new Error('Browser tidak dapat mendaftar ke layanan notifikasi. Coba lagi nanti.');
    throw err;
  }
  return registerSubscription(session, clientId, sub, key.public_key);
}

/** Stop notices on this device: the server forgets the subscription, the browser drops it. */
export async function unsubscribePush(session, serverRows) {
  const sub = await currentSubscription();
  for (const row of serverRows ?? []) {
    if (row.status !== 'removed') await session.call('DELETE', `/api/push/subscriptions/${row.id}`);
  }
  await sub?.unsubscribe().catch(() => {});
}

/** A subscription the service worker renewed while no page was open: register it now. */
export async function postPendingSubscription(session, clientId) {
  if (typeof caches === 'undefined') return false;
  const cache = await caches.open(PENDING_CACHE);
  const hit = await cache.match(PENDING_KEY);
  if (!hit) return false;
  await registerSubscription(session, clientId, await hit.json());
  await cache.delete(PENDING_KEY);
  return true;
}

/**
 * After a pull: if the feed says this device's subscription must be renewed (key rotation) and the
 * user had allowed notices, subscribe again. Never asks for permission itself.
 */
export async function resubscribeIfNeeded(session, clientId, rows) {
  const mine = (rows ?? []).filter((r) => r.client_id === clientId);
  if (!mine.some((r) => r.status === 'resubscribe') || mine.some((r) => r.status === 'active')) return false;
  if (pushSupport() !== 'ok' || Notification.permission !== 'granted') return false;
  await subscribePush(session, clientId);
  return true;
}
