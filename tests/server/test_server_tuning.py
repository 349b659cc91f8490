"""Process tuning: a short GIL switch interval (the writer is not starved by the event loop) and a settled heap
(no full garbage collection of the startup objects in the middle of a push)."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from server.http.app import GC_YOUNG_THRESHOLD, GIL_SWITCH_SECONDS
from tests.support.servers import ProcessServer, ThreadServer, copy_template


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


def _heap_metrics(url: str, token: str) -> dict[str, float]:
    response = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 200, response.text
    return {
        family.name: family.samples[0].value
        for family in text_string_to_metric_families(response.text)
        if family.name in ("lumbung_gc_frozen_objects", "lumbung_gc_young_threshold", "process_cpu_seconds")
    }


def test_serve_settles_its_heap_and_an_in_process_server_does_not(demo_template: Path, tmp_path: Path) -> None:
    """``lumbung-server serve`` as its own process reports a frozen heap; a server in the test process
    leaves the test process's collector as it was."""
    token = "scrape-" + "h" * 40
    served = ProcessServer(copy_template(demo_template, tmp_path / "own"), LUMBUNG_METRICS_TOKEN=token).start()
    try:
        own = _heap_metrics(served.url, token)
    finally:
        served.stop()
    assert own["lumbung_gc_frozen_objects"] > 10_000
    assert own["lumbung_gc_young_threshold"] == GC_YOUNG_THRESHOLD
    assert own["process_cpu_seconds"] > 0
    host_threshold, host_frozen = gc.get_threshold()[0], gc.get_freeze_count()
    hosted = ThreadServer(copy_template(demo_template, tmp_path / "hosted"), metrics_token=token).start()
    try:
        guest = _heap_metrics(hosted.url, token)
    finally:
        hosted.stop()
    assert guest["lumbung_gc_young_threshold"] == host_threshold != GC_YOUNG_THRESHOLD
    assert guest["lumbung_gc_frozen_objects"] == host_frozen == gc.get_freeze_count()
