"""Process tuning: a short GIL switch interval (the writer is not starved by the event loop) and a settled heap
(no full garbage collection of the startup objects in the middle of a push)."""

from __future__ import annotations

import subprocess
import sys

import httpx

from server.http.app import GIL_SWITCH_SECONDS


def test_running_server_uses_the_short_gil_switch_interval(live_server) -> None:
    assert httpx.get(f"{live_server.url}/api/health").status_code == 200  # started: its startup hook ran
    assert GIL_SWITCH_SECONDS < 0.005  # shorter than CPython's default
    assert sys.getswitchinterval() == GIL_SWITCH_SECONDS


def test_settle_heap_freezes_the_startup_heap_and_collects_the_young_rarer() -> None:
    """Run in a fresh interpreter: the test process's own collector is not ours to tune."""
    script = (
        "import gc; from server.http.app import GC_YOUNG_THRESHOLD, create_app, settle_heap;"
        "assert gc.get_freeze_count() == 0; settle_heap();"
        "print(gc.get_freeze_count(), gc.get_threshold()[0] == GC_YOUNG_THRESHOLD)"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    frozen, young = out.stdout.split()
    assert int(frozen) > 10_000  # the imported server's objects are out of every later collection's walk
    assert young == "True"


def test_serve_settles_its_heap_and_in_process_servers_do_not() -> None:
    import inspect

    from server import cli
    from server.http import app

    assert "create_app(settings, own_process=True)" in inspect.getsource(cli.cmd_serve)
    assert inspect.signature(app.create_app).parameters["own_process"].default is False
