/**
 * IndexedDB schema: one device database (profiles) and one database per profile (outbox, replica,
 * attachments, meta). Why one database per profile: a shared officer device keeps each user's client
 * id, outbox, replica and cursor apart, and dropping one user's replica never touches another's.
 *
 * The schema lives in `upgrade(db, oldVersion)` callbacks that step through versions, the browser's
 * counterpart of an alembic chain. Never await the network inside a transaction: IndexedDB commits a
 * transaction as soon as it has no pending request.
 */
import { openDB } from '../../vendor/idb/idb.js';

export const DEVICE_DB = 'lumbung-device';
const DEVICE_VERSION = 1;
const PROFILE_VERSION = 1;

let devicePromise = null;

/** The device database: `profiles` (by username) and `device` (key-value: current profile). */
export function deviceDb() {
  devicePromise ??= openDB(DEVICE_DB, DEVICE_VERSION, {
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        db.createObjectStore('profiles', { keyPath: 'username' });
        db.createObjectStore('device');
      }
    },
    ...yieldToNewerVersion(() => { devicePromise = null; }),
  }).catch(forget(() => { devicePromise = null; }));
  return devicePromise;
}

const newerVersionListeners = new Set();

/**
 * Hear that a newer version of the app (another tab) asked for a database this tab holds open: this
 * tab has closed its connection and must reload to go on ("Versi baru tersedia").
 */
export function onNewerVersion(fn) {
  newerVersionListeners.add(fn);
  return () => newerVersionListeners.delete(fn);
}

/**
 * openDB callbacks for the day a schema version is raised. Why: a browser upgrades a database only
 * once every other connection to it has closed; without `blocking`, a tab still running the old code
 * keeps the new tab waiting forever on a blank screen. So the old tab closes its connection (the
 * transactions already running still finish; none is cut: an outbox write either committed or its
 * promise rejects, never "tersimpan" for a lost item), forgets it, and tells the UI. `terminated`
 * (the browser closed it, e.g. storage cleared) only forgets it, so the next call opens it again.
 */
function yieldToNewerVersion(forgetIt) {
  return {
    blocking(_currentVersion, _blockedVersion, event) {
      event.target.close(); // the raw IDBDatabase behind idb's wrapper
      forgetIt();
      for (const fn of newerVersionListeners) fn();
    },
    terminated() { forgetIt(); },
  };
}

/** A failed open is not cached: the next call tries again. */
function forget(forgetIt) {
  return (err) => { forgetIt(); throw err; };
}

const profileDbs = new Map();

/** A profile's own database, named after its client id. */
export function profileDb(clientId) {
  if (!profileDbs.has(clientId)) {
    profileDbs.set(clientId, openDB(`lumbung-p-${clientId}`, PROFILE_VERSION, {
      upgrade(db, oldVersion) {
        if (oldVersion < 1) {
          const outbox = db.createObjectStore('outbox', { keyPath: 'uuid' });
          outbox.createIndex('id', 'id');
          // [state, id]: the pending items in number order without walking the history.
          outbox.createIndex('state_id', ['state', 'id']);
          // Sparse: only answered items not yet settled carry `unsettled`, so settling reads just those.
          outbox.createIndex('unsettled', 'unsettled');
          const replica = db.createObjectStore('replica', { keyPath: ['entity', 'id'] });
          replica.createIndex('entity', 'entity');
          db.createObjectStore('attachments', { keyPath: 'sha256' });
          db.createObjectStore('meta');
        }
      },
      ...yieldToNewerVersion(() => profileDbs.delete(clientId)),
    }).catch(forget(() => profileDbs.delete(clientId))));
  }
  return profileDbs.get(clientId);
}

/** Read several meta keys at once. */
export async function getMeta(db, keys) {
  const tx = db.transaction('meta');
  const values = await Promise.all(keys.map((k) => tx.store.get(k)));
  await tx.done;
  return Object.fromEntries(keys.map((k, i) => [k, values[i]]));
}

export async function setMeta(db, values) {
  const tx = db.transaction('meta', 'readwrite');
  for (const [k, v] of Object.entries(values)) tx.store.put(v, k);
  await tx.done;
}

/** True when an IndexedDB error means the device ran out of space. */
export function isQuotaError(err) {
  return !!err && (err.name === 'QuotaExceededError' || /quota/i.test(String(err.message ?? '')));
}
