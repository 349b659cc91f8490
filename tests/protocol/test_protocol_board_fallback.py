"""Four eyes over HTTP where a location has one officer: the board (pengurus) verifies, never its own."""

from __future__ import annotations

import sqlite3

from tests.protocol.protocol_helpers import (
    balance,
    cash_deposit,
    pull_to_head,
    query,
    reject_deposit,
    verify,
    verify_withdrawal,
    withdrawal,
)
from tests.support.api import login


def _row(path, table, record_id):
    [row] = query(path, f"SELECT * FROM {table} WHERE id = ?", record_id)
    return dict(row)


def test_single_officer_locations_cash_is_verified_by_pengurus_and_recorded_as_such(fresh_server):
    path = fresh_server.db_path
    lone_officer, board = login(fresh_server.url, "petugas3"), login(fresh_server.url, "pengurus1")
    deposit = cash_deposit(member_id=15, amount=120_000, location_id=2)  # demo location 2 has one officer
    before = balance(path, 15)
    assert lone_officer.push_ops(deposit)[0]["status"] == "applied"

    own = lone_officer.push_ops(verify(deposit.deposit_id))[0]
    assert own["status"] == "rejected" and own["code"] == "own_transaction"  # the officer still can't

    assert board.push_ops(verify(deposit.deposit_id))[0]["status"] == "applied"
    row = _row(path, "deposits", deposit.deposit_id)
    assert row["status"] == "verified" and row["decided_by"] == board.user["id"] and row["decided_role"] == "pengurus"
    assert balance(path, 15) == (before[0] + 120_000, before[1])
    # the member and the officer see who decided, in which role
    member = login(fresh_server.url, "anggota15")
    seen = [c["data"] for c in pull_to_head(member)[0] if c["entity"] == "deposit" and c["id"] == deposit.deposit_id]
    assert seen[-1]["status"] == "verified" and seen[-1]["decided_role"] == "pengurus"


def test_pengurus_may_reject_a_single_officer_locations_cash(fresh_server):
    path = fresh_server.db_path
    lone_officer, board = login(fresh_server.url, "petugas3"), login(fresh_server.url, "pengurus1")
    deposit = cash_deposit(member_id=16, amount=30_000, location_id=2)
    assert lone_officer.push_ops(deposit)[0]["status"] == "applied"
    assert board.push_ops(reject_deposit(deposit.deposit_id, "Uang tidak sampai"))[0]["status"] == "applied"
    row = _row(path, "deposits", deposit.deposit_id)
    assert row["status"] == "rejected" and row["decided_role"] == "pengurus" and row["reason"] == "Uang tidak sampai"


def test_pengurus_cannot_verify_their_own_entry(fresh_server):
    path = fresh_server.db_path
    with sqlite3.connect(path) as conn:  # the board member is also a saver (member 17, location 2)
        conn.execute("UPDATE users SET member_id = 17 WHERE username = 'pengurus1'")
    board = login(fresh_server.url, "pengurus1")
    own = withdrawal(17, 25_000, 2)
    assert board.push_ops(own)[0]["status"] == "applied"  # as a member, for their own savings
    refused = board.push_ops(verify_withdrawal(own.withdrawal_id))[0]
    assert refused["status"] == "rejected" and refused["code"] == "own_transaction"
    assert _row(path, "withdrawals", own.withdrawal_id)["status"] == "unverified"

    # cash the officer collected for the board member's own savings: the board member can't verify it either
    lone_officer = login(fresh_server.url, "petugas3")
    deposit = cash_deposit(member_id=17, amount=40_000, location_id=2)
    assert lone_officer.push_ops(deposit)[0]["status"] == "applied"
    refused = board.push_ops(verify(deposit.deposit_id))[0]
    assert refused["status"] == "rejected" and refused["code"] == "own_transaction"


def test_admin_is_not_a_checker_and_officers_keep_their_location(fresh_server):
    admin, other_site = login(fresh_server.url, "admin"), login(fresh_server.url, "petugas1")
    lone_officer = login(fresh_server.url, "petugas3")
    deposit = cash_deposit(member_id=18, amount=50_000, location_id=2)
    assert lone_officer.push_ops(deposit)[0]["status"] == "applied"
    for actor in (admin, other_site):
        refused = actor.push_ops(verify(deposit.deposit_id))[0]
        assert refused["status"] == "rejected" and refused["code"] == "not_officer_of_location"
    assert _row(fresh_server.db_path, "deposits", deposit.deposit_id)["status"] == "unverified"
