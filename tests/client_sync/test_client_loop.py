"""Backoff with full jitter, and the loop around a real client that cannot reach its server."""

from __future__ import annotations

import random
import threading

import hypothesis.strategies as st
from cs_support import cash_deposit
from hypothesis import given

from client_sync import SyncClient, SyncSummary
from client_sync.loop import SyncLoop, backoff_ceiling, backoff_delay
from client_sync.models import ErrorInfo


def test_ceiling_doubles_up_to_the_cap() -> None:
    assert [backoff_ceiling(n) for n in range(9)] == [0, 1, 2, 4, 8, 16, 32, 60, 60]
    assert backoff_ceiling(10_000) == 60
    assert backoff_ceiling(3, base=0.5, cap=1.5) == 1.5


@given(failures=st.integers(min_value=0, max_value=200), seed=st.integers(min_value=0, max_value=2**32))
def test_full_jitter_stays_between_zero_and_the_ceiling(failures: int, seed: int) -> None:
    delay = backoff_delay(failures, rng=random.Random(seed))
    assert 0.0 <= delay <= backoff_ceiling(failures)


def test_jitter_spreads_devices_apart() -> None:
    rng = random.Random(1)
    delays = {round(backoff_delay(6, rng=rng), 3) for _ in range(50)}
    assert len(delays) > 40


def _failure(retryable: bool) -> SyncSummary:
    return SyncSummary(errors=[ErrorInfo("network", "x", retryable)])


def test_backoff_resets_after_success_and_waits_the_cap_for_human_problems(offline_client: SyncClient) -> None:
    loop = SyncLoop(offline_client, interval=30, rng=random.Random(0))
    for expected in (1, 2, 3):
        loop.next_delay(_failure(True))
        assert loop.failures == expected
    assert loop.next_delay(SyncSummary()) == 30 and loop.failures == 0
    assert loop.next_delay(_failure(False)) == loop.cap  # needs a login or an update: retry, slowly


def test_loop_retries_forever_without_touching_the_queue(offline_client: SyncClient) -> None:
    items = [offline_client.queue(cash_deposit(offline_client, amount=1_000 * (n + 1))) for n in range(3)]
    stop = threading.Event()
    waits: list[float] = []

    def record(delay: float, stop_event: threading.Event) -> bool:
        waits.append(delay)
        if len(waits) == 6:
            stop.set()
        return False

    SyncLoop(offline_client, rng=random.Random(3), sleep=record).run(stop)
    assert len(waits) == 6
    assert all(0 <= w <= backoff_ceiling(n + 1) for n, w in enumerate(waits))
    assert [(i.id, i.uuid, i.state) for i in offline_client.pending()] == [(i.id, i.uuid, "pending") for i in items]
    status = offline_client.status()
    assert status.last_error is not None and status.last_error.code == "network" and status.last_error.retryable


def test_wake_cuts_the_wait_short(offline_client: SyncClient) -> None:
    loop = SyncLoop(offline_client, interval=60)
    stop = threading.Event()
    threading.Timer(0.1, loop.wake).start()
    assert loop._wait(30, stop) is True


def test_started_loop_stops_promptly(offline_client: SyncClient) -> None:
    loop = SyncLoop(offline_client, interval=60, base=0.01, cap=0.02)
    thread = loop.start()
    loop.stop(timeout=5)
    assert not thread.is_alive()
    assert loop.last_summary is not None and not loop.last_summary.ok
