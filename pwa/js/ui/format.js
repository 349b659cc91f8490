/** Display helpers over the domain modules: rupiah, Indonesian dates (WIB), sync-state words. */
import { formatRupiah } from '../domain/money.js';
import { formatDate, formatDateTime, todayIn } from '../domain/dates.js';

export const rupiah = (n) => (n === null || n === undefined ? '–' : formatRupiah(n));
export const tanggal = (d) => (d ? formatDate(String(d).slice(0, 10)) : '–');
export const waktu = (t) => (t ? formatDateTime(t) : '–');
export const today = () => todayIn();

export const KIND_LABEL = { offline: 'Offline', mandiri: 'Mandiri' };
export const METHOD_LABEL = { transfer: 'Transfer', tunai: 'Tunai' };
