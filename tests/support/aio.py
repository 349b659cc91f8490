"""Run a coroutine to completion from synchronous test code.

Playwright's sync API (the browser tests) keeps an event loop running in the main thread for the whole
session, so a later ``asyncio.run`` there fails ("cannot be called from a running event loop"). A fresh
thread has no loop: the coroutine runs there, whatever ran before.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
