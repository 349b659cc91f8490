/**
 * The page's side of the service worker's Web Push events, and upkeep of this device's
 * subscription after every view rebuild (a renewed subscription waiting in the cache, a key rotation
 * announced by the feed). Glue between app-state and sync/push.js; the rules live in sync/push.js.
 */
import { app } from './app-state.js';
import { postPendingSubscription, registerSubscription, resubscribeIfNeeded } from './sync/push.js';

let upkeep = null;
let failedAt = 0;
const RETRY_AFTER_MS = 5 * 60 * 1000;

/** Called after each view build; at most one upkeep runs at a time, a failure waits five minutes. */
export function keepPushAlive(view) {
  if (upkeep || !app.syncer || !navigator.onLine || Date.now() - failedAt < RETRY_AFTER_MS) return;
  const { session } = app.syncer;
  const clientId = app.profile.clientId;
  upkeep = (async () => {
    if (await postPendingSubscription(session, clientId)) app.syncer.flush();
    if (await resubscribeIfNeeded(session, clientId, view?.push_subscription)) app.syncer.flush();
  })().catch((err) => { failedAt = Date.now(); console.warn('push upkeep', err); }).finally(() => { upkeep = null; });
}

/** Messages from sw.js: open a notice's screen, count shown notices (tests), register a renewal. */
export function onWorkerMessage(ev) {
  const data = ev.data ?? {};
  if (data.type === 'navigate' && typeof data.url === 'string') {
    const url = new URL(data.url, location.origin);
    if (url.origin === location.origin) location.hash = url.hash || '#/';
  }
  if (data.type === 'notified') window.__lumbungNotified = (window.__lumbungNotified ?? 0) + 1;
  if (data.type === 'resubscribe' && app.syncer) {
    const { session } = app.syncer;
    const done = data.subscription
      ? registerSubscription(session, app.profile.clientId, data.subscription)
      : resubscribeIfNeeded(session, app.profile.clientId, [{ client_id: app.profile.clientId, status: 'resubscribe' }]);
    done.then(() => app.syncer?.flush()).catch((err) => console.warn('resubscribe', err));
  }
}
