"""The background sync loop: sync on a timer or a poke, back off with full jitter when it fails.

Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): after the n-th consecutive
failure wait ``uniform(0, min(cap, base * 2**(n-1)))``, so many devices coming back online at once do
not hammer the server in step. The loop retries forever and never touches the queue's order or
content: that is the store's job; it only decides *when* to call ``sync_once``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Protocol

from .models import ErrorInfo, SyncSummary

__all__ = ["backoff_delay", "backoff_ceiling", "SyncLoop", "Syncable"]

log = logging.getLogger(__name__)

BASE_DELAY = 1.0
MAX_DELAY = 60.0


def backoff_ceiling(failures: int, *, base: float = BASE_DELAY, cap: float = MAX_DELAY) -> float:
    """The upper bound of the wait after ``failures`` consecutive failures (0 after a success)."""
    if failures <= 0:
        return 0.0
    return float(min(cap, base * float(2 ** min(failures - 1, 62))))


def backoff_delay(
    failures: int, *, base: float = BASE_DELAY, cap: float = MAX_DELAY, rng: random.Random | None = None
) -> float:
    """A full-jitter wait: uniform in [0, ceiling]."""
    ceiling = backoff_ceiling(failures, base=base, cap=cap)
    return (rng or random).uniform(0.0, ceiling) if ceiling > 0 else 0.0


class Syncable(Protocol):
    def sync_once(self) -> SyncSummary: ...

    def listen(self, stop: threading.Event, on_poke: Callable[[], object] | None = None) -> None: ...


class SyncLoop:
    """Calls ``client.sync_once()`` every ``interval`` seconds, immediately on ``wake()``, backing off on errors.

    A failure that needs a person (log in again, update the app) is retried at the cap, never given up.
    ``sleep`` may be replaced (tests record the waits instead of sleeping).
    """

    def __init__(
        self,
        client: Syncable,
        *,
        interval: float = 30.0,
        base: float = BASE_DELAY,
        cap: float = MAX_DELAY,
        rng: random.Random | None = None,
        listen: bool = False,
        sleep: Callable[[float, threading.Event], bool] | None = None,
    ) -> None:
        self.client = client
        self.interval = interval
        self.base = base
        self.cap = cap
        self.rng = rng or random.Random()
        self.listen = listen
        self.failures = 0
        self.last_summary: SyncSummary | None = None
        self._wake = threading.Event()
        self._sleep = sleep or self._wait
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def wake(self) -> None:
        """Sync as soon as possible (a poke arrived, the user queued something)."""
        self._wake.set()

    def _wait(self, delay: float, stop: threading.Event) -> bool:
        """Wait up to ``delay``; returns early on ``wake()`` or ``stop``. True if woken."""
        deadline = time.monotonic() + delay
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self._wake.wait(min(remaining, 0.2)):
                self._wake.clear()
                return True
        return False

    def next_delay(self, summary: SyncSummary) -> float:
        """How long to wait after this summary, updating the failure count."""
        if summary.ok:
            self.failures = 0
            return self.interval
        self.failures += 1
        if not summary.retryable:
            return self.cap
        return backoff_delay(self.failures, base=self.base, cap=self.cap, rng=self.rng)

    def step(self) -> float:
        """One sync and the delay that follows it."""
        try:
            summary = self.client.sync_once()
        except Exception as exc:  # a bug must not kill the loop; the outbox is safe on disk
            log.exception("sync failed unexpectedly")
            summary = SyncSummary(errors=[ErrorInfo("unexpected", str(exc), True)])
        self.last_summary = summary
        return self.next_delay(summary)

    def run(self, stop: threading.Event | None = None) -> None:
        stop = stop or self._stop
        listener: threading.Thread | None = None
        if self.listen:
            listener = threading.Thread(
                target=self.client.listen, args=(stop, self.wake), name="lumbung-listen", daemon=True
            )
            listener.start()
        while not stop.is_set():
            delay = self.step()
            if stop.is_set():
                break
            self._sleep(delay, stop)

    def start(self) -> threading.Thread:
        """Run in a daemon thread; ``stop()`` ends it."""
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, args=(self._stop,), name="lumbung-sync", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float | None = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
