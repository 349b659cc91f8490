"""Shared rules: amounts within limits, active members, officers of a location, four eyes, unverified only."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain.models import Actor, Member
from server.domain.rules import (
    check_active,
    check_amount,
    check_not_own,
    check_officer_of,
    check_unverified,
    rupiah,
)
from server.errors import Forbidden, InvalidInput, InvalidState

# --- rupiah -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount, text",
    [
        (0, "Rp0"),
        (999, "Rp999"),
        (1_000, "Rp1.000"),
        (10_000, "Rp10.000"),
        (1_250_000, "Rp1.250.000"),
        (100_000_000, "Rp100.000.000"),
    ],
)
def test_rupiah_groups_thousands_with_dots(amount, text):
    assert rupiah(amount) == text


@given(st.integers(min_value=0, max_value=10**15))
def test_rupiah_reads_back_as_the_same_amount_with_groups_of_three(amount):
    text = rupiah(amount)

    assert text.startswith("Rp")
    groups = text[2:].split(".")
    assert int("".join(groups)) == amount
    assert 1 <= len(groups[0]) <= 3
    assert all(len(g) == 3 for g in groups[1:])


# --- check_amount -----------------------------------------------------------------------------------


def test_amount_within_limits_passes_including_both_bounds():
    for amount in (1_000, 50_000, 100_000_000):
        assert check_amount(amount, 1_000, 100_000_000, "setoran") is None


@pytest.mark.parametrize("amount", [0, -1, -50_000])
def test_zero_or_negative_amount_is_rejected_as_not_positive(amount):
    with pytest.raises(InvalidInput) as caught:
        check_amount(amount, 1_000, 100_000_000, "setoran")

    assert caught.value.code == "amount_not_positive"
    assert caught.value.message == "Jumlah setoran harus lebih dari nol."


def test_amount_below_minimum_is_out_of_range_with_limits_in_rupiah():
    with pytest.raises(InvalidInput) as caught:
        check_amount(999, 1_000, 100_000_000, "setoran")

    err = caught.value
    assert err.code == "amount_out_of_range"
    assert err.message == "Jumlah setoran harus antara Rp1.000 dan Rp100.000.000."
    assert err.detail == {"min": 1_000, "max": 100_000_000}


def test_amount_above_maximum_is_out_of_range_with_limits_in_rupiah():
    with pytest.raises(InvalidInput) as caught:
        check_amount(50_000_001, 10_000, 50_000_000, "penarikan")

    err = caught.value
    assert err.code == "amount_out_of_range"
    assert "Rp10.000" in err.message and "Rp50.000.000" in err.message
    assert "penarikan" in err.message
    assert err.detail == {"min": 10_000, "max": 50_000_000}


@pytest.mark.parametrize("amount", [True, False, 5_000.0, 5_000.5, "5000", None])
def test_amount_that_is_not_a_plain_int_is_rejected_before_any_other_check(amount):
    with pytest.raises(InvalidInput) as caught:
        check_amount(amount, 1_000, 100_000_000, "setoran")  # type: ignore[arg-type]

    assert caught.value.code == "amount_not_integer"
    assert caught.value.message == "Jumlah setoran harus bilangan bulat rupiah."


def test_negative_float_is_reported_as_not_integer_rather_than_not_positive():
    with pytest.raises(InvalidInput) as caught:
        check_amount(-1.0, 1_000, 100_000_000, "setoran")  # type: ignore[arg-type]

    assert caught.value.code == "amount_not_integer"


# --- check_active -----------------------------------------------------------------------------------


def test_active_member_passes_the_activity_check():
    assert check_active(Member(id=1, number="A-1", name="Siti", kind="anggota", location_id=1)) is None


def test_inactive_member_is_refused_by_name():
    member = Member(id=1, number="A-1", name="Siti Aminah", kind="anggota", location_id=1, active=False)

    with pytest.raises(InvalidState) as caught:
        check_active(member)

    assert caught.value.code == "member_inactive"
    assert "Siti Aminah" in caught.value.message


# --- check_officer_of -------------------------------------------------------------------------------


def test_officer_of_the_location_may_act_there():
    officer = Actor(user_id=10, role="petugas", location_ids=frozenset({1}))

    assert check_officer_of(officer, 1, "memverifikasi setoran") is None


@pytest.mark.parametrize(
    "actor",
    [
        Actor(user_id=10, role="petugas", location_ids=frozenset({2})),
        Actor(user_id=11, role="pengurus", location_ids=frozenset({1})),
        Actor(user_id=12, role="admin", location_ids=frozenset({1})),
        Actor(user_id=13, role="anggota", member_id=5, location_ids=frozenset({1})),
    ],
    ids=["officer-elsewhere", "pengurus", "admin", "member"],
)
def test_anyone_but_an_officer_of_the_location_is_forbidden_with_the_action_named(actor):
    with pytest.raises(Forbidden) as caught:
        check_officer_of(actor, 1, "memverifikasi setoran")

    assert caught.value.code == "not_officer_of_location"
    assert "memverifikasi setoran" in caught.value.message


# --- check_not_own ----------------------------------------------------------------------------------


def test_officer_may_decide_someone_elses_transaction_for_another_member():
    officer = Actor(user_id=10, role="petugas", member_id=77, location_ids=frozenset({1}))

    assert check_not_own(officer, created_by=20, member_id=100) is None


def test_officer_may_not_decide_a_transaction_they_created():
    officer = Actor(user_id=10, role="petugas", location_ids=frozenset({1}))

    with pytest.raises(Forbidden) as caught:
        check_not_own(officer, created_by=10, member_id=100)

    assert caught.value.code == "own_transaction"


def test_officer_may_not_decide_a_transaction_that_credits_their_own_member_record():
    officer = Actor(user_id=10, role="petugas", member_id=100, location_ids=frozenset({1}))

    with pytest.raises(Forbidden) as caught:
        check_not_own(officer, created_by=20, member_id=100)

    assert caught.value.code == "own_transaction"


# --- check_unverified -------------------------------------------------------------------------------


def test_unverified_transaction_may_still_be_decided():
    assert check_unverified("unverified", "STR-0001", "diverifikasi") is None


@pytest.mark.parametrize(
    "status, phrase",
    [("verified", "sudah diverifikasi"), ("cancelled", "sudah dibatalkan"), ("rejected", "sudah ditolak")],
)
def test_decided_transaction_cannot_be_decided_again_and_the_message_says_why(status, phrase):
    with pytest.raises(InvalidState) as caught:
        check_unverified(status, "STR-0001", "dibatalkan")

    err = caught.value
    assert err.code == "not_unverified"
    assert err.detail == {"status": status}
    assert err.message == f"Transaksi STR-0001 {phrase} sehingga tidak dapat dibatalkan."
