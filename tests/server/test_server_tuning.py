"""The server process shortens the GIL switch interval so the writer thread is not starved by the event loop."""

from __future__ import annotations

import sys

import httpx

from server.http.app import GIL_SWITCH_SECONDS


def test_running_server_uses_the_short_gil_switch_interval(live_server) -> None:
    assert httpx.get(f"{live_server.url}/api/health").status_code == 200  # started: its startup hook ran
    assert GIL_SWITCH_SECONDS < 0.005  # shorter than CPython's default
    assert sys.getswitchinterval() == GIL_SWITCH_SECONDS
