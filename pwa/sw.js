/*
 * Lumbung service worker: a short event dispatcher.
 * - install: precache the app shell into one versioned cache (does NOT skip waiting: an update
 *   waits until the page asks, after the user clicked "Muat ulang" on "Versi baru tersedia").
 * - activate: delete every older shell cache, then take control of open pages.
 * - fetch: only same-origin GETs outside /api; the shell comes from the cache (offline first),
 *   any navigation gets index.html. The API is never cached here: the app's data lives in IndexedDB.
 * - push / notificationclick / pushsubscriptionchange: Web Push (payload {v, kind, title, body, url, tag}).
 * - sync: Background Sync asks the open pages to flush their outbox.
 */
const VERSION = '2026-12-02.2';
const SHELL_CACHE = `lumbung-shell-${VERSION}`;
const SHELL_FILES = [
  '/', '/index.html', '/app.css', '/manifest.webmanifest', '/icons/icon-192.png', '/icons/icon-512.png',
  '/vendor/preact/preact.module.js', '/vendor/preact/hooks.module.js', '/vendor/htm/htm.module.js', '/vendor/idb/idb.js',
  '/vendor/jsqr/jsQR.js', '/vendor/qrcode-generator/qrcode.js',
  '/js/main.js', '/js/html.js', '/js/app-state.js', '/js/router.js',
  '/js/sync/api.js', '/js/sync/db.js', '/js/sync/profiles.js', '/js/sync/outbox.js', '/js/sync/replica.js',
  '/js/sync/engine.js', '/js/sync/view.js', '/js/sync/validate.js', '/js/sync/ledger-check.js',
  '/js/ui/components.js', '/js/ui/format.js', '/js/ui/documents.js',
  '/js/screens/login.js', '/js/screens/dashboard.js', '/js/screens/deposits.js', '/js/screens/deposit-form.js',
  '/js/screens/deduction.js', '/js/screens/loans.js', '/js/screens/officer.js',
  '/js/screens/board.js', '/js/screens/settings.js', '/js/screens/slip.js', '/js/screens/scan.js', '/js/screens/member-card.js',
  '/js/domain/money.js', '/js/domain/dates.js', '/js/domain/schedule.js', '/js/domain/loans.js', '/js/domain/terbilang.js',
  '/js/domain/ledger.js', '/js/domain/mutations.js', '/js/domain/outbox_rules.js', '/js/domain/qr.js', '/js/domain/fees.js',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL_FILES.map((u) => new Request(u, { cache: 'reload' })))));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key.startsWith('lumbung-shell-') && key !== SHELL_CACHE) await caches.delete(key);
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data?.type === 'skip-waiting') self.skipWaiting();
  if (event.data?.type === 'version') event.source?.postMessage({ type: 'version', version: VERSION });
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')
      || url.pathname.startsWith('/schema')) return;
  event.respondWith(fromShell(request, url));
});

async function fromShell(request, url) {
  const cache = await caches.open(SHELL_CACHE);
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

self.addEventListener('push', (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch { data = { body: event.data?.text() ?? '' }; }
  const title = typeof data.title === 'string' && data.title ? data.title : 'Lumbung';
  event.waitUntil((async () => {
    await self.registration.showNotification(title, {
      body: typeof data.body === 'string' ? data.body : '',
      tag: typeof data.tag === 'string' ? data.tag : undefined,
      icon: '/icons/icon-192.png',
      badge: '/icons/icon-192.png',
      data: { url: safeUrl(data.url), kind: data.kind ?? null, ref: data.ref ?? null },
    });
    await tellClients({ type: 'flush', reason: 'push' });
    await tellClients({ type: 'notified', kind: data.kind ?? null, title });
  })());
});

/** Only our own origin's pages may be opened from a notification. */
function safeUrl(value) {
  try {
    const u = new URL(typeof value === 'string' ? value : '/', self.location.origin);
    return u.origin === self.location.origin ? u.pathname + u.search + u.hash : '/';
  } catch { return '/'; }
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = event.notification.data?.url ?? '/';
  event.waitUntil((async () => {
    const clients = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const c of clients) {
      if ('focus' in c) {
        await c.focus();
        c.postMessage({ type: 'navigate', url: target });
        return;
      }
    }
    await self.clients.openWindow(target);
  })());
});

self.addEventListener('pushsubscriptionchange', (event) => {
  event.waitUntil((async () => {
    const old = event.oldSubscription;
    const key = old?.options?.applicationServerKey;
    if (!key) { await tellClients({ type: 'resubscribe' }); return; }
    const sub = await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    // The page holds the access token; it posts the new subscription to POST /api/push/subscriptions.
    const count = await tellClients({ type: 'resubscribe', subscription: sub.toJSON() });
    if (!count) {
      const cache = await caches.open('lumbung-pending');
      await cache.put('/pending-subscription', new Response(JSON.stringify(sub.toJSON())));
    }
  })());
});

self.addEventListener('sync', (event) => {
  if (event.tag === 'lumbung-flush') event.waitUntil(tellClients({ type: 'flush', reason: 'sync' }));
});
