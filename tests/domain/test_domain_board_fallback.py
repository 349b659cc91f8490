"""Four eyes with the board as fallback: pengurus verify and reject any location's cash, never their own."""

from __future__ import annotations

import datetime as dt

import pytest

from server.domain.deposits import reject_deposit, verify_deposit
from server.domain.models import Actor, Deposit, SavingsAccount, Withdrawal
from server.domain.rules import check_may_decide, may_decide
from server.domain.withdrawals import reject_withdrawal, verify_withdrawal
from server.errors import Forbidden

NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)
LATER = dt.datetime(2026, 11, 25, 14, 0, tzinfo=dt.UTC)
LONE_OFFICER = Actor(user_id=103, role="petugas", location_ids=frozenset({2}))
BOARD = Actor(user_id=104, role="pengurus")
BOARD_MEMBER_WHO_SAVES = Actor(user_id=106, role="pengurus", member_id=7)
ADMIN = Actor(user_id=105, role="admin")
OTHER_LOCATION_OFFICER = Actor(user_id=101, role="petugas", location_ids=frozenset({1}))
MEMBER = Actor(user_id=7, role="anggota", member_id=7)


def cash(created_by: int = 103, member_id: int = 15, location_id: int = 2) -> Deposit:
    return Deposit(
        id="d1",
        code="STR-2611-000001",
        member_id=member_id,
        savings_type="sukarela",
        kind="offline",
        amount=150_000,
        location_id=location_id,
        status="unverified",
        created_by=created_by,
        created_at=NOW,
    )


def pending_withdrawal(created_by: int = 103, member_id: int = 15) -> tuple[Withdrawal, SavingsAccount]:
    w = Withdrawal(
        id="w1",
        code="PNR-2611-000001",
        member_id=member_id,
        savings_type="sukarela",
        amount=50_000,
        method="tunai",
        location_id=2,
        status="unverified",
        created_by=created_by,
        created_at=NOW,
    )
    return w, SavingsAccount(member_id=member_id, savings_type="sukarela", balance=500_000, held=50_000)


def test_the_board_verifies_a_single_officer_locations_cash_and_the_deposit_says_so():
    verified, posting = verify_deposit(cash(), BOARD, LATER)
    assert verified.status == "verified" and verified.decided_by == 104 and verified.decided_role == "pengurus"
    assert posting.amount == 150_000 and posting.member_id == 15


def test_an_officer_verification_is_recorded_in_the_officer_role():
    colleague = Actor(user_id=102, role="petugas", location_ids=frozenset({2}))
    verified, _ = verify_deposit(cash(), colleague, LATER)
    assert verified.decided_role == "petugas"


def test_the_board_rejects_with_a_reason_recorded_as_pengurus():
    rejected = reject_deposit(cash(), BOARD, "uang kurang", LATER)
    assert rejected.status == "rejected" and rejected.decided_role == "pengurus" and rejected.reason == "uang kurang"


def test_the_board_verifies_and_rejects_withdrawals_too():
    w, account = pending_withdrawal()
    verified, account_after, posting = verify_withdrawal(w, account, BOARD, LATER)
    assert verified.decided_role == "pengurus" and posting.amount == -50_000 and account_after.held == 0
    rejected, released = reject_withdrawal(w, account, BOARD, "tidak sesuai", LATER)
    assert rejected.decided_role == "pengurus" and released.held == 0


@pytest.mark.parametrize(
    ("item", "actor"),
    [
        (cash(created_by=104), BOARD),  # the board member recorded it
        (cash(member_id=7), BOARD_MEMBER_WHO_SAVES),  # it credits the board member's own savings
    ],
    ids=["made-it", "credits-themselves"],
)
def test_the_board_never_decides_its_own_transaction(item: Deposit, actor: Actor):
    for decide in (lambda: verify_deposit(item, actor, LATER), lambda: reject_deposit(item, actor, "x", LATER)):
        with pytest.raises(Forbidden) as caught:
            decide()
        assert caught.value.code == "own_transaction"


def test_the_board_never_decides_a_withdrawal_of_its_own_savings():
    w, account = pending_withdrawal(created_by=106, member_id=7)
    with pytest.raises(Forbidden) as caught:
        verify_withdrawal(w, account, BOARD_MEMBER_WHO_SAVES, LATER)
    assert caught.value.code == "own_transaction"


def test_the_lone_officer_still_cannot_verify_their_own_cash():
    with pytest.raises(Forbidden) as caught:
        verify_deposit(cash(), LONE_OFFICER, LATER)
    assert caught.value.code == "own_transaction"


@pytest.mark.parametrize("actor", [ADMIN, OTHER_LOCATION_OFFICER, MEMBER], ids=["admin", "officer-elsewhere", "member"])
def test_nobody_else_is_a_checker(actor: Actor):
    with pytest.raises(Forbidden) as caught:
        check_may_decide(actor, 2, created_by=103, member_id=15, action="memverifikasi setoran")
    assert caught.value.code == "not_officer_of_location" and "pengurus" in caught.value.message


@pytest.mark.parametrize(
    ("actor", "created_by", "member_id", "expected"),
    [
        (BOARD, 103, 15, True),
        (BOARD, 104, 15, False),
        (BOARD_MEMBER_WHO_SAVES, 103, 7, False),
        (LONE_OFFICER, 103, 15, False),
        (Actor(user_id=102, role="petugas", location_ids=frozenset({2})), 103, 15, True),
        (OTHER_LOCATION_OFFICER, 103, 15, False),
        (ADMIN, 103, 15, False),
        (MEMBER, 103, 15, False),
    ],
)
def test_may_decide_agrees_with_the_check(actor: Actor, created_by: int, member_id: int, expected: bool):
    assert may_decide(actor, 2, created_by, member_id) is expected
    try:
        check_may_decide(actor, 2, created_by, member_id, "memverifikasi setoran")
        allowed = True
    except Forbidden:
        allowed = False
    assert allowed is expected
