/*
 * Lumbung service worker: a short event dispatcher.
 * - install: precache the app shell into one versioned cache (does NOT skip waiting: an update
 *   waits until the page asks, after the user clicked "Muat ulang" on "Versi baru tersedia").
 * - activate: delete every older shell cache and decoder cache, then take control of open pages.
 * - fetch: only same-origin GETs outside /api; the shell comes from the cache (offline first),
 *   any navigation gets index.html. The API is never cached here: the app's data lives in IndexedDB.
 *   The QR decoder (jsQR, DECODER_FILES) is not in the shell: it is cached on first use, or when the
 *   page asks ('prefetch-decoder', for the roles that scan offline), in a cache of its own.
 * - push / notificationclick / pushsubscriptionchange: Web Push (PROTOCOL §19; payload {v, kind, title, body, url, tag}).
 * - sync: Background Sync asks the open pages to flush their outbox.
 */
const VERSION = '2026-12-04.15';
const SHELL_CACHE = `lumbung-shell-${VERSION}`;
const SHELL_FILES = [
  '/', '/index.html', '/app.css', '/manifest.webmanifest', '/icons/icon-192.png', '/icons/icon-512.png',
  '/vendor/preact/preact.module.js', '/vendor/preact/hooks.module.js', '/vendor/htm/htm.module.js', '/vendor/idb/idb.js',
  '/vendor/qrcode-generator/qrcode.js',
  '/js/main.js', '/js/html.js', '/js/app-state.js', '/js/router.js', '/js/push-client.js',
  '/js/sync/api.js', '/js/sync/db.js', '/js/sync/profiles.js', '/js/sync/outbox.js', '/js/sync/replica.js',
  '/js/sync/engine.js', '/js/sync/view.js', '/js/sync/validate.js', '/js/sync/ledger-check.js', '/js/sync/push.js',
  '/js/ui/components.js', '/js/ui/format.js', '/js/ui/online.js', '/js/ui/documents.js', '/js/ui/confirm.js',
  '/js/ui/qr-decoder.js',
  '/js/screens/login.js', '/js/screens/dashboard.js', '/js/screens/deposits.js', '/js/screens/deposit-form.js',
  '/js/screens/deduction.js', '/js/screens/loans.js', '/js/screens/officer.js',
  '/js/screens/board.js', '/js/screens/settings.js', '/js/screens/notifications.js', '/js/screens/slip.js', '/js/screens/report.js', '/js/screens/scan.js', '/js/screens/member-card.js',
  '/js/screens/board-structure.js', '/js/screens/audit.js', '/js/screens/mfa.js', '/js/screens/password.js',
  '/js/screens/admin-members.js', '/js/screens/admin-coop.js', '/js/screens/admin-users.js', '/js/screens/admin-ops.js',
  '/js/domain/money.js', '/js/domain/dates.js', '/js/domain/schedule.js', '/js/domain/loans.js', '/js/domain/terbilang.js',
  '/js/domain/ledger.js', '/js/domain/mutations.js', '/js/domain/outbox_rules.js', '/js/domain/report.js', '/js/domain/qr.js', '/js/domain/fees.js',
  '/js/domain/password.js',
];
/**
 * Loaded on first use, outside the shell (57 KB gzip that only Pindai QR needs). Versioned by the
 * decoder's own version (pwa/vendor/VERSIONS.md), not the app's: an app update keeps an officer's
 * cached decoder, so offline scanning survives it. Bump it whenever the vendored decoder changes.
 */
const DECODER_VERSION = 'jsqr-1.4.0';
const DECODER_CACHE = `lumbung-decoder-${DECODER_VERSION}`;
const DECODER_FILES = ['/vendor/jsqr/jsQR.js'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL_FILES.map((u) => new Request(u, { cache: 'reload' })))));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      const old = (key.startsWith('lumbung-shell-') && key !== SHELL_CACHE) || (key.startsWith('lumbung-decoder-') && key !== DECODER_CACHE);
      if (old) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data?.type === 'skip-waiting') self.skipWaiting();
  if (event.data?.type === 'version') event.source?.postMessage({ type: 'version', version: VERSION });
  if (event.data?.type === 'prefetch-decoder') {
    event.waitUntil(cacheDecoder().then((ready) => event.ports[0]?.postMessage({ type: 'decoder', ready })));
  }
});

/** Every decoder file into the decoder cache (those already there are not fetched again); true when all are. */
async function cacheDecoder() {
  const cache = await caches.open(DECODER_CACHE);
  try {
    for (const path of DECODER_FILES) if (!(await cache.match(path))) await cache.add(new Request(path, { cache: 'reload' }));
    return true;
  } catch {
    return false;
  }
}

/** A decoder file: the cached copy, else the network (and kept). Offline and never fetched: a network error. */
async function fromDecoderCache(path) {
  const cache = await caches.open(DECODER_CACHE);
  const hit = await cache.match(path);
  if (hit) return hit;
  const fresh = await fetch(new Request(path, { cache: 'reload' }));
  if (fresh.ok) await cache.put(path, fresh.clone());
  return fresh;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')
      || url.pathname.startsWith('/schema')) return;
  if (DECODER_FILES.includes(url.pathname)) { event.respondWith(fromDecoderCache(url.pathname)); return; }
  event.respondWith(fromShell(request, url));
});

/** The cooperative's white-label changes without an app update: network first, the cached copy offline. */
const LIVE = (path) => path === '/manifest.webmanifest' || path === '/branding' || path.startsWith('/branding/');

async function fromShell(request, url) {
  const cache = await caches.open(SHELL_CACHE);
  if (LIVE(url.pathname)) {
    try {
      const fresh = await fetch(request, { cache: 'no-store' });
      if (fresh.ok && url.pathname === '/manifest.webmanifest') await cache.put('/manifest.webmanifest', fresh.clone());
      return fresh;
    } catch (err) {
      const kept = await cache.match(url.pathname);
      if (kept) return kept;
      throw err;
    }
  }
  const key = request.mode === 'navigate' ? '/index.html' : url.pathname;
  const hit = await cache.match(key);
  if (hit) return hit;
  return fetch(request);
}

async function tellClients(message) {
  const clients = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const c of clients) c.postMessage(message);
  return clients.length;
}

/**
 * The notice of PROTOCOL §19 ({v: 1, kind, title, body, url, tag, ref}), shown as it is. Anything
 * else (no data, not JSON, another version) still shows a neutral Indonesian notice: a push the
 * user cannot see would break the userVisibleOnly promise.
 */
function noticeFrom(event) {
  let data = null;
  try { data = event.data ? event.data.json() : null; } catch { data = null; }
  const ok = data && typeof data === 'object' && data.v === 1 && typeof data.title === 'string' && data.title
    && typeof data.body === 'string';
  if (!ok) return { title: 'Lumbung', body: 'Ada kabar baru tentang transaksi Anda. Buka aplikasi untuk melihatnya.', tag: 'lumbung', url: '/', kind: null, ref: null };
  return { title: data.title.slice(0, 120), body: data.body.slice(0, 300), tag: typeof data.tag === 'string' && data.tag ? data.tag : undefined,
    url: safeUrl(data.url), kind: typeof data.kind === 'string' ? data.kind : null, ref: data.ref ?? null };
}

self.addEventListener('push', (event) => {
  const n = noticeFrom(event);
  event.waitUntil((async () => {
    await self.registration.showNotification(n.title, {
      body: n.body, tag: n.tag, renotify: !!n.tag, icon: '/icons/icon-192.png', badge: '/icons/icon-192.png', lang: 'id',
      data: { url: n.url, kind: n.kind, ref: n.ref },
    });
    // An open page pulls now (it holds the token); a closed app pulls when it starts, before showing anything.
    await tellClients({ type: 'flush', reason: 'push' });
    await tellClients({ type: 'notified', kind: n.kind, title: n.title });
  })());
});

/** Only our own origin's pages may be opened from a notification. */
function safeUrl(value) {
  try {
    const u = new URL(typeof value === 'string' ? value : '/', self.location.origin);
    return u.origin === self.location.origin ? u.pathname + u.search + u.hash : '/';
  } catch { return '/'; }
}

/** Open the notice's screen: focus an open window of the app (and route it there), else open one. */
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = safeUrl(event.notification.data?.url ?? '/');
  event.waitUntil((async () => {
    const clients = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const same = clients.filter((c) => new URL(c.url).origin === self.location.origin);
    const client = same.find((c) => c.focused) ?? same[0];
    if (client) {
      client.postMessage({ type: 'navigate', url: target });
      try { await client.focus(); } catch { /* focus needs a user gesture on some browsers; routed anyway */ }
      return;
    }
    await self.clients.openWindow(target);
  })());
});

/**
 * The push service renewed or dropped the subscription: subscribe again with the same key and let
 * a page (it holds the token) POST it; with no page open it waits in a cache for the next start.
 */
self.addEventListener('pushsubscriptionchange', (event) => {
  event.waitUntil((async () => {
    const key = event.oldSubscription?.options?.applicationServerKey;
    let sub = event.newSubscription ?? null;
    if (!sub && key) sub = await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    if (!sub) { await tellClients({ type: 'resubscribe' }); return; }
    const json = sub.toJSON();
    const count = await tellClients({ type: 'resubscribe', subscription: json });
    if (!count) {
      const cache = await caches.open('lumbung-pending');
      await cache.put('/pending-subscription', new Response(JSON.stringify(json), { headers: { 'Content-Type': 'application/json' } }));
    }
  })());
});

self.addEventListener('sync', (event) => {
  if (event.tag === 'lumbung-flush') event.waitUntil(tellClients({ type: 'flush', reason: 'sync' }));
});
