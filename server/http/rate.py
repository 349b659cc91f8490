"""A small per-key request budget (sliding window), for endpoints that must not be enumerated."""

from __future__ import annotations

import time
from collections import deque

from server.errors import TooManyAttempts

__all__ = ["Budget"]


class Budget:
    """At most ``limit`` calls per ``window`` seconds per key; runs on the event loop (no lock needed)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._calls: dict[object, deque[float]] = {}

    def spend(self, key: object, now: float | None = None) -> None:
        """Count one call, or raise 429 ``too_many_requests`` with the seconds to wait."""
        now = time.monotonic() if now is None else now
        calls = self._calls.setdefault(key, deque())
        while calls and calls[0] <= now - self.window:
            calls.popleft()
        if len(calls) >= self.limit:
            wait = max(1, int(calls[0] + self.window - now + 0.999))
            raise TooManyAttempts("too_many_requests", "Terlalu banyak pencarian; coba lagi sebentar lagi.", wait)
        calls.append(now)
        if len(self._calls) > 10_000:  # forget idle keys so the table stays small
            for k in [k for k, v in self._calls.items() if not v or v[-1] <= now - self.window]:
                del self._calls[k]
