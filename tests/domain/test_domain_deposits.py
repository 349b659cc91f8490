"""Deposits (setoran): created unverified, cancelled by their owner, verified or rejected by another officer."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from server.domain.deposits import cancel_deposit, cash_in_hand, create_deposit, reject_deposit, verify_deposit
from server.domain.models import Actor, BankAccount, Deposit, Limits, Member, Posting
from server.domain.savings import DEFAULT_SAVINGS_TYPES
from server.errors import Forbidden, InvalidInput, InvalidState

NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)
LATER = dt.datetime(2026, 11, 25, 14, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
LIMITS = Limits()
POKOK, WAJIB, SUKARELA = DEFAULT_SAVINGS_TYPES

# Location 1 is "Cabang Sleman", location 2 is "Cabang Bantul".
SITI = Member(id=100, number="A-0100", name="Siti Aminah", kind="anggota", location_id=1)
BUDI = Member(id=101, number="A-0101", name="Budi Santoso", kind="anggota", location_id=1)
WATI_IN_BANTUL = Member(id=200, number="A-0200", name="Wati Lestari", kind="anggota", location_id=2)
RINA_AS_MEMBER = Member(id=102, number="A-0102", name="Rina Kurnia", kind="anggota", location_id=1)

SITI_ACTOR = Actor(user_id=20, role="anggota", member_id=100)
BUDI_ACTOR = Actor(user_id=21, role="anggota", member_id=101)
OFFICER_ANDI = Actor(user_id=10, role="petugas", location_ids=frozenset({1}))
OFFICER_DEWI = Actor(user_id=11, role="petugas", location_ids=frozenset({1}))
OFFICER_RINA = Actor(user_id=12, role="petugas", member_id=102, location_ids=frozenset({1}))
OFFICER_IN_BANTUL = Actor(user_id=13, role="petugas", location_ids=frozenset({2}))
PENGURUS = Actor(user_id=30, role="pengurus", location_ids=frozenset({1}))

BRI = BankAccount(id=1, bank="BRI", number="0123-01-000123-30-1", holder="Koperasi Lumbung")
CLOSED_ACCOUNT = BankAccount(id=2, bank="BNI", number="0987654321", holder="Koperasi Lumbung", active=False)


def offline_deposit(**overrides) -> Deposit:
    """Officer Andi records Siti's cash at location 1, unless told otherwise."""
    args = dict(
        deposit_id="dep-1",
        code="STR-0001",
        actor=OFFICER_ANDI,
        member=SITI,
        savings_type=SUKARELA,
        kind="offline",
        amount=250_000,
        location_id=1,
        limits=LIMITS,
        now=NOW,
    )
    args.update(overrides)
    return create_deposit(**args)


def mandiri_deposit(**overrides) -> Deposit:
    """Siti reports her own bank transfer to the cooperative's BRI account, unless told otherwise."""
    args = dict(
        deposit_id="dep-2",
        code="STR-0002",
        actor=SITI_ACTOR,
        member=SITI,
        savings_type=WAJIB,
        kind="mandiri",
        amount=100_000,
        location_id=1,
        limits=LIMITS,
        now=NOW,
        bank_account=BRI,
        transfer_date=TODAY - dt.timedelta(days=1),
        sender_bank="Mandiri",
        account_holder="Siti Aminah",
        attachment="bukti/2026/11/siti.jpg",
    )
    args.update(overrides)
    return create_deposit(**args)


# --- creating: amounts ------------------------------------------------------------------------------


def test_offline_deposit_by_officer_of_the_location_is_created_unverified_with_every_field():
    device_time = NOW - dt.timedelta(minutes=3)

    deposit = offline_deposit(note="setoran bulanan", device_time=device_time)

    assert deposit == Deposit(
        id="dep-1",
        code="STR-0001",
        member_id=100,
        savings_type="sukarela",
        kind="offline",
        amount=250_000,
        location_id=1,
        status="unverified",
        created_by=10,
        created_at=NOW,
        note="setoran bulanan",
        device_time=device_time,
    )
    assert deposit.decided_by is None and deposit.decided_at is None and deposit.reason is None


@pytest.mark.parametrize("amount", [0, -10_000])
def test_deposit_of_zero_or_less_is_rejected_as_not_positive(amount):
    with pytest.raises(InvalidInput) as caught:
        offline_deposit(amount=amount)

    assert caught.value.code == "amount_not_positive"
    assert "setoran" in caught.value.message


def test_deposit_below_the_minimum_is_rejected_naming_the_limits_in_rupiah():
    with pytest.raises(InvalidInput) as caught:
        offline_deposit(amount=999)

    assert caught.value.code == "amount_out_of_range"
    assert "Rp1.000" in caught.value.message
    assert "Rp100.000.000" in caught.value.message
    assert caught.value.detail == {"min": 1_000, "max": 100_000_000}


def test_deposit_above_the_maximum_is_rejected_as_out_of_range():
    with pytest.raises(InvalidInput) as caught:
        offline_deposit(amount=100_000_001)

    assert caught.value.code == "amount_out_of_range"


def test_deposit_limits_come_from_the_cooperatives_settings():
    strict = Limits(min_deposit=5_000, max_deposit=20_000)

    with pytest.raises(InvalidInput) as caught:
        offline_deposit(amount=25_000, limits=strict)
    assert caught.value.message == "Jumlah setoran harus antara Rp5.000 dan Rp20.000."

    assert offline_deposit(amount=20_000, limits=strict).amount == 20_000
    assert offline_deposit(amount=5_000, limits=strict).amount == 5_000


@pytest.mark.parametrize("amount", [True, 50_000.0])
def test_deposit_amount_that_is_a_bool_or_float_is_rejected_as_not_integer(amount):
    with pytest.raises(InvalidInput) as caught:
        offline_deposit(amount=amount)

    assert caught.value.code == "amount_not_integer"


def test_deposit_for_an_inactive_member_is_refused():
    with pytest.raises(InvalidState) as caught:
        offline_deposit(member=msgspec.structs.replace(SITI, active=False))

    assert caught.value.code == "member_inactive"
    assert "Siti Aminah" in caught.value.message


def test_inactive_member_is_refused_for_a_mandiri_deposit_too():
    with pytest.raises(InvalidState) as caught:
        mandiri_deposit(member=msgspec.structs.replace(SITI, active=False))

    assert caught.value.code == "member_inactive"


# --- creating: offline ------------------------------------------------------------------------------


def test_offline_deposit_by_an_officer_of_another_location_is_forbidden():
    with pytest.raises(Forbidden) as caught:
        offline_deposit(actor=OFFICER_IN_BANTUL)

    assert caught.value.code == "not_officer_of_location"


@pytest.mark.parametrize("actor", [SITI_ACTOR, PENGURUS], ids=["member", "pengurus"])
def test_offline_deposit_by_someone_who_is_not_an_officer_is_forbidden(actor):
    with pytest.raises(Forbidden) as caught:
        offline_deposit(actor=actor)

    assert caught.value.code == "not_officer_of_location"


def test_offline_deposit_for_a_member_outside_the_officers_locations_is_forbidden():
    with pytest.raises(Forbidden) as caught:
        offline_deposit(member=WATI_IN_BANTUL)

    assert caught.value.code == "member_outside_location"
    assert "Wati Lestari" in caught.value.message


def test_officer_serving_two_locations_may_record_cash_for_a_member_of_either():
    officer = Actor(user_id=14, role="petugas", location_ids=frozenset({1, 2}))

    deposit = offline_deposit(actor=officer, member=WATI_IN_BANTUL, location_id=1)

    assert deposit.member_id == 200
    assert deposit.location_id == 1
    assert deposit.created_by == 14


def test_offline_deposit_needs_none_of_the_transfer_fields():
    deposit = offline_deposit()

    assert deposit.bank_account_id is None
    assert deposit.transfer_date is None
    assert deposit.attachment is None


# --- creating: mandiri ------------------------------------------------------------------------------


def test_mandiri_deposit_with_every_transfer_field_is_created_unverified():
    deposit = mandiri_deposit()

    assert deposit.status == "unverified"
    assert deposit.kind == "mandiri"
    assert deposit.member_id == 100
    assert deposit.savings_type == "wajib"
    assert deposit.created_by == 20
    assert deposit.bank_account_id == 1
    assert deposit.transfer_date == TODAY - dt.timedelta(days=1)
    assert deposit.sender_bank == "Mandiri"
    assert deposit.account_holder == "Siti Aminah"
    assert deposit.attachment == "bukti/2026/11/siti.jpg"


@pytest.mark.parametrize(
    "actor", [OFFICER_ANDI, PENGURUS, Actor(user_id=40, role="admin")], ids=["officer", "pengurus", "admin"]
)
def test_mandiri_deposit_by_an_actor_without_a_member_record_is_forbidden(actor):
    with pytest.raises(Forbidden) as caught:
        mandiri_deposit(actor=actor)

    assert caught.value.code == "mandiri_requires_member"


@pytest.mark.parametrize(
    "field, label",
    [
        ("bank_account", "Metode Pembayaran (rekening koperasi)"),
        ("transfer_date", "Tanggal Setoran"),
        ("sender_bank", "Bank Transfer"),
        ("account_holder", "Atas Nama"),
        ("attachment", "Bukti Setoran"),
    ],
)
def test_mandiri_deposit_missing_one_transfer_field_names_that_field(field, label):
    with pytest.raises(InvalidInput) as caught:
        mandiri_deposit(**{field: None})

    err = caught.value
    assert err.code == "missing_field"
    detail_name = "bank_account_id" if field == "bank_account" else field
    assert err.detail == {"fields": [detail_name]}
    assert err.message == f"Setoran mandiri wajib mengisi: {label}."


def test_mandiri_deposit_with_nothing_filled_in_lists_all_five_missing_fields_in_form_order():
    with pytest.raises(InvalidInput) as caught:
        mandiri_deposit(bank_account=None, transfer_date=None, sender_bank=None, account_holder=None, attachment=None)

    err = caught.value
    assert err.code == "missing_field"
    assert err.detail == {"fields": ["bank_account_id", "transfer_date", "sender_bank", "account_holder", "attachment"]}
    assert err.message == (
        "Setoran mandiri wajib mengisi: Metode Pembayaran (rekening koperasi), Tanggal Setoran, "
        "Bank Transfer, Atas Nama, Bukti Setoran."
    )


def test_mandiri_deposit_with_empty_strings_counts_them_as_missing():
    with pytest.raises(InvalidInput) as caught:
        mandiri_deposit(sender_bank="", account_holder="", attachment="")

    assert caught.value.detail == {"fields": ["sender_bank", "account_holder", "attachment"]}


def test_mandiri_deposit_with_whitespace_only_text_fields_counts_them_as_missing():
    # Blank means blank: reject_deposit strips its reason, required transfer fields should too.
    with pytest.raises(InvalidInput) as caught:
        mandiri_deposit(sender_bank="   ", account_holder=" \t ")

    assert caught.value.code == "missing_field"
    assert caught.value.detail == {"fields": ["sender_bank", "account_holder"]}


def test_mandiri_deposit_to_an_inactive_cooperative_account_is_rejected():
    with pytest.raises(InvalidInput) as caught:
        mandiri_deposit(bank_account=CLOSED_ACCOUNT)

    assert caught.value.code == "bank_account_inactive"


def test_mandiri_deposit_dated_in_the_future_is_rejected():
    with pytest.raises(InvalidInput) as caught:
        mandiri_deposit(transfer_date=TODAY + dt.timedelta(days=1))

    assert caught.value.code == "transfer_date_in_future"
    assert "Tanggal Setoran" in caught.value.message


def test_mandiri_deposit_transferred_today_is_accepted():
    assert mandiri_deposit(transfer_date=TODAY).transfer_date == TODAY


def test_missing_fields_are_reported_before_the_bank_account_or_date_are_judged():
    with pytest.raises(InvalidInput) as caught:
        mandiri_deposit(bank_account=CLOSED_ACCOUNT, transfer_date=TODAY + dt.timedelta(days=3), attachment=None)

    assert caught.value.code == "missing_field"
    assert caught.value.detail == {"fields": ["attachment"]}


# --- cancelling -------------------------------------------------------------------------------------


def test_officer_who_recorded_a_deposit_may_cancel_it_while_unverified():
    deposit = offline_deposit()

    cancelled = cancel_deposit(deposit, OFFICER_ANDI, LATER)

    assert cancelled.status == "cancelled"
    assert cancelled.decided_by == 10
    assert cancelled.decided_at == LATER
    assert cancelled.decided_role == "petugas"
    assert (
        msgspec.structs.replace(cancelled, status="unverified", decided_by=None, decided_at=None, decided_role=None)
        == deposit
    )


def test_member_credited_by_a_deposit_may_cancel_it_even_though_an_officer_recorded_it():
    cancelled = cancel_deposit(offline_deposit(), SITI_ACTOR, LATER)

    assert cancelled.status == "cancelled"
    assert cancelled.decided_by == 20


def test_member_who_reported_a_mandiri_deposit_may_cancel_it():
    assert cancel_deposit(mandiri_deposit(), SITI_ACTOR, LATER).status == "cancelled"


def test_another_officer_of_the_deposits_location_may_cancel_it():
    assert cancel_deposit(offline_deposit(), OFFICER_DEWI, LATER).decided_by == 11


@pytest.mark.parametrize(
    "actor", [BUDI_ACTOR, OFFICER_IN_BANTUL, PENGURUS], ids=["other-member", "officer-elsewhere", "pengurus"]
)
def test_deposit_cannot_be_cancelled_by_someone_who_neither_owns_it_nor_serves_its_location(actor):
    with pytest.raises(Forbidden) as caught:
        cancel_deposit(mandiri_deposit(), actor, LATER)

    assert caught.value.code == "not_owner"


@pytest.mark.parametrize("status", ["verified", "cancelled", "rejected"])
def test_deposit_can_only_be_cancelled_while_unverified(status):
    deposit = msgspec.structs.replace(offline_deposit(), status=status)

    with pytest.raises(InvalidState) as caught:
        cancel_deposit(deposit, SITI_ACTOR, LATER)

    assert caught.value.code == "not_unverified"
    assert caught.value.detail == {"status": status}
    assert "STR-0001" in caught.value.message


def test_stranger_learns_nothing_about_the_status_of_a_deposit_they_may_not_touch():
    verified = msgspec.structs.replace(offline_deposit(), status="verified")

    with pytest.raises(Forbidden) as caught:
        cancel_deposit(verified, BUDI_ACTOR, LATER)

    assert caught.value.code == "not_owner"


# --- verifying --------------------------------------------------------------------------------------


def test_another_officer_verifies_a_deposit_and_gets_a_positive_posting_for_the_ledger():
    deposit = offline_deposit()

    verified, posting = verify_deposit(deposit, OFFICER_DEWI, LATER)

    assert verified.status == "verified"
    assert verified.decided_by == 11
    assert verified.decided_at == LATER
    assert posting == Posting(
        member_id=100, savings_type="sukarela", amount=250_000, kind="deposit", ref_id="dep-1", ref_code="STR-0001"
    )
    assert deposit.status == "unverified"  # the input is untouched


def test_officer_may_verify_a_members_mandiri_deposit():
    verified, posting = verify_deposit(mandiri_deposit(), OFFICER_ANDI, LATER)

    assert verified.status == "verified"
    assert posting.amount == 100_000
    assert posting.savings_type == "wajib"


@pytest.mark.parametrize(
    "actor",
    [OFFICER_IN_BANTUL, Actor(user_id=40, role="admin"), BUDI_ACTOR],
    ids=["officer-elsewhere", "admin", "member"],
)
def test_deposit_can_only_be_verified_by_an_officer_of_its_location_or_the_board(actor):
    with pytest.raises(Forbidden) as caught:
        verify_deposit(mandiri_deposit(), actor, LATER)

    assert caught.value.code == "not_officer_of_location"


def test_officer_cannot_verify_a_deposit_they_recorded_themselves():
    with pytest.raises(Forbidden) as caught:
        verify_deposit(offline_deposit(), OFFICER_ANDI, LATER)

    assert caught.value.code == "own_transaction"


def test_officer_cannot_verify_a_deposit_that_credits_their_own_savings():
    deposit = offline_deposit(member=RINA_AS_MEMBER)  # recorded by Andi, credits officer Rina

    with pytest.raises(Forbidden) as caught:
        verify_deposit(deposit, OFFICER_RINA, LATER)

    assert caught.value.code == "own_transaction"


@pytest.mark.parametrize("status", ["verified", "cancelled", "rejected"])
def test_deposit_that_is_already_decided_cannot_be_verified(status):
    deposit = msgspec.structs.replace(offline_deposit(), status=status)

    with pytest.raises(InvalidState) as caught:
        verify_deposit(deposit, OFFICER_DEWI, LATER)

    assert caught.value.code == "not_unverified"


def test_verifying_twice_is_refused_the_second_time():
    verified, _ = verify_deposit(offline_deposit(), OFFICER_DEWI, LATER)

    with pytest.raises(InvalidState) as caught:
        verify_deposit(verified, OFFICER_RINA, LATER)

    assert caught.value.code == "not_unverified"


# --- rejecting --------------------------------------------------------------------------------------


def test_officer_rejects_a_deposit_with_the_reason_stored_stripped():
    rejected = reject_deposit(mandiri_deposit(), OFFICER_ANDI, "  Bukti transfer tidak terbaca \n", LATER)

    assert rejected.status == "rejected"
    assert rejected.reason == "Bukti transfer tidak terbaca"
    assert rejected.decided_by == 10
    assert rejected.decided_at == LATER


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_rejecting_a_deposit_without_a_reason_is_refused(reason):
    with pytest.raises(InvalidInput) as caught:
        reject_deposit(mandiri_deposit(), OFFICER_ANDI, reason, LATER)

    assert caught.value.code == "reason_required"


def test_deposit_can_only_be_rejected_by_an_officer_of_its_location():
    with pytest.raises(Forbidden) as caught:
        reject_deposit(mandiri_deposit(), OFFICER_IN_BANTUL, "Salah lokasi", LATER)

    assert caught.value.code == "not_officer_of_location"


def test_officer_cannot_reject_a_deposit_they_recorded_themselves():
    with pytest.raises(Forbidden) as caught:
        reject_deposit(offline_deposit(), OFFICER_ANDI, "Salah catat", LATER)

    assert caught.value.code == "own_transaction"


def test_officer_cannot_reject_a_deposit_that_credits_their_own_savings():
    with pytest.raises(Forbidden) as caught:
        reject_deposit(offline_deposit(member=RINA_AS_MEMBER), OFFICER_RINA, "Salah catat", LATER)

    assert caught.value.code == "own_transaction"


def test_cancelled_deposit_cannot_be_rejected_afterwards():
    cancelled = cancel_deposit(mandiri_deposit(), SITI_ACTOR, LATER)

    with pytest.raises(InvalidState) as caught:
        reject_deposit(cancelled, OFFICER_ANDI, "Terlambat", LATER)

    assert caught.value.code == "not_unverified"
    assert caught.value.detail == {"status": "cancelled"}


# --- cash in hand -----------------------------------------------------------------------------------


def test_cash_in_hand_sums_only_the_officers_own_unverified_offline_deposits():
    mine_1 = offline_deposit(deposit_id="a", amount=100_000)
    mine_2 = offline_deposit(deposit_id="b", amount=50_000, member=BUDI)
    mine_verified = msgspec.structs.replace(offline_deposit(deposit_id="c", amount=70_000), status="verified")
    mine_cancelled = msgspec.structs.replace(offline_deposit(deposit_id="d", amount=30_000), status="cancelled")
    mine_rejected = msgspec.structs.replace(offline_deposit(deposit_id="e", amount=20_000), status="rejected")
    someone_elses = offline_deposit(deposit_id="f", amount=400_000, actor=OFFICER_DEWI)
    a_transfer = mandiri_deposit(deposit_id="g", amount=900_000)

    deposits = [mine_1, mine_2, mine_verified, mine_cancelled, mine_rejected, someone_elses, a_transfer]

    assert cash_in_hand(deposits, OFFICER_ANDI.user_id) == 150_000
    assert cash_in_hand(deposits, OFFICER_DEWI.user_id) == 400_000
    assert cash_in_hand(deposits, SITI_ACTOR.user_id) == 0


def test_cash_in_hand_is_zero_with_no_deposits():
    assert cash_in_hand([], OFFICER_ANDI.user_id) == 0
