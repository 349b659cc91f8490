"""DESIGN rules 4 and 10: a cursor the server cannot serve gets a clear ``reset``, never wrong data."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.protocol.protocol_helpers import (
    cash_deposit,
    head,
    pull_to_head,
    replica,
    scalar,
    verify,
)
from tests.support.api import login
from tests.support.servers import ThreadServer, copy_template

ROOT = Path(__file__).resolve().parents[2]


def _parts(cursor: str) -> list[str]:
    """The cursor's dash-separated fields: the epoch first, the feed position last (whatever lies between,
    e.g. the scope generation, is kept as issued)."""
    parts = cursor.split("-")
    assert len(parts) >= 3 and all(p.isdigit() for p in parts[1:]), cursor
    return parts


def _with(cursor: str, index: int, value: object) -> str:
    parts = _parts(cursor)
    parts[index] = str(value)
    return "-".join(parts)


def _assert_reset(page: dict, reason: str, last_mutation_id: int) -> None:
    assert page["reset"] is not None, page
    assert page["reset"]["reason"] == reason and page["reset"]["message"]
    assert page["changes"] == []
    assert page["last_mutation_id"] == last_mutation_id  # the outbox position survives the reset


def _compact(data_dir: Path, below: int) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(data_dir), "compact", str(below)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_cursor_from_another_database_epoch_is_reset(live_server):
    officer = login(live_server.url, "petugas1")
    assert officer.push_ops(cash_deposit(3, 10_000, 1))[0]["status"] == "applied"
    _, last = pull_to_head(officer)
    epoch = _parts(last["cursor"])[0]
    assert epoch == officer.http.get("/api/health").json()["epoch"]
    other_epoch = "0" * len(epoch) if epoch != "0" * len(epoch) else "1" * len(epoch)
    _assert_reset(officer.pull(cursor=_with(last["cursor"], 0, other_epoch)), "epoch_changed", 1)
    # the client recovers by pulling from empty
    changes, page = pull_to_head(officer, cursor="")
    assert changes and page["reset"] is None


def test_garbage_cursor_is_reset_as_invalid(live_server):
    officer = login(live_server.url, "petugas1")
    for garbage in ("not-a-cursor", "abc", "--", "zz-1-1", "0a-1-", "0a-x-1", "0a-1-1-1-1-1", "' OR 1=1 --"):
        _assert_reset(officer.pull(cursor=garbage), "cursor_invalid", 0)


def test_absurdly_long_cursor_numbers_are_invalid_not_a_crash(live_server):
    """A cursor whose numbers have thousands of digits is garbage, not a server error."""
    officer = login(live_server.url, "petugas1")
    _, last = pull_to_head(officer)
    for cursor in (_with(last["cursor"], -1, "9" * 5000), _with(last["cursor"], 1, "9" * 5000)):
        response = officer.http.get("/api/sync/pull", params={"client_id": officer.client_id, "cursor": cursor})
        assert response.status_code in (200, 400), (response.status_code, response.text[:300])
        if response.status_code == 200:
            assert response.json()["reset"]["reason"] in ("cursor_invalid", "cursor_ahead", "scope_changed")


def test_cursor_beyond_the_head_is_reset_as_ahead(live_server):
    officer = login(live_server.url, "petugas1")
    _, last = pull_to_head(officer)
    assert int(_parts(last["cursor"])[-1]) == last["position"]
    _assert_reset(officer.pull(cursor=_with(last["cursor"], -1, head(live_server.db_path) + 1000)), "cursor_ahead", 0)
    # the cursor at the head itself is fine
    at_head = officer.pull(cursor=last["cursor"])
    assert at_head["reset"] is None and at_head["cursor"] == last["cursor"]


def test_cursor_below_the_compaction_floor_is_reset_as_expired_and_rebuild_matches(fresh_server):
    path = fresh_server.db_path
    officer, colleague = login(fresh_server.url, "petugas1"), login(fresh_server.url, "petugas2")
    _, old = pull_to_head(officer)
    old_cursor = old["cursor"]

    deposits = [cash_deposit(3 + i % 3, 10_000 + i, 1) for i in range(10)]
    assert all(r["status"] == "applied" for r in officer.push_ops(*deposits))
    assert all(r["status"] == "applied" for r in colleague.push_ops(*(verify(d.deposit_id) for d in deposits)))
    reference = login(fresh_server.url, "petugas1")
    before_compaction, _ = pull_to_head(reference)

    floor = head(path)
    total_before = scalar(path, "SELECT COUNT(*) FROM changes")
    _compact(fresh_server.data_dir, floor)
    assert scalar(path, "SELECT value FROM meta WHERE key = 'min_seq'") == str(floor)
    assert scalar(path, "SELECT COUNT(*) FROM changes") < total_before  # superseded versions were dropped

    _assert_reset(officer.pull(cursor=old_cursor), "cursor_expired", 10)
    rebuilt, _ = pull_to_head(officer, cursor="")
    assert replica(rebuilt) == replica(before_compaction)  # only superseded versions went away


def test_initial_sync_after_compaction_completes_with_small_pages(fresh_server):
    """After compaction a device rebuilding from an empty cursor must be able to page to the head.

    A page that ends below the compaction floor hands out a cursor the next pull calls expired, so
    a device with a small page size resets forever and never finishes its first sync.
    """
    path = fresh_server.db_path
    officer, colleague = login(fresh_server.url, "petugas1"), login(fresh_server.url, "petugas2")
    deposits = [cash_deposit(3 + i % 3, 10_000 + i, 1) for i in range(10)]
    assert all(r["status"] == "applied" for r in officer.push_ops(*deposits))
    assert all(r["status"] == "applied" for r in colleague.push_ops(*(verify(d.deposit_id) for d in deposits)))
    expected, _ = pull_to_head(login(fresh_server.url, "petugas1"))
    _compact(fresh_server.data_dir, head(path))

    device = login(fresh_server.url, "petugas1")
    cursor, received, resets = "", [], []
    for _ in range(300):
        page = device.pull(cursor=cursor, limit=7)
        if page["reset"] is not None:
            resets.append(page["reset"]["reason"])
            assert len(resets) < 3, f"device keeps being reset: {resets}"
            cursor, received = "", []
            continue
        received += page["changes"]
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    else:
        raise AssertionError("initial sync never finished")
    assert resets == [], f"a fresh device paging from an empty cursor was reset: {resets}"
    assert replica(received) == replica(expected)


def test_compaction_past_the_head_does_not_trap_clients_in_a_reset_loop(fresh_server):
    """``compact N`` with N above the head must not leave every cursor permanently 'expired'."""
    path = fresh_server.db_path
    _compact(fresh_server.data_dir, head(path) + 100)
    device = login(fresh_server.url, "petugas1")
    _, page = pull_to_head(device, cursor="")
    again = device.pull(cursor=page["cursor"])
    assert again["reset"] is None, f"a client that just synced from empty is reset again: {again['reset']}"


def _cli(data_dir: Path, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(data_dir), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, (args, done.stdout[-1000:], done.stderr[-2000:])


def _history_then_backup_then_more(server: ThreadServer, backup: Path):
    """A device pushes 1 deposit, a backup is taken, the device pushes 5 more and pulls past them all."""
    device = login(server.url, "petugas1")
    assert device.push_ops(cash_deposit(3, 10_000, 1))[0]["status"] == "applied"
    with sqlite3.connect(server.db_path) as live, sqlite3.connect(backup) as copy:
        live.backup(copy)  # SQLite's online backup, what an administrator takes
    outbox = [device.mutation(cash_deposit(4, 20_000 + i, 1)) for i in range(5)]  # numbers 2..6
    assert all(r["status"] == "applied" for r in device.push(*outbox).json()["results"])
    seen, last = pull_to_head(device)
    assert {m.op.deposit_id for m in outbox} <= {c["id"] for c in seen if c["entity"] == "deposit"}
    return device, outbox, last


def test_database_restored_with_the_cli_makes_devices_rebuild_and_resend(demo_template, tmp_path):
    """Rule 10 through the supported path (``server.cli restore``): a new epoch resets every cursor, and the
    device's counter "from the future" is answered with a gap so it resends what the restore lost."""
    data_dir = copy_template(demo_template, tmp_path / "data")
    backup = tmp_path / "backup.sqlite3"
    server = ThreadServer(data_dir).start()
    try:
        device, outbox, last = _history_then_backup_then_more(server, backup)
    finally:
        server.stop()
    _cli(data_dir, "restore", str(backup))
    restored = ThreadServer(data_dir).start()
    try:
        device.http.base_url = restored.url
        other = login(restored.url, "petugas2")
        assert all(r["status"] == "applied" for r in other.push_ops(*(cash_deposit(5, 30_000, 1) for _ in range(10))))
        assert head(restored.db_path) > last["position"]
        page = device.pull(cursor=last["cursor"])
        assert page["reset"] is not None and page["reset"]["reason"] == "epoch_changed", page["reset"]
        assert page["last_mutation_id"] == 1  # what the restored database knows of this device

        nxt = device.mutation(cash_deposit(6, 40_000, 1))  # number 7
        gap = device.push(nxt)
        assert gap.status_code == 409 and gap.json()["detail"]["expected"] == 2
        results = device.push(*outbox, nxt).json()["results"]
        assert [r["status"] for r in results] == ["applied"] * 6
        rebuilt, _ = pull_to_head(device, cursor="")
        held = {c["id"] for c in rebuilt if c["entity"] == "deposit"}
        assert {m.op.deposit_id for m in outbox} | {nxt.op.deposit_id} <= held
    finally:
        restored.stop()


def test_database_file_replaced_outside_the_cli_is_still_detected(demo_template, tmp_path):
    """Rule 10 says restored *or replaced*: an administrator copying last night's file back (or a VM
    snapshot rollback) must not let the server serve a device's newer cursor as if nothing happened.
    The epoch lives inside the database, so a copied-back file brings the old epoch with it; once the
    restored server's head passes the device's position, the cursor is accepted and the device
    silently keeps 5 deposits that no longer exist and misses the changes that reused their positions."""
    data_dir = copy_template(demo_template, tmp_path / "data")
    backup = tmp_path / "backup.sqlite3"
    server = ThreadServer(data_dir).start()
    try:
        device, _outbox, last = _history_then_backup_then_more(server, backup)
    finally:
        server.stop()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{server.db_path}{suffix}").unlink(missing_ok=True)
    backup.replace(server.db_path)
    restored = ThreadServer(data_dir).start()
    try:
        device.http.base_url = restored.url
        other = login(restored.url, "petugas2")
        assert all(r["status"] == "applied" for r in other.push_ops(*(cash_deposit(5, 30_000, 1) for _ in range(10))))
        assert head(restored.db_path) > last["position"]  # positions the device has seen now mean other changes
        page = device.pull(cursor=last["cursor"])
        assert page["reset"] is not None, "a cursor from before the file was replaced was served as valid"
    finally:
        restored.stop()
