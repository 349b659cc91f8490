"""kill -9 of a device in the middle of syncing, again and again: nothing is lost, nothing is doubled."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from cs_support import cash_deposit

from client_sync import SyncClient

ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("cs_child.py")


def _spawn(db: Path, url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{CHILD.parent}"}
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), str(db), url],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "siap"
    return proc


def test_kill_9_mid_sync_then_restart_applies_everything_exactly_once(fresh_server: Any, tmp_path: Path) -> None:
    rng = random.Random(20240601)
    db = tmp_path / "device.sqlite3"
    device = SyncClient(db, fresh_server.url)
    device.login("petugas1", "rahasia123")
    queued = []
    for round_ in range(5):
        queued += [
            device.queue(cash_deposit(device, member_id=1 + (n % 12), amount=1_000 + len(queued) + n)) for n in range(8)
        ]
        child = _spawn(db, fresh_server.url)
        queued.append(device.queue(cash_deposit(device, member_id=2, amount=1_500 + round_)))  # queued while it syncs
        time.sleep(rng.uniform(0.0, 0.5))  # lands in pushes, lost answers, and pulls
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    for _ in range(5):  # the restarted app finishes the job
        if device.sync_once().ok and not device.pending():
            break
    assert device.pending() == [] and device.status().unsent == 0

    items = device.history(limit=1000)
    assert sorted(i.id for i in items) == list(range(1, len(queued) + 1))
    assert {i.uuid for i in items} == {q.uuid for q in queued}
    assert [(i.id, i.code, i.message) for i in items if i.state != "applied"] == []
    with sqlite3.connect(f"file:{fresh_server.db_path}?mode=ro", uri=True) as conn:
        uuids = [q.uuid for q in queued]
        marks = ",".join("?" * len(uuids))
        assert conn.execute(f"SELECT COUNT(*) FROM mutations WHERE uuid IN ({marks})", uuids).fetchone()[0] == len(
            queued
        )
        ids = [q.op.deposit_id for q in queued]  # type: ignore[union-attr]
        assert conn.execute(f"SELECT COUNT(*) FROM deposits WHERE id IN ({marks})", ids).fetchone()[0] == len(queued)
        counter = conn.execute(
            "SELECT last_mutation_id FROM clients WHERE client_id = ?", (device.client_id,)
        ).fetchone()
        assert counter[0] == len(queued)
    shown = {d.id for d in device.deposits() if d.id in set(ids)}
    assert shown == set(ids)
    device.close()
