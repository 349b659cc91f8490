/**
 * The sync loop for one profile: upload attachments, push the outbox in order, pull the feed
 * (PROTOCOL §16). The browser twin of client_sync/sync.py and loop.py.
 *
 * When: on start, on `online`, when the page becomes visible, on a timer, after a poke on the event
 * stream, after queueing, and when the service worker relays a Background Sync. One tab flushes at a
 * time (a Web Lock per profile); the others hear about every change through a BroadcastChannel.
 * Failures that may pass (offline, 5xx, busy) back off with full jitter; a refused version (426)
 * stops and asks for an update; a dead session stops and asks for a login. The outbox is kept in
 * every case.
 */
import { profileDb, getMeta, setMeta } from './db.js';
import { ApiError } from './api.js';
import { Session, saveProfile } from './profiles.js';
import * as outbox from './outbox.js';
import { applyPage, replicaChangedElsewhere, resetReplica } from './replica.js';
import { validateOp } from './validate.js';
import * as rules from '../domain/outbox_rules.js';

const BATCH = rules.MAX_BATCH; // the server's LUMBUNG_PUSH_MAX_MUTATIONS
const PAGE = 1000;
const MAX_RESETS = 3;
const TIMER_MS = 30_000;

/**
 * Full jitter in ms after `attempt` earlier failures (0 = the first retry): outbox_rules.backoffDelay
 * with attempt + 1 failures, uniform(0, min(60 s, 1 s·2^attempt)).
 */
export function backoffDelay(attempt, random = Math.random) {
  return Math.floor(rules.backoffDelay(attempt + 1, { base: 1, cap: 60, random }) * 1000);
}

export class Syncer {
  constructor(profile, { onChange = () => {}, onLoginNeeded = () => {} } = {}) {
    this.profile = profile;
    this.clientId = profile.clientId;
    this.onChange = onChange;
    this.onLoginNeeded = onLoginNeeded;
    this.session = new Session(profile, { onLoginNeeded: (err) => this.loginNeeded(err) });
    this.state = { online: navigator.onLine, syncing: false, lastSync: null, lastError: null, updateNeeded: false,
      loginNeeded: false, lastReset: null };
    this.attempt = 0;
    this.waiting = false;
    this.stopped = false;
    this.retryTimer = null;
    this.listeners = [];
    this.answered = new Map(); // push answers not written yet: uuid -> {rule, stored} (see push)
  }

  get dbp() { return profileDb(this.clientId); }

  async start() {
    const db = await this.dbp;
    const meta = await getMeta(db, ['lastSync', 'lastError', 'lastReset']);
    Object.assign(this.state, meta);
    this.channel = new BroadcastChannel(`lumbung-${this.clientId}`);
    this.channel.onmessage = (ev) => {
      if (ev.data?.type === 'changed') { replicaChangedElsewhere(db); this.emit(false); } // another tab pulled
      if (ev.data?.type === 'queued') this.flush();
    };
    const on = (target, name, fn) => { target.addEventListener(name, fn); this.listeners.push([target, name, fn]); };
    on(window, 'online', () => { this.state.online = true; this.attempt = 0; this.flush(); this.openEvents(); this.emit(false); });
    on(window, 'offline', () => { this.state.online = false; this.closeEvents(); this.emit(false); });
    on(document, 'visibilitychange', () => { if (document.visibilityState === 'visible') this.flush(); });
    navigator.serviceWorker?.addEventListener('message', this.swMessage = (ev) => {
      if (ev.data?.type === 'flush') this.flush();
    });
    this.timer = setInterval(() => this.flush(), TIMER_MS);
    navigator.storage?.persist?.().then((granted) => { this.state.persisted = granted; }).catch(() => {});
    this.openEvents();
    this.flush();
  }

  stop() {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.retryTimer);
    for (const [t, n, f] of this.listeners) t.removeEventListener(n, f);
    navigator.serviceWorker?.removeEventListener('message', this.swMessage);
    this.closeEvents();
    this.channel?.close();
  }

  emit(broadcast = true) {
    this.onChange(this.state);
    if (broadcast) this.channel?.postMessage({ type: 'changed' });
  }

  loginNeeded(err) {
    this.state.loginNeeded = true;
    this.state.lastError = { code: err?.code ?? 'session_revoked', message: err?.message ?? 'Silakan masuk kembali.' };
    this.closeEvents();
    this.onLoginNeeded(err);
  }

  /**
   * Queue a mutation durably, then try to send it. Resolves after the IndexedDB commit. A mutation
   * the protocol would refuse is never queued (it would make every push 422 and block the queue).
   */
  async queue(op, attachment = null) {
    const problems = validateOp(attachment ? { ...op, attachment: '0'.repeat(64) } : op);
    if (problems.length) {
      throw Object.assign(new Error(problems.map((p) => p.message).join(' ')), { code: 'invalid_mutation', problems });
    }
    const db = await this.dbp;
    const item = await outbox.enqueue(db, { userId: this.profile.user.id, op, attachment });
    this.emit();
    this.channel?.postMessage({ type: 'queued' });
    navigator.serviceWorker?.ready.then((reg) => reg.sync?.register('lumbung-flush')).catch(() => {});
    this.flush();
    return item;
  }

  /** Hide an answered item the user has read (a rejected one): it leaves the view and the lists of
   * refusals in every tab; the outbox keeps its record until pruned. */
  async dismiss(uuid) {
    await outbox.dismiss(await this.dbp, uuid);
    this.emit();
  }

  // --- live updates ------------------------------------------------------------------------------

  openEvents() {
    if (this.events || this.stopped || !navigator.onLine || this.state.loginNeeded || !this.session.token) return;
    const url = `/api/sync/events?protocol=1&access_token=${encodeURIComponent(this.session.token)}`;
    const es = new EventSource(url);
    this.events = es;
    es.addEventListener('ready', () => this.flush());
    es.addEventListener('poke', () => this.flush());
    es.addEventListener('revoked', () => { this.closeEvents(); this.loginNeeded(new ApiError(401, 'session_revoked', 'Sesi berakhir. Silakan masuk kembali.')); });
    es.onerror = () => {
      if (es.readyState !== EventSource.CLOSED) return; // the browser reconnects by itself
      this.closeEvents();
      // A token that expired cannot reopen the stream: refresh through a flush, then reconnect.
      clearTimeout(this.eventsTimer);
      this.eventsTimer = setTimeout(() => this.flush().then(() => this.openEvents()), backoffDelay(3));
    };
  }

  closeEvents() {
    this.events?.close();
    this.events = null;
  }

  // --- one round ---------------------------------------------------------------------------------

  /** Run a round under the profile's Web Lock; calls made while one waits are folded into it. */
  async flush() {
    if (this.stopped || this.state.updateNeeded || this.state.loginNeeded || this.waiting) return;
    if (!navigator.onLine) { this.state.online = false; this.emit(false); return; } // the 'online' event flushes
    this.waiting = true;
    await this.exclusive(async () => {
      this.waiting = false;
      if (this.stopped) return; // stopped while it waited for the lock (a password change holds it)
      await this.round();
    });
  }

  /**
   * Run `fn` under the profile's Web Lock: no sync round of any tab of this profile runs meanwhile
   * (app-state's password change, whose success ends the tokens a round would send).
   */
  async exclusive(fn) {
    if (navigator.locks) return navigator.locks.request(`lumbung-sync-${this.clientId}`, fn);
    return fn();
  }

  async round() {
    const db = await this.dbp;
    this.state.syncing = true;
    this.emit(false);
    try {
      await this.push(db);
      if (await this.pull(db)) {
        await this.push(db);
        await this.pull(db);
      }
      this.attempt = 0;
      this.state.lastSync = new Date().toISOString();
      this.state.lastError = null;
      this.state.online = true;
      await setMeta(db, { lastSync: this.state.lastSync, lastError: null });
      if (!this.events) this.openEvents();
    } catch (err) {
      this.failed(db, err);
    } finally {
      this.state.syncing = false;
      this.emit();
    }
  }

  failed(db, err) {
    if (!(err instanceof ApiError)) {
      console.error(err);
      err = new ApiError(0, 'client_error', String(err?.message ?? err));
    }
    this.state.lastError = { code: err.code, message: err.message };
    if (err.status === 0) this.state.online = false;
    setMeta(db, { lastError: this.state.lastError }).catch(() => {});
    if (err.reaction === 'update') { this.state.updateNeeded = true; this.closeEvents(); return; }
    if (err.reaction === 'login') return;
    if (err.reaction === 'retry' || err.reaction === 'refresh' || err.reaction === 'resync') {
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.flush(), backoffDelay(this.attempt));
      this.attempt = Math.min(this.attempt + 1, 10);
    }
  }

  async upload(db, batch) {
    for (const a of await outbox.attachmentsToUpload(db, batch)) {
      try {
        await this.session.call('PUT', `/api/attachments/${a.sha256}`, { rawBody: a.bytes, contentType: a.type });
      } catch (err) {
        if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.reaction === 'show') {
          await this.refuseLocally(db, batch.filter((i) => i.attachment === a.sha256), err);
          return false;
        }
        throw err;
      }
      await outbox.markUploaded(db, a.sha256);
    }
    return true;
  }

  /** The server refused an attachment: its mutations can never be sent; show why, free their numbers. */
  async refuseLocally(db, items, err) {
    await this.answerLocally(db, items, () => ({ code: err.code, message: `Bukti setoran tidak diterima server: ${err.message}` }));
  }

  /**
   * Items that can never be sent (the server refused their attachment, or the protocol refuses them):
   * answered here with `reasonOf(item)` = {code, message}, their numbers freed for the items after them.
   */
  async answerLocally(db, items, reasonOf) {
    await this.writeAnswered(db); // answered items kept in memory are still 'pending' in IndexedDB: not to be renumbered
    const first = Math.min(...items.map((i) => i.id));
    const tx = db.transaction('outbox', 'readwrite');
    for (const i of items) {
      const { code, message } = reasonOf(i);
      tx.store.put({ ...i, id: -i.id, state: 'rejected', code, message, visibleAt: null, settled: true, local: true });
    }
    await tx.done;
    await outbox.resequence(db, first);
  }

  /**
   * The server refused a whole push as malformed (400/422): nothing of it was applied. Items that this
   * version's validation refuses (queued by an older version, text with half an emoji, say) can never
   * be sent: they are answered here, with the reason, and the rest is sent again. False when every
   * item passes, so the error stands (the stuck queue is then the server's or this code's bug).
   */
  async refuseInvalid(db, batch) {
    const problems = new Map(batch.map((i) => [i.uuid, validateOp(i.op)]).filter(([, found]) => found.length));
    if (!problems.size) return false;
    await this.answerLocally(db, batch.filter((i) => problems.has(i.uuid)), (i) => ({
      code: 'invalid_mutation',
      message: `Transaksi ini tidak dapat dikirim: ${problems.get(i.uuid).map((p) => p.message).join(' ')}`,
    }));
    return true;
  }

  /**
   * Push the pending items in batches; what follows each answer is outbox_rules' decision.
   *
   * An answer that lets the loop go on is not written here: it is kept in `this.answered` and each
   * item is written once, by the pull page that settles it (replica.applyPage), or at the end of the
   * pull. Why: writing every item twice (answered, then settled) was half the IndexedDB work of a
   * sync. Nothing is lost if the tab closes before: the items are still pending with the same
   * numbers and UUIDs, so the next round sends them again, the server answers them from what it
   * holds (it recognises work by UUID, §16.2), and the feed's `mutation` rows settle them.
   * Anything else (renumbering, a stop, an error) writes every kept answer first.
   * The next batch is the pending items numbered above the last one answered.
   */
  async push(db) {
    let recoveries = 0;
    const renumber = async (start, code, message) => {
      if (recoveries >= rules.MAX_RECOVERIES) throw new ApiError(409, code, message);
      recoveries += 1;
      await this.writeAnswered(db);
      await outbox.resequence(db, start);
    };
    let after = null;
    try {
      for (;;) {
        const batch = await outbox.pendingBatch(db, BATCH, after);
        after = null;
        if (!batch.length) return;
        if (!(await this.upload(db, batch))) continue;
        const body = {
          client_id: this.clientId,
          mutations: batch.map((i) => ({ id: i.id, uuid: i.uuid, user_id: i.userId, op: i.op, device_time: i.deviceTime })),
        };
        if (batch.some((i) => i.userId !== this.profile.user.id)) throw new ApiError(403, 'mutation_user_mismatch', 'Antrean berisi transaksi pengguna lain.');
        let response;
        try {
          response = await this.session.call('POST', '/api/sync/push', { body });
        } catch (err) {
          if (err instanceof ApiError && (err.status === 400 || err.status === 422) && (await this.refuseInvalid(db, batch))) {
            continue; // the items the protocol refuses are answered here; the rest of the queue moves on
          }
          const next = err instanceof ApiError ? rules.afterPushError(err.code, err.detail) : { action: 'fail' };
          if (next.action !== 'resequence' || recoveries >= rules.MAX_RECOVERIES) throw err;
          await renumber(next.start, err.code, err.message);
          continue;
        }
        const plan = outbox.planResults(batch, response);
        const next = rules.afterPushAnswer(plan.outcome);
        if (next.action === 'continue') {
          for (const u of plan.updates) this.answered.set(u.uuid, { rule: u, stored: plan.stored.get(u.uuid) });
          after = plan.answeredTop;
          continue;
        }
        await this.writeAnswered(db);
        await outbox.writeResults(db, plan);
        if (next.action === 'resequence') {
          await renumber(next.start, 'mutation_id_reused', 'Nomor transaksi bertabrakan dengan data server.');
          continue;
        }
        if (next.error) throw Object.assign(new ApiError(503, next.error.code, next.error.message), { reaction: 'retry' });
        return;
      }
    } catch (err) {
      await this.writeAnswered(db).catch(() => {});
      throw err;
    }
  }

  /** Write the push answers kept back by push() (see there). */
  async writeAnswered(db) {
    if (!this.answered.size) return;
    const kept = [...this.answered.values()];
    this.answered.clear();
    await outbox.writeAnswered(db, kept);
  }

  /**
   * Pull until caught up; true if the server lost mutations it had answered (restored backup). The
   * next page is asked for while this one is written (pages are still applied one after another, each
   * with its cursor in one transaction, so a closed tab resumes after the last page it committed).
   */
  async pull(db) {
    let resets = 0;
    const fetchPage = (cursor) => this.session.call('GET', '/api/sync/pull', { query: { client_id: this.clientId, cursor: cursor ?? '', limit: PAGE } });
    let page;
    try {
      page = await fetchPage((await getMeta(db, ['cursor'])).cursor);
      for (;;) {
        if (page.reset) {
          resets += 1;
          if (resets > MAX_RESETS) throw new ApiError(503, 'reset_loop', 'Server terus meminta muat ulang data; coba lagi nanti.');
          await this.writeAnswered(db);
          await resetReplica(db, page.reset.reason);
          this.state.lastReset = { reason: page.reset.reason, at: new Date().toISOString() };
          page = await fetchPage((await getMeta(db, ['cursor'])).cursor);
          continue;
        }
        const more = page.has_more && page.changes.length > 0;
        const next = more ? fetchPage(page.cursor) : null;
        next?.catch(() => {}); // awaited below; a failed apply must not leave it unhandled
        await applyPage(db, page, this.answered); // writes the kept answers it settles
        if (!more) break;
        page = await next;
      }
    } finally {
      await this.writeAnswered(db); // answers no page settled yet, still unsettled
    }
    if (this.session.profile !== this.profile) this.profile = this.session.profile;
    const start = await outbox.lostStart(db, page.last_mutation_id);
    if (start !== null) {
      await outbox.resequence(db, start);
      return true;
    }
    return false;
  }
}

export { saveProfile };
