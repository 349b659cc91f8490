"""client_sync against the real server (uvicorn on 127.0.0.1 with the demo cooperative).

``live_server`` is shared by the session, so these tests only assert on their own effects;
``fresh_server`` gives a private database where a test counts or tampers with server state.
"""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from cs_support import cash_deposit, closed_url

from client_sync import InvalidCredentials, SyncClient
from client_sync.cli import DB_NAME, main
from server.protocol import DepositCancel, DepositCreate, WithdrawalCreate

PASSWORD = "rahasia123"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def _client(path: Path, url: str, username: str = "petugas1", **kw: Any) -> SyncClient:
    client = SyncClient(path, url, device_name="tes", **kw)
    client.login(username, PASSWORD)
    return client


def _server_rows(db_path: Any, sql: str, *params: Any) -> list[tuple]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        return conn.execute(sql, params).fetchall()


def _until_settled(client: SyncClient, rounds: int = 5) -> None:
    for _ in range(rounds):
        summary = client.sync_once()
        if summary.ok and not client.pending():
            return
    raise AssertionError(f"not settled: {client.pending()} {client.status()}")


# --- login and the first pull -------------------------------------------------------------------


def test_login_then_first_sync_fills_the_replica_within_scope(live_server: Any, tmp_path: Path) -> None:
    client = _client(tmp_path / "d.sqlite3", live_server.url)
    user = client.user
    assert user is not None and user.username == "petugas1" and user.role == "petugas" and user.location_ids == [1]
    summary = client.sync_once()
    assert summary.ok and summary.pulled > 0
    members = client.members()
    assert {m.id for m in members} >= set(range(1, 13)) and all(m.location_id == 1 for m in members)
    assert {b.savings_type for b in client.balances(1)} == {"pokok", "wajib", "sukarela"}
    assert all(b.balance > 0 for b in client.balances(1))
    client.close()
    # offline afterwards: the same device file answers without the server
    with SyncClient(tmp_path / "d.sqlite3", closed_url()) as offline:
        assert offline.user == user and len(offline.members()) == len(members)
        assert offline.status().last_sync_at is not None


def test_wrong_password(live_server: Any, tmp_path: Path) -> None:
    with SyncClient(tmp_path / "d.sqlite3", live_server.url) as client:
        with pytest.raises(InvalidCredentials):
            client.login("petugas1", "salah")
        assert client.user is None


# --- offline queue, then sync ---------------------------------------------------------------------


def test_deposits_queued_offline_are_applied_once_online(live_server: Any, tmp_path: Path) -> None:
    db = tmp_path / "d.sqlite3"
    online = _client(db, live_server.url)
    assert online.sync_once().ok
    before = next(b for b in online.balances(3) if b.savings_type == "sukarela")
    online.close()

    offline = SyncClient(db, closed_url())  # out of signal: the server is never contacted
    items = [offline.queue(cash_deposit(offline, member_id=3, amount=10_000 * (n + 1))) for n in range(3)]
    assert [i.id for i in items] == [1, 2, 3]
    assert [d.status for d in offline.deposits(member_id=3)[:3]] == ["pending"] * 3
    assert not offline.sync_once().ok
    assert len(offline.pending()) == 3
    offline.close()

    client = SyncClient(db, live_server.url)
    progress: list[tuple[str, int]] = []
    summary = client.sync_once(lambda stage, n: progress.append((stage, n)))
    assert summary.ok and summary.applied == 3 and summary.rejected == []
    assert ("push", 3) in progress and any(stage == "pull" for stage, _ in progress)
    assert client.pending() == []
    ids = {i.op.deposit_id for i in items}  # type: ignore[union-attr]
    shown = {d.id: d for d in client.deposits(member_id=3) if d.id in ids}
    assert len(shown) == 3 and all(d.status == "unverified" and d.code and not d.pending for d in shown.values())
    after = next(b for b in client.balances(3) if b.savings_type == "sukarela")
    assert after.balance == before.balance  # cash is pending until verified at the branch
    assert after.pending_deposits >= before.pending_deposits + 60_000
    assert client.cash_in_hand().total >= 60_000


def test_sync_twice_and_a_lost_answer_duplicate_nothing(fresh_server: Any, tmp_path: Path) -> None:
    client = _client(tmp_path / "d.sqlite3", fresh_server.url)
    items = [client.queue(cash_deposit(client, member_id=4, amount=5_000 + n)) for n in range(4)]
    assert client.sync_once().ok
    assert client.sync_once().ok
    # the crash window: the server applied the batch but the device never recorded the answers
    with client.store.atomic() as conn:
        conn.execute("UPDATE outbox SET state = 'pending', visible_at = NULL, settled_at = NULL")
    summary = client.sync_once()
    assert summary.ok and summary.applied == 4
    ids = [i.op.deposit_id for i in items]  # type: ignore[union-attr]
    marks = ",".join("?" * len(ids))
    assert _server_rows(fresh_server.db_path, f"SELECT COUNT(*) FROM deposits WHERE id IN ({marks})", *ids)[0][0] == 4
    uuids = [i.uuid for i in items]
    assert (
        _server_rows(fresh_server.db_path, f"SELECT COUNT(*) FROM mutations WHERE uuid IN ({marks})", *uuids)[0][0] == 4
    )
    assert len([d for d in client.deposits(member_id=4) if d.id in ids]) == 4


def test_a_rejection_reaches_the_user_and_does_not_block_the_queue(live_server: Any, tmp_path: Path) -> None:
    client = _client(tmp_path / "d.sqlite3", live_server.url)
    bad = client.queue(cash_deposit(client, member_id=15, amount=20_000))  # location 2: not petugas1's
    good = client.queue(cash_deposit(client, member_id=5, amount=20_000))
    summary = client.sync_once()
    assert summary.ok and summary.applied == 1
    [rejected] = summary.rejected
    assert rejected.uuid == bad.uuid and rejected.code == "member_outside_location" and rejected.message
    [listed] = client.rejected()
    assert listed.uuid == bad.uuid and listed.message == rejected.message
    assert client.status().rejected == 1 and client.pending() == []
    assert any(d.id == good.op.deposit_id for d in client.deposits(member_id=5))  # type: ignore[union-attr]
    assert not any(d.id == bad.op.deposit_id for d in client.deposits())  # type: ignore[union-attr]


def test_cancel_and_withdrawal_round_trip(live_server: Any, tmp_path: Path) -> None:
    client = _client(tmp_path / "d.sqlite3", live_server.url)
    deposit = client.queue(cash_deposit(client, member_id=6, amount=12_000))
    assert client.sync_once().ok
    deposit_id = deposit.op.deposit_id  # type: ignore[union-attr]
    client.queue(DepositCancel(deposit_id=deposit_id))
    shown = next(d for d in client.deposits(member_id=6) if d.id == deposit_id)
    assert shown.cancelling and shown.status == "unverified"
    available = next(b for b in client.balances(6) if b.savings_type == "sukarela").available
    client.queue(
        WithdrawalCreate(
            withdrawal_id=client.new_id(),
            member_id=6,
            savings_type="sukarela",
            amount=50_000,
            method="tunai",
            location_id=1,
        )
    )
    assert next(b for b in client.balances(6) if b.savings_type == "sukarela").available == available - 50_000
    summary = client.sync_once()
    assert summary.ok, summary
    assert next(d for d in client.deposits(member_id=6) if d.id == deposit_id).status == "cancelled"
    after = next(b for b in client.balances(6) if b.savings_type == "sukarela")
    assert after.available == available - 50_000 and after.held >= 50_000 and after.pending_withdrawals == 0


# --- identity -------------------------------------------------------------------------------------


def test_expired_access_token_is_refreshed_without_a_failure(live_server: Any, tmp_path: Path) -> None:
    client = _client(tmp_path / "d.sqlite3", live_server.url)
    cid = client.client_id
    assert cid
    with client.store.atomic() as conn:  # stale by the clock, and forged: both end in a refresh
        conn.execute("UPDATE profiles SET access_token = 'rusak', access_expires_at = ?", (time.time() + 600,))
    client.queue(cash_deposit(client, member_id=7, amount=3_000))
    summary = client.sync_once()
    assert summary.ok and summary.applied == 1
    assert client.store.profile(cid).access_token != "rusak"  # type: ignore[union-attr]


def test_revoked_session_keeps_the_outbox_and_asks_for_login(live_server: Any, tmp_path: Path) -> None:
    db = tmp_path / "d.sqlite3"
    client = _client(db, live_server.url)
    profile = client.profile
    assert profile is not None and profile.access_token
    httpx.post(
        f"{live_server.url}/api/auth/logout",
        headers={"X-Lumbung-Protocol": "1", "Authorization": f"Bearer {profile.access_token}"},
    )
    item = client.queue(cash_deposit(client, member_id=7, amount=4_000))
    summary = client.sync_once()
    assert not summary.ok and not summary.retryable
    status = client.status()
    assert status.needs_login and status.unsent == 1
    client.login("petugas1", PASSWORD)  # the same user, the same client id: the queue goes out
    assert client.client_id == profile.client_id
    assert client.sync_once().ok
    assert client.store.item_by_uuid(item.uuid).state == "applied"  # type: ignore[union-attr]


def test_shared_device_never_sends_a_queue_under_another_users_token(live_server: Any, tmp_path: Path) -> None:
    client = _client(tmp_path / "d.sqlite3", live_server.url, "petugas1")
    first = client.queue(cash_deposit(client, member_id=8, amount=6_000))
    first_client = client.client_id
    client.logout()
    assert client.user is None and len(client.store.items(first_client or "")) == 1
    client.login("petugas2", PASSWORD)
    assert client.client_id != first_client
    mine = client.queue(cash_deposit(client, member_id=8, amount=7_000))
    assert mine.id == 1
    summary = client.sync_once()
    assert summary.ok and summary.applied == 1
    assert client.store.item_by_uuid(first.uuid).state == "pending"  # type: ignore[union-attr]
    assert client.status().other_users_pending == 1
    client.login("petugas1", PASSWORD)
    assert client.client_id == first_client
    assert client.sync_once().ok
    assert client.store.item_by_uuid(first.uuid).state == "applied"  # type: ignore[union-attr]


# --- protocol recovery ----------------------------------------------------------------------------


def test_counter_from_the_future_is_recovered_from_the_gap(fresh_server: Any, tmp_path: Path) -> None:
    client = _client(tmp_path / "d.sqlite3", fresh_server.url)
    with client.store.atomic() as conn:
        conn.execute("UPDATE profiles SET next_mutation_id = 50")
    items = [client.queue(cash_deposit(client, member_id=9, amount=8_000 + n)) for n in range(2)]
    assert [i.id for i in items] == [50, 51]
    summary = client.sync_once()
    assert summary.ok and summary.applied == 2 and summary.recovered_from == 1
    assert [i.id for i in client.history()] == [2, 1]
    rows = _server_rows(
        fresh_server.db_path, "SELECT mutation_id FROM mutations WHERE client_id = ? ORDER BY 1", client.client_id
    )
    assert rows == [(1,), (2,)]


def test_server_database_replaced_resets_the_replica_and_keeps_the_outbox(fresh_server: Any, tmp_path: Path) -> None:
    client = _client(tmp_path / "d.sqlite3", fresh_server.url)
    assert client.sync_once().ok
    members = len(client.members())
    with sqlite3.connect(fresh_server.db_path) as conn:  # what a restore from another file looks like to a cursor
        conn.execute("UPDATE meta SET value = 'beefbeefbeefbeef' WHERE key = 'epoch'")
    item = client.queue(cash_deposit(client, member_id=10, amount=9_000))
    summary = client.sync_once()
    assert summary.ok and summary.resets == ["epoch_changed"] and summary.applied == 1
    assert len(client.members()) == members
    assert client.store.item_by_uuid(item.uuid).settled  # type: ignore[union-attr]


def test_server_that_lost_acknowledged_mutations_gets_them_again(fresh_server: Any, tmp_path: Path) -> None:
    """A restore from a backup taken before the push: the device resends, the server applies once."""
    backup = tmp_path / "backup.sqlite3"
    client = _client(tmp_path / "d.sqlite3", fresh_server.url)
    with sqlite3.connect(fresh_server.db_path) as src, sqlite3.connect(backup) as dst:
        src.backup(dst)
    items = [client.queue(cash_deposit(client, member_id=11, amount=1_000 + n)) for n in range(3)]
    assert client.sync_once().ok
    with sqlite3.connect(backup) as src, sqlite3.connect(fresh_server.db_path) as dst:
        src.backup(dst)  # the server's database goes back in time
    summary = client.sync_once()
    assert summary.ok and summary.applied == 3 and summary.recovered_from == 1, summary
    assert summary.resets == ["cursor_ahead"]
    ids = [i.op.deposit_id for i in items]  # type: ignore[union-attr]
    assert _server_rows(fresh_server.db_path, "SELECT COUNT(*) FROM deposits WHERE id IN (?,?,?)", *ids)[0][0] == 3
    assert {d.id for d in client.deposits(member_id=11)} >= set(ids)


def test_protocol_mismatch_keeps_the_outbox_and_says_update(live_server: Any, tmp_path: Path) -> None:
    db = tmp_path / "d.sqlite3"
    _client(db, live_server.url).close()
    old_app = SyncClient(db, live_server.url, protocol_version=99)
    item = old_app.queue(cash_deposit(old_app, member_id=12, amount=2_000))
    summary = old_app.sync_once()
    assert not summary.ok and summary.errors[0].code == "protocol_version_unsupported"
    status = old_app.status()
    assert status.needs_update and status.unsent == 1 and "perlu diperbarui" in status.last_error.message  # type: ignore[union-attr]
    old_app.close()
    with SyncClient(db, live_server.url) as updated:
        assert updated.sync_once().ok and not updated.status().needs_update
        assert updated.store.item_by_uuid(item.uuid).state == "applied"  # type: ignore[union-attr]


# --- attachments ----------------------------------------------------------------------------------


def test_member_transfer_with_proof_uploads_before_the_push(live_server: Any, tmp_path: Path) -> None:
    client = _client(tmp_path / "d.sqlite3", live_server.url, "anggota02")
    assert client.sync_once().ok
    accounts = [row for row in client.store.replica(client.client_id or "", "bank_account") if row.get("active")]
    assert accounts, "the feed should carry the cooperative's bank accounts"
    proof = tmp_path / f"bukti-{time.time_ns()}.png"
    proof.write_bytes(PNG + str(time.time_ns()).encode())
    op = DepositCreate(
        deposit_id=client.new_id(),
        member_id=2,
        savings_type="sukarela",
        kind="mandiri",
        amount=25_000,
        location_id=1,
        bank_account_id=accounts[0]["id"],
        transfer_date=dt.date.today(),
        sender_bank="BRI",
        account_holder="Siti",
        attachment=client.attachment_hash(proof),
    )
    item = client.queue(op, attachments=proof)
    summary = client.sync_once()
    assert summary.ok and summary.uploaded == 1 and summary.applied == 1, summary
    assert client.store.item_by_uuid(item.uuid).state == "applied"  # type: ignore[union-attr]


# --- live channel and the loop --------------------------------------------------------------------


def test_poke_wakes_the_loop_when_another_officer_records_something(live_server: Any, tmp_path: Path) -> None:
    watcher = _client(tmp_path / "a.sqlite3", live_server.url, "petugas2")
    assert watcher.sync_once().ok
    from client_sync import SyncLoop

    loop = SyncLoop(watcher, interval=300, listen=True)
    thread = loop.start()
    try:
        time.sleep(0.5)  # let the listener connect
        other = _client(tmp_path / "b.sqlite3", live_server.url, "petugas1")
        item = other.queue(cash_deposit(other, member_id=1, amount=11_111))
        assert other.sync_once().ok
        deadline = time.monotonic() + 8
        target = item.op.deposit_id  # type: ignore[union-attr]
        while time.monotonic() < deadline and not any(d.id == target for d in watcher.deposits(member_id=1)):
            time.sleep(0.1)
        assert any(d.id == target for d in watcher.deposits(member_id=1))
    finally:
        loop.stop()
    assert not thread.is_alive()


# --- the CLI, online ------------------------------------------------------------------------------


def test_cli_login_setor_sync(live_server: Any, tmp_path: Path) -> None:
    def run(*args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        return main(["--data-dir", str(tmp_path), *args], out=out, err=err), out.getvalue(), err.getvalue()

    code, out, err = run("--server", live_server.url, "login", "petugas1", "--password", PASSWORD)
    assert code == 0, err
    assert "Berhasil masuk sebagai" in out and "Menarik perubahan…" in out
    assert (tmp_path / DB_NAME).exists()
    code, out, _ = run("setor", "1", "150.000")
    assert code == 0 and "TERTUNDA" in out
    code, out, _ = run("setor", "15", "10.000", "--lokasi", "1")
    assert code == 1  # member 15 is at location 2: not in petugas1's replica at all
    code, out, err = run("sync")
    assert code == 0, err
    assert "Mengirim 1 transaksi…" in out and "1 diterima" in out
    code, out, _ = run("tertunda")
    assert "Tidak ada transaksi tertunda" in out


def test_cli_sync_lists_rejections_with_reasons(live_server: Any, tmp_path: Path) -> None:
    with _client(tmp_path / DB_NAME, live_server.url) as client:
        client.queue(cash_deposit(client, member_id=16, amount=10_000))
    out, err = io.StringIO(), io.StringIO()
    assert main(["--data-dir", str(tmp_path), "sync"], out=out, err=err) == 0
    text = out.getvalue()
    assert "Transaksi ditolak server:" in text and "member_outside_location" in text and "alasan:" in text


def test_concurrent_syncs_of_one_device_do_not_interleave(fresh_server: Any, tmp_path: Path) -> None:
    db = tmp_path / "d.sqlite3"
    first = _client(db, fresh_server.url)
    second = SyncClient(db, fresh_server.url)
    items = [first.queue(cash_deposit(first, member_id=2, amount=100 + n)) for n in range(20)]
    results: list[bool] = []
    threads = [threading.Thread(target=lambda c=c: results.append(c.sync_once().ok)) for c in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True, True]
    uuids = [i.uuid for i in items]
    marks = ",".join("?" * len(uuids))
    assert (
        _server_rows(fresh_server.db_path, f"SELECT COUNT(*) FROM mutations WHERE uuid IN ({marks})", *uuids)[0][0]
        == 20
    )
    _until_settled(first)


def test_missing_attachment_is_retried_after_uploading(live_server: Any, tmp_path: Path) -> None:
    client = _client(tmp_path / "d.sqlite3", live_server.url, "anggota03")
    assert client.sync_once().ok
    account = next(row for row in client.store.replica(client.client_id or "", "bank_account") if row.get("active"))
    proof = tmp_path / "bukti.png"
    proof.write_bytes(PNG + b"retry" + str(time.time_ns()).encode())
    sha = client.attachment_hash(proof)
    client.queue(
        DepositCreate(
            deposit_id=client.new_id(),
            member_id=3,
            savings_type="sukarela",
            kind="mandiri",
            amount=30_000,
            location_id=1,
            bank_account_id=account["id"],
            transfer_date=dt.date.today(),
            sender_bank="BNI",
            account_holder="Budi",
            attachment=sha,
        ),
        attachments=proof,
    )
    later = client.queue(
        DepositCreate(
            deposit_id=client.new_id(),
            member_id=3,
            savings_type="sukarela",
            kind="mandiri",
            amount=31_000,
            location_id=1,
            bank_account_id=account["id"],
            transfer_date=dt.date.today(),
            sender_bank="BNI",
            account_holder="Budi",
            attachment=sha,
        )
    )
    client.store.mark_uploaded(sha)  # believed uploaded, but the server never got it
    summary = client.sync_once()
    assert summary.retry == 1 and summary.retryable and summary.errors[0].code == "attachment_missing"
    assert client.status().unsent == 2  # nothing after the retried item was processed either
    summary = client.sync_once()
    assert summary.ok and summary.uploaded == 1 and summary.applied == 2, summary
    assert client.store.item_by_uuid(later.uuid).state == "applied"  # type: ignore[union-attr]


def test_lost_answers_on_a_flaky_network_still_apply_exactly_once(fresh_server: Any, tmp_path: Path) -> None:
    from tests.support.proxy import FaultProxy

    proxy = FaultProxy(fresh_server.port, seed=7).start()
    try:
        client = _client(tmp_path / "d.sqlite3", proxy.url)
        client.batch_size = 3
        items = [client.queue(cash_deposit(client, member_id=1 + n % 12, amount=2_000 + n)) for n in range(12)]
        proxy.drop_rate = 0.4
        for _ in range(40):
            client.sync_once()
            if not client.pending():
                break
        proxy.drop_rate = 0.0
        _until_settled(client)
        assert proxy.dropped > 0
    finally:
        proxy.stop()
    uuids = [i.uuid for i in items]
    marks = ",".join("?" * len(uuids))
    assert (
        _server_rows(fresh_server.db_path, f"SELECT COUNT(*) FROM mutations WHERE uuid IN ({marks})", *uuids)[0][0]
        == 12
    )
    ids = [i.op.deposit_id for i in items]  # type: ignore[union-attr]
    assert _server_rows(fresh_server.db_path, f"SELECT COUNT(*) FROM deposits WHERE id IN ({marks})", *ids)[0][0] == 12
    assert all(i.state == "applied" for i in client.history(limit=100))
