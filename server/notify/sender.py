"""The sender: hands pending notices to push services, off the writer thread and off the request path.

One background thread (``push-sender``) wakes when a commit wrote notices (a commit listener) or when
the next retry falls due. Per round it reads due deliveries on a reader connection, **claims** them
through the single writer (committed before any request leaves: a crash after that point never
repeats the send), has the worker process (``worker.py``: pywebpush, a small thread pool, its own GIL) post
them, and records every outcome through the writer. An officer's verification therefore never waits for a push service, and a
notice committed before a crash is still pending when the server comes back.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from urllib.parse import urlsplit

from server.settings import Settings
from server.storage import push as store
from server.storage.database import Database
from server.storage.push_outbox import WAKE

from .keys import KeyStore, VapidKey
from .policy import decide
from .worker import WorkerClient

__all__ = ["PushSender"]

log = logging.getLogger(__name__)

_BATCH = 64
_IDLE_WAIT = 30.0


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _origin(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


class PushSender:
    def __init__(self, db: Database, settings: Settings, keys: KeyStore) -> None:
        self.db = db
        self.settings = settings
        self.keys = keys
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._worker = WorkerClient(settings.push_concurrency)
        self._held: dict[str, float] = {}
        """Push service origin -> time before which nothing is sent to it (after a 429)."""
        self._rng = random.Random()

    # --- lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="push-sender", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._worker.close()

    def on_commit(self, scopes: set[tuple[str, int | None]]) -> None:
        """Commit listener (writer thread): wake up only if that commit wrote notices."""
        if WAKE in scopes:
            self._wake.set()

    # --- the loop ---------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            interrupted = self.db.write_sync(lambda c: store.recover_interrupted(c, _now()))
            if interrupted:
                log.warning("push: %d deliveries were interrupted by a stop and are not repeated", interrupted)
        except Exception:  # the sender must not take the server down
            log.exception("push: recovery failed")
        while not self._stop.is_set():
            try:
                wait = self._round()
            except Exception:  # log, back off, keep going
                log.exception("push: sender round failed")
                wait = 5.0
            if wait > 0:
                self._wake.wait(wait)
                self._wake.clear()

    def _round(self) -> float:
        """One batch; returns how long to sleep before the next (0: go on at once)."""
        now_ts = time.time()
        due = self.db.read_sync(lambda c: store.due_deliveries(c, now_ts, _now(), _BATCH * 2))
        if not due:
            upcoming = self.db.read_sync(store.next_due)
            return _IDLE_WAIT if upcoming is None else min(_IDLE_WAIT, max(0.05, upcoming - time.time()))
        key = self.keys.current()
        doomed: list[store.Result] = []
        sendable: list[store.Due] = []
        for d in due:
            problem = "vapid_key_rotated" if d.problem is None and d.vapid_key_id != key.key_id else d.problem
            if problem is not None:
                doomed.append(store.Result(d.notice_id, d.subscription_id, "failed", problem, None))
            elif self._held.get(_origin(d.endpoint), 0) <= now_ts and len(sendable) < _BATCH:
                sendable.append(d)
        if doomed:
            self.db.write_sync(lambda c: store.record_results(c, doomed, _now()))
            if key.key_id and any(r.reason == "vapid_key_rotated" for r in doomed):
                self.db.write_sync(lambda c: store.mark_resubscribe(c, key.key_id, _now()))
        if not sendable:
            held = [t for t in self._held.values() if t > now_ts]
            return 0 if doomed else max(0.05, min(held, default=now_ts + 1) - now_ts)
        claimed = set(
            self.db.write_sync(lambda c: store.claim(c, [(d.notice_id, d.subscription_id) for d in sendable], _now()))
        )
        batch = [d for d in sendable if (d.notice_id, d.subscription_id) in claimed]
        results = self._attempts(batch, key)
        self.db.write_sync(lambda c: store.record_results(c, results, _now()))
        return 0

    # --- one batch of attempts, in the worker process --------------------------------------------

    def _attempts(self, batch: list[store.Due], key: VapidKey) -> list[store.Result]:
        s = self.settings
        started = time.time()
        jobs = [
            {
                "endpoint": d.endpoint,
                "p256dh": d.p256dh,
                "auth": d.auth,
                "payload": d.payload,
                "ttl": max(60, int(s.push_ttl_seconds - (started - d.created_ts))),
                "urgency": d.urgency,
                "topic": d.topic,
                "timeout": s.push_timeout_seconds,
            }
            for d in batch
        ]
        answers = self._worker.post(key.pem, s.vapid_subject, jobs)
        now = time.time()
        if answers is None:  # the worker died: any of these may have been sent, so none is repeated
            return [
                store.Result(
                    d.notice_id,
                    d.subscription_id,
                    "failed",
                    "interrupted: the push worker stopped while sending; not repeated",
                    None,
                )
                for d in batch
            ]
        results = []
        for d, (status, error, retry_after) in zip(batch, answers, strict=True):
            outcome = decide(
                status=status,
                error=error,
                retry_after=retry_after,
                attempt=d.attempts + 1,
                now=now,
                deadline=d.created_ts + s.push_give_up_seconds,
                base=s.push_retry_base_seconds,
                cap=s.push_retry_max_seconds,
                rng=self._rng,
            )
            if outcome.hold_origin > 0:
                origin = _origin(d.endpoint)
                self._held[origin] = max(self._held.get(origin, 0), now + outcome.hold_origin)
            results.append(
                store.Result(
                    d.notice_id, d.subscription_id, outcome.action, outcome.reason, status, now + outcome.delay
                )
            )
        return results
