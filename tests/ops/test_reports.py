"""Issue 10.9: ``report.create`` (Laporkan Masalah) queued like any mutation, bounded and scrubbed,
listed for the admin only; client_sync files one offline."""

from __future__ import annotations

import uuid
from pathlib import Path

import msgspec
import pytest

from client_sync import SyncClient
from server.domain.reports import MASK, scrub
from server.protocol import DepositCreate, DeviceSyncState, ReportCreate
from tests.ops.conftest import ROLES, client_for
from tests.support.api import ApiSession
from tests.support.servers import ThreadServer

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoxMDF9.c2lnbmF0dXJlc2lnbmF0dXJl"


def _report(description: str = "Saldo tidak muncul setelah sinkron", **state: object) -> ReportCreate:
    return ReportCreate(
        report_id=str(uuid.uuid4()),
        description=description,
        app_version="0.4.1+pwa",
        sync_state=DeviceSyncState(**{"pending": 2, "error_codes": ["busy"], **state}),
    )  # type: ignore[arg-type]


def test_scrub_masks_tokens_passwords_and_keys_but_keeps_the_story() -> None:
    text = (
        f"Tidak bisa sinkron. token={JWT} lalu Bearer abcdefghijklmnop123 dan kata sandi: rahasia123, kunci " + "a" * 64
    )
    cleaned = scrub(text)
    assert "Tidak bisa sinkron." in cleaned
    for secret in (JWT, "abcdefghijklmnop123", "rahasia123", "a" * 64):
        assert secret not in cleaned
    assert cleaned.count(MASK) >= 4
    assert scrub("Setoran A0001 Rp150.000 hilang") == "Setoran A0001 Rp150.000 hilang"


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_role_may_file_a_report_and_only_the_admin_reads_the_list(ops_server, role: str) -> None:
    server: ThreadServer = ops_server()
    session = ApiSession(server.url, ROLES[role])
    results = session.push_ops(_report(f"Masalah dari {role}: password=hunter22"))
    assert results[0]["status"] == "applied", results
    with client_for(server.url, ROLES[role]) as http:
        listing = http.get("/api/admin/reports")
    if role == "admin":
        assert listing.status_code == 200
        [row] = listing.json()
        assert row["username"] == ROLES[role] and row["role"] == role and row["app_version"] == "0.4.1+pwa"
        assert row["pending"] == 2 and row["error_codes"] == ["busy"] and "hunter22" not in row["description"]
    else:
        assert (listing.status_code, listing.json()["code"]) == (403, "role_not_allowed")
        with client_for(server.url, "admin") as admin:
            [row] = admin.get("/api/admin/reports").json()
        assert row["user_id"] == session.user["id"] and "hunter22" not in row["description"]
    session.close()


def test_a_report_cannot_carry_messages_rows_or_oversized_text(ops_server) -> None:
    server: ThreadServer = ops_server()
    session = ApiSession(server.url, "anggota01")
    good = msgspec.to_builtins(session.mutation(_report(), number=1))
    bad_bodies = [
        {**good, "op": {**good["op"], "sync_state": {**good["op"]["sync_state"], "error_codes": ["Saldo Budi Rp5jt"]}}},
        {**good, "op": {**good["op"], "sync_state": {**good["op"]["sync_state"], "members": [{"id": 2}]}}},
        {**good, "op": {**good["op"], "description": "x" * 2001}},
        {**good, "op": {**good["op"], "description": ""}},
        {**good, "op": {**good["op"], "app_version": "1.0 <script>"}},
        {**good, "op": {**good["op"], "sync_state": {**good["op"]["sync_state"], "error_codes": ["busy"] * 11}}},
    ]
    for op in bad_bodies:
        response = session.http.post("/api/sync/push", json={"client_id": session.client_id, "mutations": [op]})
        assert response.status_code == 422 and response.json()["code"], response.text
    # nothing left once trimmed: refused with a reason, and the queue moves on
    results = session.push_ops(_report("  \n "), _report("Tombol setor tidak bisa ditekan"))
    assert [(r["status"], r.get("code")) for r in results] == [("rejected", "report_empty"), ("applied", None)]
    # the same report sent twice (a reinstalled device): stored once
    twice = _report()
    first = session.mutation(twice)
    assert session.push(first).json()["results"][0]["status"] == "applied"
    again = ApiSession(server.url, "anggota01")
    resent = again.push(again.mutation(twice, mutation_uuid=first.uuid)).json()["results"][0]
    assert resent["status"] == "applied"  # the stored result, not a second report
    assert again.push_ops(twice)[0]["code"] == "duplicate_id"  # same report under a new mutation
    with client_for(server.url, "admin") as admin:
        assert len(admin.get("/api/admin/reports").json()) == 2
        assert admin.get("/api/admin/reports", params={"limit": 0}).status_code in (400, 422)


def test_client_sync_queues_a_report_offline_and_sends_it_with_the_next_sync(ops_server, tmp_path: Path) -> None:
    server: ThreadServer = ops_server()
    client = SyncClient(tmp_path / "device.sqlite3", server.url, device_name="hp")
    try:
        client.login("petugas1", "rahasia123")
        assert client.sync_once().ok
        client.queue(
            DepositCreate(
                deposit_id=client.new_id(),
                member_id=1,
                savings_type="sukarela",
                kind="offline",
                amount=25_000,
                location_id=1,
            )
        )
        item = client.report_problem("Setoran tertahan di antrean", app_version="cli-0.1")
        assert item.name == "report.create" and item.state == "pending"
        state = item.op.sync_state  # type: ignore[attr-defined]
        assert state.pending == 1 and state.last_sync_at is not None and state.error_codes == []
        summary = client.sync_once()
        assert summary.ok and summary.applied == 2
    finally:
        client.close()
    with client_for(server.url, "admin") as admin:
        [row] = admin.get("/api/admin/reports").json()
    assert row["username"] == "petugas1" and row["description"] == "Setoran tertahan di antrean"
    assert row["app_version"] == "cli-0.1" and row["last_sync_at"] is not None
