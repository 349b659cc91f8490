"""A member's device verifies its own ledger from its replica alone, against a real server: after
deposits, withdrawals and a loan disbursed and repaid every account chain checks out, and a replica
row changed, removed or reordered on the device is found (entry, account and reason)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from client_sync import LedgerVerification, SyncClient
from client_sync.ledger import verify_replica
from server.domain.models import COOP_TZ
from server.protocol import (
    DepositCreate,
    DepositVerify,
    LoanApply,
    LoanApprove,
    LoanDisburse,
    LoanRepay,
    WithdrawalCreate,
    WithdrawalVerify,
)
from tests.support.api import DEMO_PASSWORD, login

MEMBER = 5  # anggota05, location 1
TODAY = dt.datetime.now(COOP_TZ).date()


def _applied(results: list[dict[str, Any]]) -> None:
    assert [r["status"] for r in results] == ["applied"] * len(results), results


def _move_money(url: str) -> str:
    """Deposits, a withdrawal and a loan (disbursed, repaid in cash) for the member; returns the loan id."""
    p1, p2, board = login(url, "petugas1"), login(url, "petugas2"), login(url, "pengurus1")
    member = login(url, f"anggota{MEMBER:02d}")
    deposits = [DepositCreate(deposit_id=str(uuid.uuid4()), member_id=MEMBER, savings_type=t, kind="offline",
                              amount=a, location_id=1) for t, a in (("sukarela", 300_000), ("wajib", 50_000))]  # fmt: skip
    _applied(p1.push_ops(*deposits))
    _applied(p2.push_ops(*(DepositVerify(deposit_id=d.deposit_id) for d in deposits)))
    withdrawal = WithdrawalCreate(withdrawal_id=str(uuid.uuid4()), member_id=MEMBER, savings_type="sukarela",
                                  amount=120_000, method="tunai", location_id=1)  # fmt: skip
    _applied(p1.push_ops(withdrawal))
    _applied(p2.push_ops(WithdrawalVerify(withdrawal_id=withdrawal.withdrawal_id)))
    loan = LoanApply(loan_id=str(uuid.uuid4()), member_id=MEMBER, product_id=1, purpose="Pendidikan", amount=3_000_000,
                     tenor=6, requested_disbursement_date=TODAY, location_id=1, disbursement_method="tunai")  # fmt: skip
    _applied(member.push_ops(loan))
    _applied(board.push_ops(LoanApprove(loan_id=loan.loan_id)))
    _applied(p1.push_ops(LoanDisburse(loan_id=loan.loan_id, disbursement_date=TODAY)))
    _applied(p2.push_ops(LoanRepay(repayment_id=str(uuid.uuid4()), loan_id=loan.loan_id, amount=400_000)))
    return loan.loan_id


@pytest.fixture
def moved(fresh_server: Any, tmp_path: Path) -> tuple[Any, SyncClient, str]:
    loan_id = _move_money(fresh_server.url)
    device = SyncClient(tmp_path / "member.sqlite3", fresh_server.url, device_name="hp")
    device.login(f"anggota{MEMBER:02d}", DEMO_PASSWORD)
    assert device.sync_once().ok
    yield fresh_server, device, loan_id
    device.close()


def _server_entries(db_path: Any, member_id: int) -> list[int]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        return [r[0] for r in conn.execute("SELECT seq FROM ledger WHERE member_id = ? ORDER BY seq", (member_id,))]


def _tamper(device: SyncClient, seq: int, change: dict[str, Any] | None) -> None:
    """Edit (or, with None, delete) one ledger row of the device's replica, as a bug or a meddler would."""
    client_id = device.client_id
    with sqlite3.connect(device.db_path) as conn:
        if change is None:
            conn.execute(
                "DELETE FROM rows WHERE client_id = ? AND entity = 'ledger_entry' AND id = ?", (client_id, str(seq))
            )
            return
        (data,) = conn.execute(
            "SELECT data FROM rows WHERE client_id = ? AND entity = 'ledger_entry' AND id = ?", (client_id, str(seq))
        ).fetchone()
        conn.execute(
            "UPDATE rows SET data = ? WHERE client_id = ? AND entity = 'ledger_entry' AND id = ?",
            (json.dumps({**json.loads(data), **change}), client_id, str(seq)),
        )


def _account_seqs(device: SyncClient, account: str) -> list[int]:
    member, _, savings_type = account.partition(":")
    rows = device.store.replica_where(device.client_id, "ledger_entry", "member_id", int(member))
    return sorted(r["seq"] for r in rows if r["savings_type"] == savings_type)


def test_the_members_replica_verifies_every_account_after_money_moved(moved) -> None:
    server, device, loan_id = moved
    result = device.verify_ledger()

    assert isinstance(result, LedgerVerification)
    assert result.ok and result.first_bad_seq is None and result.reason is None, result
    assert result.entries == len(_server_entries(server.db_path, MEMBER))
    accounts = {a.account: a for a in result.accounts}
    assert set(accounts) == {
        f"{MEMBER}:{t}"
        for t in ("pokok", "wajib", "sukarela", f"pinjaman:{loan_id}", f"bunga:{loan_id}", f"biaya_admin:{loan_id}")
    }  # the admin fee, posted at disbursement
    assert all(a.ok for a in accounts.values())
    assert accounts[f"{MEMBER}:sukarela"].balance == accounts[f"{MEMBER}:sukarela"].expected_balance
    assert (
        accounts[f"{MEMBER}:pinjaman:{loan_id}"].expected_balance
        == accounts[f"{MEMBER}:pinjaman:{loan_id}"].balance
        < 3_000_000
    )
    assert "terverifikasi" in result.message


def test_the_member_holds_no_one_elses_entries_yet_can_check_its_own(moved) -> None:
    server, device, _ = moved
    rows = device.store.replica(device.client_id, "ledger_entry")

    assert {r["member_id"] for r in rows} == {MEMBER}
    mine = {r["seq"] for r in rows}
    # the global chain links to entries the member does not hold: only the account chain can be checked
    assert any(r["prev_hash"] not in {x["hash"] for x in rows} for r in rows if r["seq"] > min(mine))
    assert device.verify_ledger(member_id=MEMBER).ok


def test_an_edited_amount_in_the_replica_is_found_at_that_entry(moved) -> None:
    _, device, _ = moved
    seq = _account_seqs(device, f"{MEMBER}:sukarela")[-2]
    _tamper(device, seq, {"amount": 9_000_000})
    result = device.verify_ledger()

    assert (result.ok, result.first_bad_seq, result.first_bad_account, result.reason) == (
        False, seq, f"{MEMBER}:sukarela", "hash_mismatch",
    )  # fmt: skip
    assert f"#{seq}" in result.message and "diubah" in result.message
    assert [a.account for a in result.accounts if not a.ok] == [f"{MEMBER}:sukarela"]


def test_a_removed_middle_entry_is_found_at_the_entry_after_it(moved) -> None:
    _, device, _ = moved
    seqs = _account_seqs(device, f"{MEMBER}:sukarela")
    _tamper(device, seqs[-2], None)
    result = device.verify_ledger()

    assert (result.ok, result.first_bad_seq, result.reason) == (False, seqs[-1], "account_seq_gap")


def test_a_removed_last_entry_is_found_by_the_accounts_balance(moved) -> None:
    _, device, loan_id = moved
    account = f"{MEMBER}:pinjaman:{loan_id}"
    _tamper(device, _account_seqs(device, account)[-1], None)
    result = device.verify_ledger()

    assert (result.ok, result.first_bad_seq, result.first_bad_account, result.reason) == (
        False,
        None,
        account,
        "head_mismatch",
    )


def test_two_entries_swapped_in_place_are_found(moved) -> None:
    _, device, _ = moved
    first, second = _account_seqs(device, f"{MEMBER}:sukarela")[-2:]
    _tamper(device, first, {"account_seq": 99})  # the meddler's first step of swapping places
    result = device.verify_ledger()

    assert (result.ok, result.first_bad_seq, result.reason) == (False, first, "account_seq_gap")
    assert second > first


def test_an_officers_device_verifies_the_members_it_serves_and_one_member_alone(moved, tmp_path: Path) -> None:
    server, _, _ = moved
    with SyncClient(tmp_path / "officer.sqlite3", server.url, device_name="laptop") as officer:
        officer.login("petugas1", DEMO_PASSWORD)
        assert officer.sync_once().ok
        everyone = officer.verify_ledger()
        one = officer.verify_ledger(member_id=MEMBER)

    assert everyone.ok and everyone.entries > one.entries == len(_server_entries(server.db_path, MEMBER))
    assert {a.member_id for a in everyone.accounts} >= {1, 2, MEMBER}
    assert one.ok and {a.member_id for a in one.accounts} == {MEMBER}


def test_the_server_verifies_both_chains_too(moved) -> None:
    server, _, _ = moved
    check = login(server.url, "pengurus1").get("/api/ledger/verify").json()

    assert check == {"ok": True, "entries": check["entries"], "first_bad_seq": None, "mismatched_accounts": [],
                     "broken_accounts": []}  # fmt: skip


# --- without a server ------------------------------------------------------------------------------


def test_a_row_without_the_account_fields_is_reported_as_malformed() -> None:
    legacy_row = {"seq": 3, "at": "t", "member_id": 7, "savings_type": "sukarela", "amount": 5, "kind": "deposit",
                  "ref_id": "r", "ref_code": "c", "balance_after": 5, "prev_hash": "0" * 64, "hash": "h"}  # fmt: skip
    result = verify_replica([legacy_row])

    assert (result.ok, result.entries, result.first_bad_seq, result.first_bad_account, result.reason) == (
        False, 1, 3, "7:sukarela", "malformed_entry",
    )  # fmt: skip


def test_an_empty_replica_verifies_and_a_balance_without_entries_does_not() -> None:
    assert verify_replica([]).ok and verify_replica([]).entries == 0
    result = verify_replica([], [{"member_id": 7, "savings_type": "wajib", "balance": 50_000, "held": 0}])

    assert (result.ok, result.first_bad_seq, result.first_bad_account, result.reason) == (
        False,
        None,
        "7:wajib",
        "head_mismatch",
    )


def test_the_shared_vectors_give_the_same_verdicts_through_the_client(tmp_path: Path) -> None:
    vectors = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "ledger_chain.json").read_text())
    for case in vectors["cases"]:
        if [e["seq"] for e in case["entries"]] != sorted(e["seq"] for e in case["entries"]):
            continue  # a held-order case: a replica has no order but seq, the client sorts by it
        held = [{"member_id": int(k.split(":")[0]), "savings_type": k.split(":", 1)[1], "balance": v}
                for k, v in case["balances"].items()]  # fmt: skip
        result = verify_replica(case["entries"], held)
        first = case["expected"]["first_bad"]
        assert (result.ok, result.entries) == (case["expected"]["ok"], case["expected"]["entries"]), case["name"]
        assert (result.first_bad_account, result.first_bad_seq, result.reason) == (
            (None, None, None) if first is None else (first["account"], first["seq"], first["reason"])
        ), case["name"]
