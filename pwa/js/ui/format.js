/**
 * Display helpers over the domain modules: rupiah, Indonesian dates in the cooperative's zone (the
 * feed's `coop_settings`, WIB until the admin sets another), sync-state words.
 */
import { formatRupiah } from '../domain/money.js';
import { COOP_ZONE, formatDate, formatDateTime, todayIn } from '../domain/dates.js';
import { app } from '../app-state.js';

/** The cooperative's IANA zone: from the replica, else WIB. */
export const coopZone = () => app.view?.coop_settings?.find((s) => s._key === 'current' || s.time_zone)?.time_zone ?? COOP_ZONE;

export const rupiah = (n) => (n === null || n === undefined ? '–' : formatRupiah(n));
export const tanggal = (d) => (d ? formatDate(String(d).slice(0, 10)) : '–');
export const waktu = (t) => (t ? formatDateTime(t, coopZone()) : '–');
export const today = () => todayIn(coopZone());

export const KIND_LABEL = { offline: 'Offline', mandiri: 'Mandiri' };
export const METHOD_LABEL = { transfer: 'Transfer', tunai: 'Tunai' };
