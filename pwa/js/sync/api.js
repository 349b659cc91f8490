/**
 * HTTP to the Lumbung server (docs/PROTOCOL.md): every request carries the protocol version, errors
 * become one ApiError with the server's stable `code` and its Indonesian `message`, and each error
 * carries the reaction §15 prescribes, so callers never guess from a status.
 */
export const PROTOCOL = '1';

const REACTIONS = {
  token_expired: 'refresh', token_invalid: 'refresh',
  session_revoked: 'login', refresh_invalid: 'login', token_missing: 'login',
  mutation_gap: 'resync', protocol_version_unsupported: 'update',
  busy: 'retry', internal_error: 'retry',
};

export class ApiError extends Error {
  constructor(status, code, message, detail = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.reaction = REACTIONS[code] ?? (status === 426 ? 'update'
      : status === 0 || status === 429 || status >= 500 ? 'retry' : 'show');
  }
}

/** One request; `token` may be null (login, refresh). Network failure → ApiError status 0 'offline'. */
export async function request(method, path, { token = null, body, rawBody, contentType, query, signal } = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === null || v === '') continue;
    for (const one of Array.isArray(v) ? v : [v]) url.searchParams.append(k, String(one));
  }
  const headers = { 'X-Lumbung-Protocol': PROTOCOL };
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (rawBody !== undefined) { payload = rawBody; headers['Content-Type'] = contentType; }
  else if (body !== undefined) { payload = JSON.stringify(body); headers['Content-Type'] = 'application/json'; }
  let res;
  try {
    res = await fetch(url, { method, headers, body: payload, signal, cache: 'no-store' });
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    throw new ApiError(0, 'offline', 'Tidak ada koneksi ke server. Data tetap tersimpan di perangkat.');
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) {
    const code = data?.code ?? `http_${res.status}`;
    const message = data?.message ?? `Server menjawab ${res.status}.`;
    throw new ApiError(res.status, code, message, data?.detail ?? null);
  }
  return data;
}
