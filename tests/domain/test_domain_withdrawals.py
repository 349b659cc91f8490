"""Withdrawals (penarikan): a request holds its amount, an officer pays out and verifies, four eyes apply."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.models import Actor, Limits, Member, Posting, SavingsAccount, Withdrawal
from server.domain.savings import DEFAULT_SAVINGS_TYPES
from server.domain.withdrawals import cancel_withdrawal, create_withdrawal, reject_withdrawal, verify_withdrawal
from server.errors import Forbidden, InvalidInput, InvalidState

NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)
LATER = dt.datetime(2026, 11, 25, 14, 0, tzinfo=dt.UTC)
LIMITS = Limits()
POKOK, WAJIB, SUKARELA = DEFAULT_SAVINGS_TYPES

SITI = Member(id=100, number="A-0100", name="Siti Aminah", kind="anggota", location_id=1)
RINA_AS_MEMBER = Member(id=102, number="A-0102", name="Rina Kurnia", kind="anggota", location_id=1)
WATI_IN_BANTUL = Member(id=200, number="A-0200", name="Wati Lestari", kind="anggota", location_id=2)

SITI_ACTOR = Actor(user_id=20, role="anggota", member_id=100)
BUDI_ACTOR = Actor(user_id=21, role="anggota", member_id=101)
OFFICER_ANDI = Actor(user_id=10, role="petugas", location_ids=frozenset({1}))
OFFICER_DEWI = Actor(user_id=11, role="petugas", location_ids=frozenset({1}))
OFFICER_RINA = Actor(user_id=12, role="petugas", member_id=102, location_ids=frozenset({1}))
OFFICER_IN_BANTUL = Actor(user_id=13, role="petugas", location_ids=frozenset({2}))
PENGURUS = Actor(user_id=30, role="pengurus", location_ids=frozenset({1}))

SITI_SUKARELA = SavingsAccount(member_id=100, savings_type="sukarela", balance=1_000_000)


def request(**overrides) -> tuple[Withdrawal, SavingsAccount]:
    """Siti asks for Rp300.000 of her sukarela savings in cash at location 1, unless told otherwise."""
    args = dict(
        withdrawal_id="wd-1",
        code="TRK-0001",
        actor=SITI_ACTOR,
        member=SITI,
        savings_type=SUKARELA,
        account=SITI_SUKARELA,
        amount=300_000,
        method="tunai",
        location_id=1,
        limits=LIMITS,
        now=NOW,
    )
    args.update(overrides)
    return create_withdrawal(**args)


TRANSFER = dict(method="transfer", bank_name="BCA", account_number="1234567890", account_holder="Siti Aminah")


# --- creating ---------------------------------------------------------------------------------------


def test_member_requests_a_cash_withdrawal_of_own_savings_and_the_amount_is_held():
    device_time = NOW - dt.timedelta(minutes=1)

    withdrawal, account = request(note="biaya sekolah", device_time=device_time)

    assert withdrawal == Withdrawal(
        id="wd-1",
        code="TRK-0001",
        member_id=100,
        savings_type="sukarela",
        amount=300_000,
        method="tunai",
        location_id=1,
        status="unverified",
        created_by=20,
        created_at=NOW,
        note="biaya sekolah",
        device_time=device_time,
    )
    assert account == SavingsAccount(member_id=100, savings_type="sukarela", balance=1_000_000, held=300_000)
    assert account.available == 700_000
    assert SITI_SUKARELA.held == 0  # the input account is untouched


def test_transfer_withdrawal_keeps_the_destination_bank_details():
    withdrawal, _ = request(**TRANSFER)

    assert withdrawal.method == "transfer"
    assert (withdrawal.bank_name, withdrawal.account_number, withdrawal.account_holder) == (
        "BCA",
        "1234567890",
        "Siti Aminah",
    )


def test_the_transfer_fee_is_fixed_on_the_request_from_the_setting_and_cash_has_none():
    with_fee = Limits(withdrawal_transfer_fee=6_500)

    transfer, account = request(**TRANSFER, limits=with_fee)
    cash, _ = request(limits=with_fee)
    small, _ = request(**TRANSFER, amount=10_000, limits=Limits(withdrawal_transfer_fee=25_000))

    assert (transfer.fee, cash.fee, small.fee) == (6_500, 0, 10_000)  # never more than the amount
    assert account.held == 300_000  # the hold is the whole amount: the fee comes out of it


def test_a_verified_withdrawal_posts_its_stored_fee_as_the_cooperatives_income():
    from server.domain.fees import transfer_fee_posting

    withdrawal, account = request(**TRANSFER, limits=Limits(withdrawal_transfer_fee=6_500))
    verified, _, debit = verify_withdrawal(withdrawal, account, OFFICER_ANDI, LATER)

    assert debit.amount == -300_000  # the member's balance falls by the amount
    assert transfer_fee_posting(verified) == Posting(
        100, "biaya_transfer:wd-1", 6_500, "withdrawal_fee", "wd-1", "TRK-0001"
    )
    assert transfer_fee_posting(request()[0]) is None  # no fee, no entry


@pytest.mark.parametrize("savings_type", [POKOK, WAJIB], ids=["pokok", "wajib"])
def test_simpanan_pokok_and_wajib_cannot_be_withdrawn_while_a_member(savings_type):
    account = SavingsAccount(member_id=100, savings_type=savings_type.code, balance=5_000_000)

    with pytest.raises(InvalidInput) as caught:
        request(savings_type=savings_type, account=account)

    err = caught.value
    assert err.code == "savings_type_not_withdrawable"
    assert err.detail == {"savings_type": savings_type.code}
    assert err.message == f"{savings_type.name} tidak dapat ditarik selama masih menjadi anggota."


def test_only_sukarela_among_the_default_savings_types_is_withdrawable():
    assert [t.code for t in DEFAULT_SAVINGS_TYPES if t.withdrawable] == ["sukarela"]


def test_member_cannot_withdraw_from_another_members_savings():
    with pytest.raises(Forbidden) as caught:
        request(actor=BUDI_ACTOR)

    assert caught.value.code == "not_owner"


@pytest.mark.parametrize(
    "actor",
    [OFFICER_IN_BANTUL, PENGURUS, Actor(user_id=40, role="admin")],
    ids=["officer-elsewhere", "pengurus", "admin"],
)
def test_only_an_officer_serving_the_members_location_may_withdraw_on_their_behalf(actor):
    with pytest.raises(Forbidden) as caught:
        request(actor=actor)

    assert caught.value.code == "not_owner"


def test_officer_serving_the_members_location_records_a_withdrawal_for_them():
    withdrawal, account = request(actor=OFFICER_ANDI)

    assert withdrawal.created_by == 10
    assert withdrawal.member_id == 100
    assert account.held == 300_000


def test_officer_serving_the_member_cannot_record_the_withdrawal_at_a_location_they_do_not_serve():
    with pytest.raises(Forbidden) as caught:
        request(actor=OFFICER_ANDI, location_id=2)

    assert caught.value.code == "not_officer_of_location"


def test_officer_withdrawing_their_own_savings_acts_as_a_member():
    account = SavingsAccount(member_id=102, savings_type="sukarela", balance=500_000)

    withdrawal, held = request(actor=OFFICER_RINA, member=RINA_AS_MEMBER, account=account, amount=100_000)

    assert withdrawal.member_id == 102
    assert withdrawal.created_by == 12
    assert held.held == 100_000


def test_withdrawal_for_an_inactive_member_is_refused():
    with pytest.raises(InvalidState) as caught:
        request(member=msgspec.structs.replace(SITI, active=False))

    assert caught.value.code == "member_inactive"


@pytest.mark.parametrize("amount", [0, -1])
def test_withdrawal_of_zero_or_less_is_rejected_as_not_positive(amount):
    with pytest.raises(InvalidInput) as caught:
        request(amount=amount)

    assert caught.value.code == "amount_not_positive"
    assert "penarikan" in caught.value.message


def test_withdrawal_below_the_minimum_is_rejected_naming_the_limits_in_rupiah():
    with pytest.raises(InvalidInput) as caught:
        request(amount=9_999)

    assert caught.value.code == "amount_out_of_range"
    assert caught.value.message == "Jumlah penarikan harus antara Rp10.000 dan Rp50.000.000."
    assert caught.value.detail == {"min": 10_000, "max": 50_000_000}


def test_withdrawal_above_the_maximum_is_rejected_even_with_a_large_balance():
    rich = SavingsAccount(member_id=100, savings_type="sukarela", balance=80_000_000)

    with pytest.raises(InvalidInput) as caught:
        request(account=rich, amount=50_000_001)

    assert caught.value.code == "amount_out_of_range"


def test_withdrawal_at_exactly_the_limits_is_accepted():
    rich = SavingsAccount(member_id=100, savings_type="sukarela", balance=80_000_000)

    assert request(account=rich, amount=10_000)[1].held == 10_000
    assert request(account=rich, amount=50_000_000)[1].held == 50_000_000


@pytest.mark.parametrize("amount", [False, 300_000.0])
def test_withdrawal_amount_that_is_a_bool_or_float_is_rejected_as_not_integer(amount):
    with pytest.raises(InvalidInput) as caught:
        request(amount=amount)

    assert caught.value.code == "amount_not_integer"


@pytest.mark.parametrize("field", ["bank_name", "account_number", "account_holder"])
def test_transfer_withdrawal_missing_a_bank_detail_names_it(field):
    with pytest.raises(InvalidInput) as caught:
        request(**{**TRANSFER, field: None})

    assert caught.value.code == "missing_field"
    assert caught.value.detail == {"fields": [field]}


def test_transfer_withdrawal_with_no_bank_details_lists_all_three():
    with pytest.raises(InvalidInput) as caught:
        request(method="transfer", bank_name="", account_number=None)

    assert caught.value.detail == {"fields": ["bank_name", "account_number", "account_holder"]}


def test_transfer_withdrawal_with_whitespace_only_bank_details_counts_them_as_missing():
    # Blank means blank: reject_withdrawal strips its reason, required bank details should too.
    with pytest.raises(InvalidInput) as caught:
        request(**{**TRANSFER, "account_number": "  ", "account_holder": "\t"})

    assert caught.value.code == "missing_field"
    assert caught.value.detail == {"fields": ["account_number", "account_holder"]}


def test_cash_withdrawal_needs_no_bank_details():
    withdrawal, _ = request(method="tunai")

    assert withdrawal.bank_name is None and withdrawal.account_number is None and withdrawal.account_holder is None


def test_withdrawal_over_available_balance_is_rejected_with_reason():
    partly_held = SavingsAccount(member_id=100, savings_type="sukarela", balance=1_000_000, held=800_000)

    with pytest.raises(InvalidState) as caught:
        request(account=partly_held, amount=200_001)

    err = caught.value
    assert err.code == "insufficient_balance"
    assert err.detail == {"available": 200_000}
    assert err.message == "Saldo Simpanan Sukarela yang tersedia Rp200.000, kurang dari Rp200.001."


def test_withdrawal_of_exactly_the_available_balance_is_accepted_and_leaves_nothing_available():
    _, account = request(amount=1_000_000)

    assert account.held == 1_000_000
    assert account.available == 0


def test_two_requests_together_cannot_exceed_the_balance():
    first, account = request(withdrawal_id="wd-1", amount=600_000)

    with pytest.raises(InvalidState) as caught:
        request(withdrawal_id="wd-2", account=account, amount=500_000)

    assert caught.value.code == "insufficient_balance"
    assert caught.value.detail == {"available": 400_000}

    second, account = request(withdrawal_id="wd-2", account=account, amount=400_000)
    assert account.held == first.amount + second.amount == 1_000_000
    assert account.balance == 1_000_000


# --- cancelling -------------------------------------------------------------------------------------


def test_member_cancels_their_pending_withdrawal_and_the_hold_is_released():
    withdrawal, account = request()

    cancelled, account = cancel_withdrawal(withdrawal, account, SITI_ACTOR, LATER)

    assert cancelled.status == "cancelled"
    assert cancelled.decided_by == 20
    assert cancelled.decided_at == LATER
    assert account == SITI_SUKARELA


def test_officer_of_the_location_may_cancel_a_members_withdrawal():
    withdrawal, account = request()

    cancelled, account = cancel_withdrawal(withdrawal, account, OFFICER_DEWI, LATER)

    assert cancelled.status == "cancelled"
    assert account.held == 0


def test_member_may_cancel_a_withdrawal_an_officer_recorded_for_them():
    withdrawal, account = request(actor=OFFICER_ANDI)

    cancelled, _ = cancel_withdrawal(withdrawal, account, SITI_ACTOR, LATER)

    assert cancelled.status == "cancelled"


@pytest.mark.parametrize(
    "actor", [BUDI_ACTOR, OFFICER_IN_BANTUL, PENGURUS], ids=["other-member", "officer-elsewhere", "pengurus"]
)
def test_withdrawal_cannot_be_cancelled_by_someone_who_neither_owns_it_nor_serves_its_location(actor):
    withdrawal, account = request()

    with pytest.raises(Forbidden) as caught:
        cancel_withdrawal(withdrawal, account, actor, LATER)

    assert caught.value.code == "not_owner"


@pytest.mark.parametrize("status", ["verified", "cancelled", "rejected"])
def test_withdrawal_can_only_be_cancelled_while_unverified(status):
    withdrawal, account = request()
    decided = msgspec.structs.replace(withdrawal, status=status)

    with pytest.raises(InvalidState) as caught:
        cancel_withdrawal(decided, account, SITI_ACTOR, LATER)

    assert caught.value.code == "not_unverified"
    assert "TRK-0001" in caught.value.message


# --- verifying --------------------------------------------------------------------------------------


def test_officer_verifies_a_paid_out_withdrawal_debiting_the_savings_and_releasing_the_hold():
    withdrawal, account = request()

    verified, account, posting = verify_withdrawal(withdrawal, account, OFFICER_ANDI, LATER)

    assert verified.status == "verified"
    assert verified.decided_by == 10
    assert verified.decided_at == LATER
    assert posting == Posting(
        member_id=100, savings_type="sukarela", amount=-300_000, kind="withdrawal", ref_id="wd-1", ref_code="TRK-0001"
    )
    assert account.held == 0
    assert account.balance == 1_000_000  # the balance moves when the ledger applies the posting


def test_after_verification_and_posting_the_member_has_the_rest_available():
    withdrawal, account = request()
    _, account, posting = verify_withdrawal(withdrawal, account, OFFICER_ANDI, LATER)

    posted = msgspec.structs.replace(account, balance=account.balance + posting.amount)

    assert posted.balance == 700_000
    assert posted.available == 700_000


@pytest.mark.parametrize(
    "actor",
    [OFFICER_IN_BANTUL, Actor(user_id=40, role="admin"), BUDI_ACTOR],
    ids=["officer-elsewhere", "admin", "member"],
)
def test_withdrawal_can_only_be_verified_by_an_officer_of_its_location_or_the_board(actor):
    withdrawal, account = request()

    with pytest.raises(Forbidden) as caught:
        verify_withdrawal(withdrawal, account, actor, LATER)

    assert caught.value.code == "not_officer_of_location"


def test_officer_cannot_verify_a_withdrawal_they_recorded_themselves():
    withdrawal, account = request(actor=OFFICER_ANDI)

    with pytest.raises(Forbidden) as caught:
        verify_withdrawal(withdrawal, account, OFFICER_ANDI, LATER)

    assert caught.value.code == "own_transaction"


def test_officer_cannot_verify_a_withdrawal_from_their_own_savings():
    account = SavingsAccount(member_id=102, savings_type="sukarela", balance=500_000)
    withdrawal, account = request(actor=OFFICER_ANDI, member=RINA_AS_MEMBER, account=account, amount=100_000)

    with pytest.raises(Forbidden) as caught:
        verify_withdrawal(withdrawal, account, OFFICER_RINA, LATER)

    assert caught.value.code == "own_transaction"


@pytest.mark.parametrize("status", ["verified", "cancelled", "rejected"])
def test_withdrawal_that_is_already_decided_cannot_be_verified(status):
    withdrawal, account = request()

    with pytest.raises(InvalidState) as caught:
        verify_withdrawal(msgspec.structs.replace(withdrawal, status=status), account, OFFICER_ANDI, LATER)

    assert caught.value.code == "not_unverified"


def test_verification_refuses_to_debit_more_than_the_balance_as_a_last_guard():
    withdrawal, _ = request()
    drained = SavingsAccount(member_id=100, savings_type="sukarela", balance=299_999, held=300_000)

    with pytest.raises(InvalidState) as caught:
        verify_withdrawal(withdrawal, drained, OFFICER_ANDI, LATER)

    assert caught.value.code == "insufficient_balance"


# --- rejecting --------------------------------------------------------------------------------------


def test_officer_rejects_a_withdrawal_with_a_stripped_reason_and_the_hold_is_released():
    withdrawal, account = request()

    rejected, account = reject_withdrawal(withdrawal, account, OFFICER_ANDI, "  Rekening tujuan salah  ", LATER)

    assert rejected.status == "rejected"
    assert rejected.reason == "Rekening tujuan salah"
    assert rejected.decided_by == 10
    assert rejected.decided_at == LATER
    assert account == SITI_SUKARELA


@pytest.mark.parametrize("reason", ["", "  ", "\n"])
def test_rejecting_a_withdrawal_without_a_reason_is_refused(reason):
    withdrawal, account = request()

    with pytest.raises(InvalidInput) as caught:
        reject_withdrawal(withdrawal, account, OFFICER_ANDI, reason, LATER)

    assert caught.value.code == "reason_required"


def test_withdrawal_can_only_be_rejected_by_an_officer_of_its_location():
    withdrawal, account = request()

    with pytest.raises(Forbidden) as caught:
        reject_withdrawal(withdrawal, account, OFFICER_IN_BANTUL, "Bukan lokasi ini", LATER)

    assert caught.value.code == "not_officer_of_location"


def test_officer_cannot_reject_a_withdrawal_they_recorded_themselves():
    withdrawal, account = request(actor=OFFICER_ANDI)

    with pytest.raises(Forbidden) as caught:
        reject_withdrawal(withdrawal, account, OFFICER_ANDI, "Salah catat", LATER)

    assert caught.value.code == "own_transaction"


def test_officer_cannot_reject_a_withdrawal_from_their_own_savings():
    account = SavingsAccount(member_id=102, savings_type="sukarela", balance=500_000)
    withdrawal, account = request(actor=OFFICER_ANDI, member=RINA_AS_MEMBER, account=account, amount=100_000)

    with pytest.raises(Forbidden) as caught:
        reject_withdrawal(withdrawal, account, OFFICER_RINA, "Salah catat", LATER)

    assert caught.value.code == "own_transaction"


def test_verified_withdrawal_cannot_be_rejected_afterwards():
    withdrawal, account = request()
    verified, account, _ = verify_withdrawal(withdrawal, account, OFFICER_ANDI, LATER)

    with pytest.raises(InvalidState) as caught:
        reject_withdrawal(verified, account, OFFICER_DEWI, "Terlambat", LATER)

    assert caught.value.code == "not_unverified"
    assert caught.value.detail == {"status": "verified"}


# --- properties -------------------------------------------------------------------------------------

SMALL_LIMITS = Limits(min_withdrawal=1, max_withdrawal=1_000_000)


@settings(max_examples=200, deadline=None)
@given(
    balance=st.integers(min_value=0, max_value=1_000_000),
    amounts=st.lists(st.integers(min_value=1, max_value=1_000_000), max_size=20),
)
def test_successive_requests_never_hold_more_than_the_balance(balance, amounts):
    account = SavingsAccount(member_id=100, savings_type="sukarela", balance=balance)
    accepted = 0

    for i, amount in enumerate(amounts):
        available_before = account.available
        try:
            _, account = request(withdrawal_id=f"wd-{i}", account=account, amount=amount, limits=SMALL_LIMITS)
        except InvalidState as err:
            assert err.code == "insufficient_balance"
            assert amount > available_before
            assert err.detail == {"available": available_before}
        else:
            assert amount <= available_before
            accepted += amount
        assert account.held == accepted
        assert 0 <= account.held <= account.balance == balance


# An operation is ("request", amount) or (decision, index of a pending request to decide).
operations = st.lists(
    st.one_of(
        st.tuples(st.just("request"), st.integers(min_value=1, max_value=500_000)),
        st.tuples(st.sampled_from(["cancel", "reject", "verify"]), st.integers(min_value=0, max_value=50)),
    ),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(balance=st.integers(min_value=0, max_value=1_000_000), ops=operations)
def test_hold_always_equals_the_pending_requests_and_never_exceeds_the_balance(balance, ops):
    account = SavingsAccount(member_id=100, savings_type="sukarela", balance=balance)
    pending: list[Withdrawal] = []
    paid_out = 0

    for n, (op, arg) in enumerate(ops):
        if op == "request":
            try:
                withdrawal, account = request(withdrawal_id=f"wd-{n}", account=account, amount=arg, limits=SMALL_LIMITS)
            except InvalidState:
                continue
            pending.append(withdrawal)
        elif pending:
            withdrawal = pending.pop(arg % len(pending))
            if op == "cancel":
                _, account = cancel_withdrawal(withdrawal, account, SITI_ACTOR, LATER)
            elif op == "reject":
                _, account = reject_withdrawal(withdrawal, account, OFFICER_ANDI, "Ditolak", LATER)
            else:
                _, account, posting = verify_withdrawal(withdrawal, account, OFFICER_ANDI, LATER)
                assert posting.amount == -withdrawal.amount
                account = msgspec.structs.replace(account, balance=account.balance + posting.amount)
                paid_out += withdrawal.amount

        assert account.held == sum(w.amount for w in pending)
        assert 0 <= account.held <= account.balance
        assert account.balance == balance - paid_out
