"""The restore drill of docs/BACKUP.md, run for real: a daily backup is restored into a fresh data
directory; the ledger verifies; every device (client_sync) resynchronises and nothing in its outbox
is lost, including what it pushed after the backup was taken."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from client_sync import SyncClient
from server.auth import mfa
from server.cli import main
from server.protocol import DepositCreate
from tests.ops.conftest import client_for, login
from tests.ops.test_mfa import _enrol, _step
from tests.support.servers import ThreadServer, copy_template

PASSWORD = "rahasia123"


def _deposit(client: SyncClient, member_id: int, amount: int) -> DepositCreate:
    return DepositCreate(
        deposit_id=client.new_id(),
        member_id=member_id,
        savings_type="sukarela",
        kind="offline",
        amount=amount,
        location_id=1,
    )


def _settle(client: SyncClient) -> None:
    for _ in range(5):
        summary = client.sync_once()
        if summary.ok and not client.pending():
            return
    raise AssertionError(f"not settled: {client.pending()} {client.status()}")


def _deposit_ids(db: Path) -> set[str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return {r[0] for r in conn.execute("SELECT id FROM deposits")}


def test_restore_drill_backup_restore_verify_and_every_device_resyncs(demo_template: Path, tmp_path: Path) -> None:
    old_dir = copy_template(demo_template, tmp_path / "old")
    server = ThreadServer(old_dir, backup_enabled=False).start()
    officer = SyncClient(tmp_path / "officer.sqlite3", server.url, device_name="hp-petugas")
    officer2 = SyncClient(tmp_path / "officer2.sqlite3", server.url, device_name="hp-petugas2")
    member = SyncClient(tmp_path / "member.sqlite3", server.url, device_name="hp-anggota")
    try:
        officer.login("petugas1", PASSWORD)
        officer2.login("petugas2", PASSWORD)
        member.login("anggota01", PASSWORD)
        before = officer.queue(_deposit(officer, 1, 50_000))
        for device in (officer, officer2, member):
            _settle(device)
        totp_secret, _ = _enrol(server.url, "pengurus1")  # a second factor, sealed under the old totp.key
        # the night's backup
        with client_for(server.url, "admin") as http:
            taken = http.post("/api/admin/backups").json()
        assert taken["ok"], taken
        # after the backup: one deposit reaches the old server, others wait offline on the devices
        after = officer.queue(_deposit(officer, 2, 60_000))
        _settle(officer)
        assert after.uuid not in {i.uuid for i in officer.pending()}
        offline = [officer.queue(_deposit(officer, 3, 70_000)), officer2.queue(_deposit(officer2, 4, 80_000))]
        member_balance = {b.savings_type: b.balance for b in member.balances(1)}
    finally:
        server.stop()

    # the old machine is gone: restore onto a fresh data directory (the drill's steps)
    backup_file = old_dir / "backups" / taken["file"]
    fresh = tmp_path / "fresh"
    fresh.mkdir(mode=0o700)
    for key in ("secret.key", "totp.key"):  # kept apart from the backups (BACKUP.md)
        shutil.copy2(old_dir / key, fresh / key)
    assert main(["--data-dir", str(fresh), "restore-backup", str(backup_file)]) == 0
    assert main(["--data-dir", str(fresh), "verify-ledger"]) == 0
    assert after.op.deposit_id not in _deposit_ids(fresh / "lumbung.sqlite3")  # type: ignore[attr-defined]

    for device in (officer, officer2, member):
        device.close()
    restored = ThreadServer(fresh, backup_enabled=False).start()
    # the devices, started again and pointed at the server's new address; their outboxes are on disk
    officer, officer2, member = (
        SyncClient(tmp_path / f"{name}.sqlite3", restored.url) for name in ("officer", "officer2", "member")
    )
    try:
        for device in (officer, officer2, member):
            summary = device.sync_once()
            assert summary.ok, summary.errors
            assert "epoch_changed" in summary.resets or "cursor_ahead" in summary.resets, summary.resets
            _settle(device)
        ids = _deposit_ids(restored.db_path)
        wanted = [before, after, *offline]
        assert {i.op.deposit_id for i in wanted} <= ids  # type: ignore[attr-defined]
        with sqlite3.connect(f"file:{restored.db_path}?mode=ro", uri=True) as conn:
            counts = conn.execute(
                "SELECT id, COUNT(*) FROM deposits WHERE id IN (?, ?, ?, ?) GROUP BY id",
                [i.op.deposit_id for i in wanted],  # type: ignore[attr-defined]
            ).fetchall()
        assert sorted(c for _, c in counts) == [1, 1, 1, 1]  # each exactly once
        assert {d.id for d in officer.deposits()} >= {i.op.deposit_id for i in (before, after, offline[0])}  # type: ignore[attr-defined]
        assert {b.savings_type: b.balance for b in member.balances(1)} == member_balance
        with client_for(restored.url, "admin") as http:
            assert http.post("/api/admin/backups").json()["ok"]
        # the restored TOTP secret still verifies, with the key put back beside the database
        assert login(restored.url, "pengurus1").json()["code"] == "mfa_required"
        assert login(restored.url, "pengurus1", otp=mfa.code_at(totp_secret, _step() + 1)).status_code == 200
    finally:
        for device in (officer, officer2, member):
            device.close()
        restored.stop()
    assert main(["--data-dir", str(fresh), "verify-ledger"]) == 0
