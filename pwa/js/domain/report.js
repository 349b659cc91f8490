/**
 * What a problem report (*Laporkan Masalah*, mutation `report.create`) carries about the device: the
 * app version and the sync state as counts, a time and error codes only.
 *
 * Why pure and this narrow: a report lands in the admin's list, so it must never carry a secret (a
 * token, a password) or another member's data (replica rows, server messages that name people). Only
 * the fields of server/protocol.py's DeviceSyncState are built here, each one checked against its
 * pattern, so nothing else can slip in. Node-tested in tests/js/report.test.js.
 *
 * Exports:
 *   ERROR_CODE_RE, MAX_ERROR_CODES = 10, APP_VERSION_RE
 *   appVersion(shellVersion) -> "pwa-<version>" (characters outside [A-Za-z0-9._+-] dropped, ≤ 40)
 *   deviceSyncState(items, {lastSync, lastError}) -> {pending, rejected, last_sync_at, error_codes}
 *        items: the profile's outbox items (pending = not yet answered; rejected = refused, not dismissed);
 *        error_codes: the last sync error's code, then the rejected items' codes, newest first, unique.
 *   reportOp({reportId, description, appVersion, syncState}) -> the `report.create` op
 */

export const ERROR_CODE_RE = /^[a-z][a-z0-9_]{0,63}$/;
export const APP_VERSION_RE = /^[A-Za-z0-9._+-]+$/;
export const MAX_ERROR_CODES = 10;

export function appVersion(shellVersion) {
  const clean = String(shellVersion ?? '').replace(/[^A-Za-z0-9._+-]/g, '');
  return `pwa-${clean || 'unknown'}`.slice(0, 40);
}

export function deviceSyncState(items, { lastSync = null, lastError = null } = {}) {
  let pending = 0;
  let rejected = 0;
  const codes = [];
  const add = (code) => {
    if (typeof code === 'string' && ERROR_CODE_RE.test(code) && !codes.includes(code)) codes.push(code);
  };
  add(lastError?.code);
  const newestFirst = [...items].sort((a, b) => Math.abs(b.id) - Math.abs(a.id));
  for (const item of newestFirst) {
    if (item.state === 'pending') pending += 1;
    if (item.state === 'rejected' && !item.dismissed) {
      rejected += 1;
      add(item.code);
    }
  }
  const when = lastSync && !Number.isNaN(Date.parse(lastSync)) ? new Date(lastSync).toISOString() : null;
  return { pending, rejected, last_sync_at: when, error_codes: codes.slice(0, MAX_ERROR_CODES) };
}

export function reportOp({ reportId, description, appVersion: version, syncState }) {
  return { name: 'report.create', report_id: reportId, description, app_version: version, sync_state: syncState };
}
