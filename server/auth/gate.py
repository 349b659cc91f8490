"""A bound on password checks running at once, and on those waiting for a turn.

Each argon2 check takes its configured memory (64 MiB by default) and a core for a fraction of a
second; 48 concurrent checks took the server from 91 MB to 2.5 GB. Checks run on worker threads, at
most ``concurrent`` at a time; at most ``waiting`` more may queue; beyond that a request is answered
503 ``busy`` with ``Retry-After`` at once, so the queue (and the time a caller waits) stays bounded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

from server.errors import Retryable

__all__ = ["PasswordGate"]

T = TypeVar("T")


class PasswordGate:
    def __init__(self, concurrent: int, waiting: int) -> None:
        self._limiter = anyio.CapacityLimiter(max(1, concurrent))
        self._capacity = max(1, concurrent) + max(0, waiting)
        self._admitted = 0  # touched only on the event loop, so no lock

    @property
    def admitted(self) -> int:
        return self._admitted

    async def run(self, check: Callable[..., T], *args: object) -> T:
        if self._admitted >= self._capacity:
            raise Retryable("busy", "Server sedang sibuk; coba lagi sebentar lagi.", retry_after=1)
        self._admitted += 1
        try:
            return await anyio.to_thread.run_sync(check, *args, limiter=self._limiter)
        finally:
            self._admitted -= 1
