/**
 * The QR decoder, loaded on first use and kept out of the app shell. Why: jsQR is ~57 KB gzip, a
 * third of the shell members download on prepaid data, and only *Pindai QR* needs it. The browser's
 * own `BarcodeDetector` (Chromium on Android) comes first; jsQR is the fallback, a dynamic `import()`
 * that the service worker keeps in its decoder cache (sw.js DECODER_CACHE). Officers, the board and
 * admins scan member cards at work sites with no signal, so their devices fetch it into that cache
 * in the background when the app starts online.
 *
 * Exports: UNAVAILABLE_TEXT, DecoderUnavailable, nativeQr(), loadJsQR(), ensureDecoder(),
 * decodeQr(source, width, height), prefetchDecoder(role).
 */

const DECODER_URL = '/vendor/jsqr/jsQR.js';
const SCANNING_ROLES = new Set(['petugas', 'pengurus', 'admin']);

export const UNAVAILABLE_TEXT = 'Pemindai QR belum tersedia offline. Buka halaman ini sekali saat online; setelah itu pemindai juga bekerja tanpa sinyal.';

/** jsQR could not be loaded: offline, and this device never fetched it. */
export class DecoderUnavailable extends Error {
  constructor() {
    super(UNAVAILABLE_TEXT);
    this.name = 'DecoderUnavailable';
    this.code = 'decoder_unavailable';
  }
}

let native;
/** True when the browser decodes QR codes itself (BarcodeDetector with `qr_code`). */
export function nativeQr() {
  native ??= (async () => {
    if (!('BarcodeDetector' in self)) return false;
    try { return (await self.BarcodeDetector.getSupportedFormats()).includes('qr_code'); } catch { return false; }
  })();
  return native;
}

let detector = null;
function barcodeDetector() {
  detector ??= new self.BarcodeDetector({ formats: ['qr_code'] });
  return detector;
}

let jsqr = null;
let loading = null;
let attempts = 0;
/** jsQR's decode function, imported once; rejects with DecoderUnavailable when it cannot be fetched. */
export function loadJsQR() {
  if (jsqr) return Promise.resolve(jsqr);
  // A module that failed to load stays failed under its URL in this document: retry under another.
  loading ??= import(attempts ? `${DECODER_URL}?retry=${attempts}` : DECODER_URL).then(
    () => { jsqr = self.jsQR; return jsqr; }, // UMD: sets self.jsQR
    () => { attempts += 1; loading = null; throw new DecoderUnavailable(); },
  );
  return loading;
}

/** Resolves once a decoder is usable ('native' or 'jsqr'); rejects with DecoderUnavailable. */
export async function ensureDecoder() {
  if (await nativeQr()) return 'native';
  await loadJsQR();
  return 'jsqr';
}

/** The text of the first QR in an image, video frame or canvas source; null when none is found. */
export async function decodeQr(source, width, height) {
  if (await nativeQr()) {
    try {
      const [hit] = await barcodeDetector().detect(source);
      if (hit?.rawValue) return hit.rawValue;
    } catch { /* try jsQR */ }
    if (!jsqr) {
      try { await loadJsQR(); } catch { return null; } // the browser's own decoder saw no code
    }
  }
  const decode = await loadJsQR();
  const canvas = document.createElement('canvas');
  const scale = Math.min(1, 1600 / Math.max(width, height));
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
  const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  return decode(data, canvas.width, canvas.height, { inversionAttempts: 'attemptBoth' })?.data ?? null;
}

/**
 * For the roles that scan in the field: ask the service worker to fetch the decoder into its cache
 * (once per decoder version; a no-op when it is there). Offline, it waits for the next `online`.
 * Resolves true when the decoder is cached, false when it was not needed or could not be fetched.
 */
export async function prefetchDecoder(role) {
  if (!SCANNING_ROLES.has(role) || !('serviceWorker' in navigator) || !self.caches) return false;
  if (!navigator.onLine) {
    window.addEventListener('online', () => { prefetchDecoder(role).catch(() => {}); }, { once: true });
    return false;
  }
  const reg = await navigator.serviceWorker.ready;
  const worker = reg.active;
  if (!worker) return false;
  const channel = new MessageChannel();
  const answer = new Promise((resolve) => { channel.port1.onmessage = (ev) => resolve(!!ev.data?.ready); });
  worker.postMessage({ type: 'prefetch-decoder' }, [channel.port2]);
  return answer;
}
