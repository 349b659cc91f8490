"""The domain records themselves: actors' roles and locations, available balance, labels and limits."""

from __future__ import annotations

import msgspec
import pytest

from server.domain.models import (
    DEPOSIT_STATUS_LABELS,
    WITHDRAWAL_STATUS_LABELS,
    Actor,
    Limits,
    Member,
    SavingsAccount,
)


def test_officer_is_recognised_by_the_petugas_role():
    assert Actor(user_id=1, role="petugas").is_officer
    for role in ("anggota", "pengurus", "admin"):
        assert not Actor(user_id=1, role=role).is_officer


def test_pengurus_and_admin_are_elevated_but_members_and_officers_are_not():
    assert Actor(user_id=1, role="pengurus").is_elevated
    assert Actor(user_id=1, role="admin").is_elevated
    assert not Actor(user_id=1, role="petugas").is_elevated
    assert not Actor(user_id=1, role="anggota").is_elevated


def test_officer_serves_only_the_locations_assigned_to_them():
    officer = Actor(user_id=1, role="petugas", location_ids=frozenset({1, 3}))

    assert officer.serves(1)
    assert officer.serves(3)
    assert not officer.serves(2)


@pytest.mark.parametrize("role", ["anggota", "pengurus", "admin"])
def test_non_officers_serve_no_location_even_when_attached_to_it(role):
    actor = Actor(user_id=1, role=role, member_id=7, location_ids=frozenset({1}))

    assert not actor.serves(1)


def test_actor_defaults_to_no_member_record_and_no_locations():
    actor = Actor(user_id=5, role="admin")

    assert actor.member_id is None
    assert actor.location_ids == frozenset()


def test_available_balance_is_balance_minus_what_pending_withdrawals_hold():
    assert SavingsAccount(member_id=1, savings_type="sukarela", balance=500_000, held=120_000).available == 380_000
    assert SavingsAccount(member_id=1, savings_type="sukarela").available == 0


def test_member_is_active_unless_said_otherwise():
    member = Member(id=1, number="A-0001", name="Siti", kind="anggota", location_id=1)

    assert member.active is True


def test_records_are_frozen():
    account = SavingsAccount(member_id=1, savings_type="sukarela", balance=10)

    with pytest.raises(AttributeError):
        account.balance = 1_000_000  # type: ignore[misc]
    assert msgspec.structs.replace(account, balance=20).balance == 20
    assert account.balance == 10


def test_status_labels_are_the_indonesian_words_members_see():
    assert DEPOSIT_STATUS_LABELS == {
        "unverified": "Belum Diverifikasi",
        "verified": "Verifikasi",
        "cancelled": "Dibatalkan",
        "rejected": "Ditolak",
    }
    assert WITHDRAWAL_STATUS_LABELS == DEPOSIT_STATUS_LABELS


def test_default_limits_are_the_cooperatives_standard_amounts():
    limits = Limits()

    assert (limits.min_deposit, limits.max_deposit) == (1_000, 100_000_000)
    assert (limits.min_withdrawal, limits.max_withdrawal) == (10_000, 50_000_000)
