"""The process that talks to push services, so encryption and HTTP never compete with requests for the
server's GIL.

The sender thread (``sender.py``) keeps every database step in the server process, through the single
writer; it hands this process a batch of ready-made jobs over a pipe and gets one raw answer per job
back: ``(status, error, retry_after)``. The process has no database access. It exits when the pipe
closes, so it never outlives the server, even after a SIGKILL.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import threading
import urllib.request
from multiprocessing.connection import Connection
from typing import Any

__all__ = ["Job", "Answer", "post", "WorkerClient"]

Job = dict[str, Any]
"""endpoint, p256dh, auth, payload, ttl, urgency, topic, timeout."""
Answer = tuple[int | None, str | None, str | None]
"""(HTTP status or None on a network error, error text, Retry-After)."""


def _session() -> Any:
    import requests

    session = requests.Session()
    # proxies read once, not from the environment on every request (requests does that per call)
    session.trust_env = False
    session.proxies = {k: v for k, v in urllib.request.getproxies().items() if k in ("http", "https")}
    return session


def post(job: Job, vapid: Any, subject: str, session: Any) -> Answer:
    """One pywebpush send; never raises."""
    import requests
    from pywebpush import WebPushException, webpush

    try:
        response = webpush(
            {"endpoint": job["endpoint"], "keys": {"p256dh": job["p256dh"], "auth": job["auth"]}},
            data=job["payload"],
            vapid_private_key=vapid,
            vapid_claims={"sub": subject},  # a fresh dict every time: pywebpush writes aud and exp into it
            content_encoding="aes128gcm",
            ttl=job["ttl"],
            headers={"Urgency": job["urgency"], "Topic": job["topic"]},
            timeout=job["timeout"],
            requests_session=session,
        )
        return int(getattr(response, "status_code", 201)), None, None
    except WebPushException as exc:
        status = exc.status_code
        if status is None:
            return None, str(exc.message)[:200], None
        text = (getattr(exc.response, "text", "") or "")[:200]
        return int(status), text or None, exc.retry_after
    except (requests.RequestException, OSError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:200], None
    except Exception as exc:  # noqa: BLE001 - a bad subscription must not stop the others
        return 400, f"{type(exc).__name__}: {exc}"[:200], None


def _serve(conn: Connection, concurrency: int) -> None:
    """Child process main loop: (pem, subject, jobs) in, answers out, until the pipe closes."""
    from py_vapid import Vapid02

    local = threading.local()
    keys: dict[bytes, Any] = {}

    def one(args: tuple[Job, Any, str]) -> Answer:
        if getattr(local, "session", None) is None:
            local.session = _session()
        return post(args[0], args[1], args[2], local.session)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        while True:
            try:
                pem, subject, jobs = conn.recv()
            except (EOFError, OSError):
                return
            vapid = keys.get(pem)
            if vapid is None:
                keys.clear()
                vapid = keys[pem] = Vapid02.from_pem(pem)
            conn.send(list(pool.map(one, [(job, vapid, subject) for job in jobs])))


class WorkerClient:
    """The server's handle on the worker process, (re)started on demand."""

    def __init__(self, concurrency: int) -> None:
        self.concurrency = concurrency
        self._ctx = multiprocessing.get_context("spawn")  # never fork a process that runs threads
        self._proc: Any = None
        self._conn: Connection | None = None

    def _ensure(self) -> Connection:
        if self._proc is None or not self._proc.is_alive() or self._conn is None:
            self.close()
            parent, child = self._ctx.Pipe()
            self._proc = self._ctx.Process(
                target=_serve, args=(child, self.concurrency), name="lumbung-push", daemon=True
            )
            self._proc.start()
            child.close()
            self._conn = parent
        return self._conn

    def post(self, pem: bytes, subject: str, jobs: list[Job]) -> list[Answer] | None:
        """Answers in job order, or None if the worker died mid-batch (outcome unknown)."""
        conn = self._ensure()
        try:
            conn.send((pem, subject, jobs))
            return conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            self.close()
            return None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._proc is not None:
            self._proc.join(2)
            if self._proc.is_alive():
                self._proc.kill()
            self._proc = None
