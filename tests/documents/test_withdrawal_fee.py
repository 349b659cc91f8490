"""Issue 10.12: the withdrawal transfer fee is fixed by the server when it takes the request, kept on the
withdrawal (feed row, read API, slip), and posted to the ledger as the cooperative's income at
verification; a later change of the setting rewrites nothing that was already taken."""

from __future__ import annotations

import uuid
from pathlib import Path

import msgspec

from client_sync import SyncClient
from server.protocol import WithdrawalCreate, WithdrawalVerify
from tests.documents.helpers import pdf_text
from tests.support.api import login
from tests.support.servers import ThreadServer, copy_template

FIRST_FEE, LATER_FEE = 6_500, 9_000


def _transfer(withdrawal_id: str, amount: int) -> WithdrawalCreate:
    return WithdrawalCreate(
        withdrawal_id=withdrawal_id,
        member_id=1,
        savings_type="sukarela",
        amount=amount,
        method="transfer",
        location_id=1,
        bank_name="BRI",
        account_number="0021010001",
        account_holder="Budi Santoso",
    )


def _sukarela(session) -> dict:
    return next(b for b in session.get("/api/dashboard").json()["balances"] if b["savings_type"] == "sukarela")


def test_the_fee_is_stored_posted_as_income_and_survives_a_change_of_the_setting(
    demo_template: Path, tmp_path: Path
) -> None:
    data = copy_template(demo_template, tmp_path / "data")
    paid, pending, cash = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    server = ThreadServer(data, withdrawal_transfer_fee=FIRST_FEE).start()
    try:
        member, officer = login(server.url, "anggota01"), login(server.url, "petugas1")
        before = _sukarela(member)["balance"]
        cash_op = msgspec.structs.replace(_transfer(cash, 50_000), method="tunai")
        results = member.push_ops(_transfer(paid, 200_000), _transfer(pending, 100_000), cash_op)
        assert [r["status"] for r in results] == ["applied"] * 3
        rows = {c["data"]["id"]: c["data"] for c in member.pull_all() if c["entity"] == "withdrawal"}
        assert (rows[paid]["fee"], rows[pending]["fee"], rows[cash]["fee"]) == (FIRST_FEE, FIRST_FEE, 0)
        assert officer.push_ops(WithdrawalVerify(withdrawal_id=paid))[0]["status"] == "applied"

        entries = [c["data"] for c in member.pull_all() if c["entity"] == "ledger_entry"]
        debit = next(e for e in entries if e["kind"] == "withdrawal" and e["ref_id"] == paid)
        [income] = [e for e in entries if e["kind"] == "withdrawal_fee"]
        assert debit["amount"] == -200_000 and debit["savings_type"] == "sukarela"
        assert (income["savings_type"], income["amount"], income["balance_after"]) == (
            f"biaya_transfer:{paid}",
            FIRST_FEE,
            FIRST_FEE,
        )
        assert income["seq"] == debit["seq"] + 1 and income["prev_hash"] == debit["hash"]
        assert _sukarela(member)["balance"] == before - 200_000  # the member's balance falls by the amount
        check = login(server.url, "pengurus1").get("/api/ledger/verify").json()
        assert check["ok"] is True and check["mismatched_accounts"] == [] and check["broken_accounts"] == []
    finally:
        server.stop()

    # the cooperative changes its fee; what was already taken keeps the fee it was taken with
    server = ThreadServer(data, withdrawal_transfer_fee=LATER_FEE).start()
    try:
        member, officer = login(server.url, "anggota01"), login(server.url, "petugas1")
        text = pdf_text(member.get(f"/api/documents/withdrawals/{paid}/slip").content)
        assert "Rp6.500" in text and "Rp193.500" in text and "Rp9.000" not in text
        listed = {w["id"]: w for w in member.get("/api/withdrawals", method="transfer", page_size=50).json()["items"]}
        assert listed[paid]["fee"] == FIRST_FEE and listed[pending]["fee"] == FIRST_FEE
        assert officer.push_ops(WithdrawalVerify(withdrawal_id=pending))[0]["status"] == "applied"
        entries = [c["data"] for c in member.pull_all() if c["entity"] == "ledger_entry"]
        later = next(e for e in entries if e["kind"] == "withdrawal_fee" and e["ref_id"] == pending)
        assert later["amount"] == FIRST_FEE  # the fee of the request, not of today's setting
        newer = str(uuid.uuid4())
        assert member.push_ops(_transfer(newer, 100_000))[0]["status"] == "applied"
        text = pdf_text(member.get(f"/api/documents/withdrawals/{newer}/slip").content)
        assert "Rp9.000" in text and "Rp91.000" in text
        assert login(server.url, "admin").get("/api/ledger/verify").json()["ok"] is True
    finally:
        server.stop()


def test_a_device_shows_the_stored_fee_and_the_fee_a_pending_request_will_get(
    demo_template: Path, tmp_path: Path
) -> None:
    server = ThreadServer(copy_template(demo_template, tmp_path / "data"), withdrawal_transfer_fee=FIRST_FEE).start()
    try:
        with SyncClient(tmp_path / "hp.sqlite3", server.url, device_name="tes") as device:
            device.login("anggota01", "rahasia123")
            taken = str(uuid.uuid4())
            device.queue(_transfer(taken, 200_000))
            assert device.sync_once().ok
            [pending_here] = [device.queue(_transfer(str(uuid.uuid4()), 150_000))]
            views = {v.id: v for v in device.withdrawals(member_id=1)}
            assert views[taken].status == "unverified" and (views[taken].fee, views[taken].received) == (
                FIRST_FEE,
                200_000 - FIRST_FEE,
            )
            local = views[pending_here.op.withdrawal_id]  # type: ignore[union-attr]  # a WithdrawalCreate
            assert local.status == "pending" and local.fee == FIRST_FEE and local.received == 150_000 - FIRST_FEE
    finally:
        server.stop()
