/**
 * Per-user profiles on a shared device (PROTOCOL §16.1): each user keeps their own client id, and
 * with it their own outbox, replica and cursor. Logging out keeps the profile (and its outbox); the
 * next login of the same user on this device reuses the same client id.
 */
import { deviceDb } from './db.js';
import { ApiError, request } from './api.js';

function newClientId() {
  return `pwa-${crypto.randomUUID()}`;
}

export async function listProfiles() {
  return (await deviceDb()).getAll('profiles');
}

export async function currentProfile() {
  const db = await deviceDb();
  const username = await db.get('device', 'current');
  return username ? (await db.get('profiles', username)) ?? null : null;
}

export async function saveProfile(profile) {
  await (await deviceDb()).put('profiles', profile);
  return profile;
}

function fromToken(profile, answer) {
  return {
    ...profile,
    accessToken: answer.access_token,
    refreshToken: answer.refresh_token,
    user: answer.user,
    // LUMBUNG_MFA_ENFORCED: this admin or pengurus must enrol a second factor before anything else
    mfaEnrolmentRequired: !!answer.mfa_enrolment_required,
    loggedIn: true,
  };
}

/**
 * Log in online; reuses this user's client id on this device, creates one the first time. `otp` is
 * the second factor (a TOTP or recovery code) once the server answered `mfa_required`.
 */
export async function login(username, password, otp = null) {
  const db = await deviceDb();
  const known = await db.get('profiles', username);
  const profile = known ?? { username, clientId: newClientId(), createdAt: new Date().toISOString() };
  const answer = await request('POST', '/api/auth/login', {
    body: { username, password, client_id: profile.clientId, ...(otp ? { otp } : {}) },
  });
  const next = fromToken(profile, answer);
  await db.put('profiles', next);
  await db.put('device', username, 'current');
  sendPendingLogouts().catch(() => {}); // online now: end the sessions logged out offline
  return next;
}

/**
 * Log out: the server session ends, the profile and its outbox stay on the device. Offline, the
 * session's tokens are kept aside, each session in its own `device` record (`pending-logout:…`), and
 * the logout is sent at the next chance (`sendPendingLogouts`): on a shared device the previous
 * user's session, and the notices that follow it, must not outlive their logout by the refresh
 * token's 30 days. Own records, not a field of the profile: a later login or token refresh of the
 * same user rewrites the profile and must neither drop nor bring back a logout still to be sent.
 */
export async function logout(profile) {
  const session = { clientId: profile.clientId, accessToken: profile.accessToken, refreshToken: profile.refreshToken };
  const ended = !session.accessToken || (await endSession(session));
  const db = await deviceDb();
  if (!ended) await db.put('device', session, `${PENDING_LOGOUT}${crypto.randomUUID()}`);
  await db.put('profiles', { ...profile, accessToken: null, refreshToken: null, loggedIn: false });
  await db.delete('device', 'current');
}

const PENDING_LOGOUT = 'pending-logout:';

/**
 * POST /api/auth/password (no token: the current password is the proof). On 200 the server has
 * ended every session of the user, this device's too; the caller logs in again. Never queued: a
 * password change offline is an ApiError status 0 like any other request.
 */
export async function changePassword(username, currentPassword, newPassword, otp = null) {
  return request('POST', '/api/auth/password', {
    body: { username, current_password: currentPassword, new_password: newPassword, ...(otp ? { otp } : {}) },
  });
}

/**
 * Store a profile whose session has ended, unless the stored one no longer holds that session: a
 * newer login (after a password change, or in another tab) must not be overwritten by the end of the
 * session it replaced, nor a logout's cleared tokens brought back.
 */
async function saveEndedSession(profile) {
  const db = await deviceDb();
  const stored = await db.get('profiles', profile.username);
  if (stored && stored.refreshToken !== profile.refreshToken) return;
  await db.put('profiles', profile);
}

/** True once the server no longer holds the session (ended now, or already gone); false offline. */
async function endSession({ clientId, accessToken, refreshToken }) {
  try {
    await request('POST', '/api/auth/logout', { token: accessToken });
    return true;
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401 || !refreshToken) return err instanceof ApiError && err.status === 401;
  }
  try { // the access token expired meanwhile: a fresh one from the refresh token, then the logout
    const answer = await request('POST', '/api/auth/refresh', { body: { refresh_token: refreshToken, client_id: clientId } });
    await request('POST', '/api/auth/logout', { token: answer.access_token });
    return true;
  } catch (err) {
    return err instanceof ApiError && err.status === 401; // refresh_invalid: the session is gone already
  }
}

let sending = null;

/** Send the logouts made offline on this device (on start, on `online`, after a login); one run at a
 * time, quiet offline (what is not sent stays for the next chance). */
export function sendPendingLogouts() {
  sending ??= (async () => {
    try {
      const db = await deviceDb();
      for (const key of await db.getAllKeys('device')) {
        if (typeof key !== 'string' || !key.startsWith(PENDING_LOGOUT)) continue;
        const session = await db.get('device', key);
        if (!session || (await endSession(session))) await db.delete('device', key);
      }
    } finally {
      sending = null;
    }
  })();
  return sending;
}

/**
 * Calls the API as a profile: an expired access token is refreshed once and the call repeated; the
 * refresh is not a failure (§16.8). `onLoginNeeded` is told when the session is gone.
 */
export class Session {
  constructor(profile, { onLoginNeeded } = {}) {
    this.profile = profile;
    this.onLoginNeeded = onLoginNeeded ?? (() => {});
    this.refreshing = null;
  }

  get token() { return this.profile.accessToken; }

  async refresh() {
    this.refreshing ??= (async () => {
      try {
        const answer = await request('POST', '/api/auth/refresh', {
          body: { refresh_token: this.profile.refreshToken ?? '', client_id: this.profile.clientId },
        });
        this.profile = await saveProfile(fromToken(this.profile, answer));
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  async call(method, path, options = {}) {
    if (!this.profile.accessToken) this.loginNeeded(new ApiError(401, 'token_missing', 'Silakan masuk kembali.'));
    try {
      return await request(method, path, { ...options, token: this.profile.accessToken });
    } catch (err) {
      if (!(err instanceof ApiError) || err.reaction !== 'refresh') {
        if (err instanceof ApiError && err.reaction === 'login') this.loginNeeded(err);
        throw err;
      }
      try {
        await this.refresh();
      } catch (refreshErr) {
        if (refreshErr instanceof ApiError && refreshErr.status === 401) this.loginNeeded(refreshErr);
        throw refreshErr;
      }
      try {
        return await request(method, path, { ...options, token: this.profile.accessToken });
      } catch (again) {
        if (again instanceof ApiError && (again.reaction === 'login' || again.reaction === 'refresh')) {
          this.loginNeeded(again);
        }
        throw again;
      }
    }
  }

  loginNeeded(err) {
    this.profile = { ...this.profile, accessToken: null, loggedIn: false };
    saveEndedSession(this.profile).catch(() => {});
    this.onLoginNeeded(err);
    throw err;
  }
}
