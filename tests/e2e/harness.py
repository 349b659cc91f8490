"""The field, rebuilt on one machine: a server process, a lossy link, devices, and the checks that
must hold after any mix of faults (every mutation ended exactly once, money adds up)."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from client_sync import SyncClient
from client_sync.sync import Progress
from server.protocol import DepositCreate, DepositVerify, WithdrawalCreate
from server.storage.database import Database
from server.storage.savings import check_ledger

if TYPE_CHECKING:
    from tests.support.proxy import FaultProxy
    from tests.support.servers import ProcessServer

__all__ = [
    "PASSWORD",
    "device",
    "drain",
    "cash",
    "withdraw",
    "verify",
    "kill_device_mid_sync",
    "kill_server_mid_push",
    "check_invariants",
    "FaultSwitcher",
    "BackgroundSync",
]

PASSWORD = "rahasia123"
ROOT = Path(__file__).resolve().parents[2]


def device(path: Path, url: str, username: str) -> SyncClient:
    client = SyncClient(path, url, batch_size=25, page_limit=200)
    client.login(username, PASSWORD)
    return client


def drain(client: SyncClient, deadline_s: float = 60) -> None:
    """Sync until nothing is pending; the test fails if that takes longer than the deadline."""
    deadline = time.monotonic() + deadline_s
    while True:
        summary = client.sync_once()
        if summary.ok and not client.pending():
            return
        assert time.monotonic() < deadline, f"device never drained: {summary.errors} pending={len(client.pending())}"
        time.sleep(0.02)


def cash(client: SyncClient, member_id: int, amount: int, location_id: int = 1) -> str:
    deposit_id = str(uuid.uuid4())
    client.queue(
        DepositCreate(
            deposit_id=deposit_id,
            member_id=member_id,
            savings_type="sukarela",
            kind="offline",
            amount=amount,
            location_id=location_id,
        )
    )
    return deposit_id


def withdraw(client: SyncClient, member_id: int, amount: int, location_id: int = 1) -> str:
    withdrawal_id = str(uuid.uuid4())
    client.queue(
        WithdrawalCreate(
            withdrawal_id=withdrawal_id,
            member_id=member_id,
            savings_type="sukarela",
            amount=amount,
            method="tunai",
            location_id=location_id,
        )
    )
    return withdrawal_id


def verify(client: SyncClient, deposit_id: str) -> None:
    client.queue(DepositVerify(deposit_id=deposit_id))


def kill_device_mid_sync(db_path: Path, after_s: float) -> None:
    """Run a device's sync loop in its own process and SIGKILL it mid-flight."""
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "device_child.py"), str(db_path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == b"siap"
        time.sleep(after_s)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)


def server_counter(db_path: Path, client_id: str) -> int:
    conn = sqlite3.connect(db_path, timeout=5)
    try:
        row = conn.execute("SELECT last_mutation_id FROM clients WHERE client_id = ?", (client_id,)).fetchone()
        return 0 if row is None else int(row[0])
    finally:
        conn.close()


def kill_server_mid_push(server: ProcessServer, client: SyncClient, timeout_s: float = 20) -> int:
    """Sync ``client`` in a thread; SIGKILL the server as soon as it has committed part of the queue.

    Returns the server's counter at the kill: some of the device's mutations are in, the rest (and
    the answer to the push in flight) are not. If the sync ends without pushing anything (its items
    were already in, or the link dropped the request), the server is killed all the same.
    """
    start = server_counter(server.db_path, client.client_id or "")
    syncing = threading.Thread(target=client.sync_once)
    syncing.start()
    deadline = time.monotonic() + timeout_s
    while (reached := server_counter(server.db_path, client.client_id or "")) == start and syncing.is_alive():
        assert time.monotonic() < deadline, "the sync neither pushed nor ended"
        time.sleep(0.002)
    server.kill()
    syncing.join(30)
    server.start()
    return reached


class FaultSwitcher:
    """Switches the link's faults from inside a sync: hooked in as ``sync_once``'s progress callback,
    it runs just before a push batch is sent or after a pulled page is applied, so the new fault meets
    a sync half done. A cut heals itself after a short while (a train passing through a tunnel)."""

    MODES = ("clear", "lossy", "very_lossy", "slow", "break", "cut")

    def __init__(self, proxy: FaultProxy, seed: int, rate: float = 0.35) -> None:
        self.proxy = proxy
        self.rate = rate
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.switches: Counter[str] = Counter()
        self.enabled = True

    def on_progress(self, stage: str, _count: int) -> None:
        with self._lock:
            if not self.enabled or self._rng.random() >= self.rate:
                return
            mode = self._rng.choice(self.MODES)
            heal_after = self._rng.uniform(0.02, 0.25)
            self.switches[f"{stage}:{mode}"] += 1
            proxy = self.proxy
            proxy.drop_rate = {"lossy": 0.3, "very_lossy": 0.7}.get(mode, 0.0)
            proxy.delay = 0.003 if mode == "slow" else 0.0
            if mode == "break":
                proxy.break_connections()  # whatever is in flight now, request or answer, is lost
            elif mode == "cut":
                proxy.cut()
                timer = threading.Timer(heal_after, proxy.restore)
                timer.daemon = True
                timer.start()
            else:
                proxy.restore()

    def stop(self) -> None:
        with self._lock:
            self.enabled = False
            self.proxy.restore()
            self.proxy.drop_rate = self.proxy.delay = 0.0


class BackgroundSync:
    """A device's sync loop on its own thread, while the test (the officer) keeps recording on the same
    device: new items land in the outbox between and during syncs."""

    def __init__(self, client: SyncClient, progress: Progress, seed: int) -> None:
        self.client = client
        self._progress = progress
        self._rng = random.Random(seed)
        self._stop = threading.Event()
        self.rounds = 0
        self.failures: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, name=f"sync-{client.db_path}", daemon=True)

    def start(self) -> BackgroundSync:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                summary = self.client.sync_once(progress=self._progress)
            except BaseException as exc:  # noqa: BLE001 - a sync must report errors in its summary, never raise
                self.failures.append(exc)
                return
            self.rounds += 1
            self._stop.wait(self._rng.uniform(0.005, 0.03) if summary.ok else self._rng.uniform(0.02, 0.08))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(120)
        assert not self._thread.is_alive(), "a sync never returned"
        assert not self.failures, self.failures


def check_invariants(db_path: Path, devices: list[SyncClient]) -> dict[str, int]:
    """Every queued mutation ended exactly once, the user sees how, and the money adds up: holds equal
    the unverified withdrawals, no transaction is posted twice, both ledger chains verify on the
    server and every device's replica verifies its own accounts' chains."""
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    totals = {"applied": 0, "rejected": 0}
    try:
        for client in devices:
            items = client.history(limit=100_000)
            assert not client.pending(), "a device still shows pending items"
            for item in items:
                rows = conn.execute("SELECT status, code FROM mutations WHERE uuid = ?", (item.uuid,)).fetchall()
                assert len(rows) == 1, f"mutation {item.uuid} recorded {len(rows)} times"
                assert item.state == rows[0]["status"], (item, dict(rows[0]))
                if item.state == "rejected":
                    assert item.code == rows[0]["code"] and item.message, item
                totals[item.state] += 1
                op = item.op
                if isinstance(op, DepositCreate):
                    present = conn.execute("SELECT COUNT(*) FROM deposits WHERE id = ?", (op.deposit_id,)).fetchone()[0]
                    assert present == (1 if item.state == "applied" else 0), item
                if isinstance(op, WithdrawalCreate):
                    present = conn.execute(
                        "SELECT COUNT(*) FROM withdrawals WHERE id = ?", (op.withdrawal_id,)
                    ).fetchone()[0]
                    assert present == (1 if item.state == "applied" else 0), item
        held = conn.execute(
            "SELECT a.member_id, a.savings_type, a.held, a.balance, COALESCE(SUM(w.amount), 0) AS pending"
            " FROM savings_accounts a LEFT JOIN withdrawals w ON w.member_id = a.member_id"
            " AND w.savings_type = a.savings_type AND w.status = 'unverified' GROUP BY a.member_id, a.savings_type"
        ).fetchall()
        for row in held:
            assert row["held"] == row["pending"] and row["held"] <= row["balance"], dict(row)
        twice = conn.execute(
            "SELECT ref_id, savings_type, COUNT(*) FROM ledger WHERE kind IN ('deposit', 'withdrawal')"
            " GROUP BY ref_id, savings_type HAVING COUNT(*) > 1"
        ).fetchall()
        assert not twice, f"posted twice: {[tuple(r) for r in twice]}"
        for table in ("deposits", "withdrawals"):  # a verified transaction posts once; no other one posts
            posted = dict(conn.execute(
                f"SELECT t.status = 'verified', COUNT(l.seq) FROM {table} t LEFT JOIN ledger l ON l.ref_id = t.id"
                f" AND l.kind IN ('deposit', 'withdrawal') GROUP BY t.status = 'verified'"
            ).fetchall())  # fmt: skip
            verified = conn.execute(f"SELECT COUNT(*) FROM {table} WHERE status = 'verified'").fetchone()[0]
            assert posted.get(1, 0) == verified and posted.get(0, 0) == 0, (table, posted, verified)
    finally:
        conn.close()
    db = Database(db_path)
    try:
        ledger = db.read_sync(check_ledger)
    finally:
        db.close()
    assert ledger.ok, ledger
    for client in devices:
        replica = client.verify_ledger()
        assert replica.ok and replica.entries > 0, (client.db_path, replica.message)
    return totals
