"""Loans: plafon, retirement, the application rules, the workflow, repayments, deduction changes."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.loans import (
    APPLICATION_RULES,
    LOAN_STATUS_LABELS,
    DeductionChange,
    Loan,
    LoanProduct,
    LoanSettings,
    PayrollProfile,
    PlafonBreakdown,
    RuleCheck,
    admin_fee,
    apply_loan,
    apply_repayment,
    approve_loan,
    cancel_loan,
    check_application,
    check_deduction_change,
    check_repayment_actor,
    counted_savings_balance,
    deduction_for_month,
    disburse_loan,
    next_payroll_month,
    reject_loan,
    request_deduction_change,
    retirement_date,
    simulate,
    sisa_plafon,
    terms_for,
    validate_product,
)
from server.domain.models import Actor, SavingsAccount
from server.domain.schedule import ScheduleTerms, build_schedule
from server.errors import Forbidden, InvalidInput, InvalidState

NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)  # 16:30 WIB, 25 Nov 2026
LATER = NOW + dt.timedelta(days=2)
TODAY = dt.date(2026, 11, 25)
SETTINGS = LoanSettings()

UMUM = LoanProduct(
    id=1,
    name="Pinjaman Umum",
    purposes=("Pendidikan", "Renovasi rumah", "Kesehatan"),
    method="flat",
    annual_rate_bp=1200,
    min_amount=1_000_000,
    max_amount=50_000_000,
    min_tenor=3,
    max_tenor=36,
    admin_fee_bp=100,
    admin_fee_flat=10_000,
)
SITI_PROFILE = PayrollProfile(
    member_id=100, plafon=2_500_000, birth_date=dt.date(1980, 5, 10), category="karyawan",
    voluntary_deduction=200_000, mandatory_savings=100_000,
)  # fmt: skip
SITI_ACTOR = Actor(user_id=20, role="anggota", member_id=100)
BUDI_ACTOR = Actor(user_id=21, role="anggota", member_id=101)
OFFICER_ANDI = Actor(user_id=10, role="petugas", location_ids=frozenset({1}))
OFFICER_IN_BANTUL = Actor(user_id=13, role="petugas", location_ids=frozenset({2}))
OFFICER_SITI = Actor(user_id=20, role="petugas", member_id=100, location_ids=frozenset({1}))
PENGURUS = Actor(user_id=30, role="pengurus", location_ids=frozenset({1}))
ADMIN = Actor(user_id=31, role="admin")
PENGURUS_SITI = Actor(user_id=32, role="pengurus", member_id=100)

SITI_INSTALLMENTS = [840_000]  # one active loan
SITI_SAVINGS = 1_000_000


def breakdown(profile=SITI_PROFILE, installments=SITI_INSTALLMENTS) -> PlafonBreakdown:
    return sisa_plafon(profile, installments)


def checks_for(amount=9_000_000, tenor=12, purpose="Pendidikan", product=UMUM, **over) -> list[RuleCheck]:
    args = dict(
        product=product,
        purpose=purpose,
        amount=amount,
        tenor=tenor,
        schedule=simulate(product, amount, tenor, TODAY),
        breakdown=breakdown(),
        savings_balance=SITI_SAVINGS,
        retirement=retirement_date(SITI_PROFILE, SETTINGS),
        settings=SETTINGS,
    )
    args.update(over)
    return check_application(**args)


def by_code(checks: list[RuleCheck]) -> dict[str, RuleCheck]:
    return {c.code: c for c in checks}


def failed(checks: list[RuleCheck]) -> list[str]:
    return [c.code for c in checks if not c.ok]


def application(**over) -> Loan:
    """Siti applies for Rp9.000.000 over 12 months, cash at location 1, unless told otherwise."""
    product = over.pop("product", UMUM)
    amount, tenor = over.pop("amount", 9_000_000), over.pop("tenor", 12)
    schedule = simulate(product, amount, tenor, TODAY)
    args = dict(
        loan_id="loan-1",
        code="PJM-2611-000001",
        actor=SITI_ACTOR,
        member_id=100,
        product=product,
        purpose="Pendidikan",
        amount=amount,
        tenor=tenor,
        requested_disbursement_date=dt.date(2026, 12, 1),
        location_id=1,
        disbursement_method="tunai",
        checks=checks_for(amount, tenor, product=product),
        schedule=schedule,
        now=NOW,
    )
    args.update(over)
    return apply_loan(**args)


def active_loan(**over) -> tuple[Loan, object]:
    loan = approve_loan(application(**over), PENGURUS, NOW)
    return disburse_loan(loan, OFFICER_ANDI, UMUM, TODAY, LATER)


# --- sisa plafon ----------------------------------------------------------------------------------------


def test_sisa_plafon_is_plafon_minus_active_installments_minus_voluntary_deduction():
    assert sisa_plafon(SITI_PROFILE, [840_000, 300_000]) == PlafonBreakdown(2_500_000, 1_140_000, 200_000, 1_160_000)
    assert sisa_plafon(SITI_PROFILE, []) == PlafonBreakdown(2_500_000, 0, 200_000, 2_300_000)


def test_sisa_plafon_can_count_a_new_voluntary_deduction_instead_of_the_current_one():
    assert (
        sisa_plafon(SITI_PROFILE, [840_000], replace_voluntary_with=500_000).remaining == 2_500_000 - 840_000 - 500_000
    )
    assert sisa_plafon(SITI_PROFILE, [840_000], replace_voluntary_with=0).remaining == 1_660_000


def test_sisa_plafon_may_be_negative():
    assert sisa_plafon(SITI_PROFILE, [2_400_000]).remaining == -100_000


def test_sisa_plafon_needs_a_plafon():
    with pytest.raises(InvalidState) as err:
        sisa_plafon(PayrollProfile(member_id=100), [])
    assert err.value.code == "plafon_not_set"


# --- retirement ------------------------------------------------------------------------------------------


def test_retirement_date_is_the_birthday_at_the_category_retirement_age():
    assert retirement_date(SITI_PROFILE, SETTINGS) == dt.date(2036, 5, 10)
    pns = msgspec.structs.replace(SITI_PROFILE, category="pns")
    assert retirement_date(pns, SETTINGS) == dt.date(2038, 5, 10)
    custom = LoanSettings(retirement_ages={"karyawan": 55})
    assert retirement_date(SITI_PROFILE, custom) == dt.date(2035, 5, 10)


def test_retirement_of_someone_born_on_29_february_falls_on_28_february_in_a_common_year():
    leap = msgspec.structs.replace(SITI_PROFILE, birth_date=dt.date(1972, 2, 29))
    assert retirement_date(leap, SETTINGS) == dt.date(2028, 2, 29)  # 56 years later is a leap year
    leap_pns = msgspec.structs.replace(leap, category="pns")
    assert retirement_date(leap_pns, SETTINGS) == dt.date(2030, 2, 28)


def test_retirement_date_is_unknown_without_birth_date_or_known_category():
    assert retirement_date(msgspec.structs.replace(SITI_PROFILE, birth_date=None), SETTINGS) is None
    assert retirement_date(msgspec.structs.replace(SITI_PROFILE, category="kontrak"), SETTINGS) is None


# --- products, simulation, fees, savings -------------------------------------------------------------------


def test_validate_product_accepts_a_sound_product_and_lists_every_problem_of_a_bad_one():
    assert validate_product(UMUM) is UMUM
    bad = msgspec.structs.replace(
        UMUM, name=" ", min_amount=0, min_tenor=10, max_tenor=5, rounding_multiple=500, annual_rate_bp=-1
    )
    with pytest.raises(InvalidInput) as err:
        validate_product(bad)
    assert err.value.code == "invalid_product"
    assert len(err.value.detail["problems"]) == 5


def test_simulate_uses_the_product_terms():
    schedule = simulate(UMUM, 9_000_000, 12, TODAY)
    assert schedule.terms == ScheduleTerms(9_000_000, 12, 1200, "flat", "half_up", 1)
    assert schedule.max_installment == 840_000
    assert schedule.installments[0].due_date == dt.date(2026, 12, 25)


def test_simulate_turns_schedule_errors_into_invalid_input():
    coarse = msgspec.structs.replace(UMUM, rounding_mode="down", rounding_multiple=1000)
    with pytest.raises(InvalidInput) as err:
        simulate(coarse, 10_000, 12, TODAY)
    assert err.value.code == "schedule_infeasible"
    assert "Rp10.000" in err.value.message
    with pytest.raises(InvalidInput) as err:
        simulate(UMUM, 0, 12, TODAY)
    assert err.value.code == "amount_not_positive"
    with pytest.raises(InvalidInput) as err:
        simulate(UMUM, 1_000_000, 0, TODAY)
    assert err.value.code == "tenor_not_positive"
    with pytest.raises(InvalidInput) as err:
        simulate(UMUM, 1_000_000, 601, TODAY)
    assert err.value.code == "tenor_too_long"
    with pytest.raises(InvalidInput) as err:
        simulate(msgspec.structs.replace(UMUM, annual_rate_bp=-5), 1_000_000, 12, TODAY)
    assert err.value.code == "invalid_terms" and "annual_rate_bp" in err.value.detail["reason"]


def test_admin_fee_is_a_percentage_rounded_half_up_plus_a_flat_fee():
    assert admin_fee(UMUM, 9_000_000) == 90_000 + 10_000
    assert admin_fee(UMUM, 1_234_550) == 12_346 + 10_000  # 12.345,5 -> 12.346
    assert admin_fee(msgspec.structs.replace(UMUM, admin_fee_bp=0, admin_fee_flat=0), 9_000_000) == 0


def test_counted_savings_are_available_balances_of_the_counted_types():
    accounts = [
        SavingsAccount(100, "pokok", 100_000),
        SavingsAccount(100, "wajib", 600_000),
        SavingsAccount(100, "sukarela", 500_000, held=200_000),
        SavingsAccount(100, "qurban", 900_000),
    ]
    assert counted_savings_balance(accounts, SETTINGS) == 100_000 + 600_000 + 300_000
    assert counted_savings_balance(accounts, LoanSettings(counted_savings=("sukarela",))) == 300_000


# --- application rules ------------------------------------------------------------------------------------


def test_a_good_application_passes_every_rule_and_reports_all_of_them_in_order():
    checks = checks_for()
    assert [c.code for c in checks] == list(APPLICATION_RULES)
    assert all(c.ok for c in checks)
    messages = by_code(checks)
    assert messages["installment_over_plafon"].message == "Angsuran Rp840.000 tidak melebihi sisa plafon Rp1.460.000."
    assert messages["tenor_past_retirement"].message == (
        "Angsuran terakhir (25 November 2027) jatuh sebelum tanggal pensiun (10 Mei 2036)."
    )


def test_inactive_product_fails():
    inactive = msgspec.structs.replace(UMUM, active=False)
    checks = checks_for(product=inactive)
    assert failed(checks) == ["product_inactive"]
    assert (
        by_code(checks)["product_inactive"].message == "Produk Pinjaman Umum sudah tidak tersedia untuk pengajuan baru."
    )


def test_purpose_must_be_one_of_the_product_purposes():
    assert failed(checks_for(purpose="Liburan")) == ["purpose_unknown"]
    assert by_code(checks_for(purpose="  "))["purpose_unknown"].message == "Tujuan pinjaman wajib diisi."
    assert failed(checks_for(purpose=" Kesehatan ")) == []
    any_purpose = msgspec.structs.replace(UMUM, purposes=())
    assert failed(checks_for(purpose="Liburan", product=any_purpose)) == []
    assert failed(checks_for(purpose="", product=any_purpose)) == ["purpose_unknown"]


@pytest.mark.parametrize("amount, ok", [(999_999, False), (1_000_000, True), (50_000_000, True), (50_000_001, False)])
def test_amount_within_product_limits(amount, ok):
    check = by_code(checks_for(amount=amount))["amount_out_of_range"]
    assert check.ok is ok
    if not ok:
        assert check.message == "Jumlah pinjaman harus antara Rp1.000.000 dan Rp50.000.000."


@pytest.mark.parametrize("tenor, ok", [(2, False), (3, True), (36, True), (37, False)])
def test_tenor_within_product_limits(tenor, ok):
    check = by_code(checks_for(tenor=tenor))["tenor_out_of_range"]
    assert check.ok is ok
    if not ok:
        assert check.message == "Jangka waktu harus antara 3 dan 36 bulan."


def test_installment_over_sisa_plafon_fails_with_both_amounts():
    # 15.000.000 over 12 months flat 1 %: 1.250.000 + 150.000 = 1.400.000 a month; sisa 900.000
    tight = sisa_plafon(SITI_PROFILE, [1_400_000])
    checks = checks_for(amount=15_000_000, breakdown=tight, savings_balance=2_000_000)
    assert failed(checks) == ["installment_over_plafon"]
    assert tight.remaining == 900_000
    assert by_code(checks)["installment_over_plafon"].message == "Angsuran Rp1.400.000 melebihi sisa plafon Rp900.000."


def test_installment_equal_to_sisa_plafon_passes():
    exact = PlafonBreakdown(plafon=1_040_000, active_installments=0, voluntary_deduction=200_000, remaining=840_000)
    assert by_code(checks_for(breakdown=exact))["installment_over_plafon"].ok
    short = msgspec.structs.replace(exact, remaining=839_999)
    assert not by_code(checks_for(breakdown=short))["installment_over_plafon"].ok


def test_the_plafon_rule_compares_the_largest_installment():
    # efektif: the first installment is the largest
    efektif = msgspec.structs.replace(UMUM, method="efektif", annual_rate_bp=1000, max_amount=200_000_000)
    plafon = PlafonBreakdown(20_000_000, 0, 0, 10_999_999)
    checks = checks_for(amount=120_000_000, product=efektif, breakdown=plafon, savings_balance=12_000_000)
    assert (
        by_code(checks)["installment_over_plafon"].message == "Angsuran Rp11.000.000 melebihi sisa plafon Rp10.999.999."
    )


@pytest.mark.parametrize("savings, ok", [(899_999, False), (900_000, True)])
def test_savings_must_be_at_least_ten_percent_of_the_amount(savings, ok):
    check = by_code(checks_for(savings_balance=savings))["savings_below_minimum"]
    assert check.ok is ok
    if not ok:
        assert check.message == "Saldo simpanan Rp899.999 kurang dari minimal 10% dari jumlah pinjaman (Rp900.000)."


def test_savings_minimum_rounds_up_and_follows_the_setting():
    # 12,5 % of 1.000.001 = 125.000,125 -> 125.001 needed
    settings_ = LoanSettings(min_savings_bp=1250)
    low = by_code(checks_for(amount=1_000_001, savings_balance=125_000, settings=settings_))["savings_below_minimum"]
    assert not low.ok and "12,5%" in low.message and "Rp125.001" in low.message
    assert by_code(checks_for(amount=1_000_001, savings_balance=125_001, settings=settings_))[
        "savings_below_minimum"
    ].ok


def test_the_last_installment_must_fall_before_retirement():
    # 12 months from 25 Nov 2026: last due 25 Nov 2027
    on_the_day = by_code(checks_for(retirement=dt.date(2027, 11, 25)))["tenor_past_retirement"]
    assert not on_the_day.ok
    assert on_the_day.message == (
        "Angsuran terakhir jatuh tempo 25 November 2027, tidak sebelum tanggal pensiun 25 November 2027. "
        "Perpendek jangka waktu."
    )
    assert by_code(checks_for(retirement=dt.date(2027, 11, 26)))["tenor_past_retirement"].ok


def test_unknown_birth_date_fails_the_retirement_rule_with_a_clear_reason():
    check = by_code(checks_for(retirement=None))["tenor_past_retirement"]
    assert not check.ok
    assert "Tanggal lahir" in check.message and "belum tercatat" in check.message


def test_every_failing_rule_is_reported_at_once():
    inactive = msgspec.structs.replace(UMUM, active=False)
    checks = checks_for(
        amount=60_000_000,
        tenor=40,
        purpose="Liburan",
        product=inactive,
        breakdown=PlafonBreakdown(100_000, 0, 0, 100_000),
        savings_balance=0,
        retirement=None,
    )
    assert failed(checks) == list(APPLICATION_RULES)


def test_a_simulation_of_other_terms_is_refused():
    with pytest.raises(InvalidInput) as err:
        checks_for(amount=9_000_000, schedule=simulate(UMUM, 8_000_000, 12, TODAY))
    assert err.value.code == "schedule_mismatch"


# --- applying ----------------------------------------------------------------------------------------------


def test_member_applies_and_the_loan_is_submitted_with_the_simulated_installment():
    loan = application()
    assert loan == Loan(
        id="loan-1",
        code="PJM-2611-000001",
        member_id=100,
        product_id=1,
        purpose="Pendidikan",
        amount=9_000_000,
        tenor=12,
        status="submitted",
        created_by=20,
        created_at=NOW,
        requested_disbursement_date=dt.date(2026, 12, 1),
        location_id=1,
        disbursement_method="tunai",
        monthly_installment=840_000,
        terms=ScheduleTerms(9_000_000, 12, 1200, "flat"),
        admin_fee=100_000,
    )
    assert LOAN_STATUS_LABELS[loan.status] == "Diajukan"


def test_members_apply_only_for_themselves():
    with pytest.raises(Forbidden) as err:
        application(actor=BUDI_ACTOR)
    assert err.value.code == "not_owner"
    with pytest.raises(Forbidden):
        application(actor=OFFICER_ANDI)


def test_applying_with_a_failed_rule_raises_the_first_with_all_failed_codes():
    checks = checks_for(purpose="Liburan", savings_balance=0)
    with pytest.raises(InvalidInput) as err:
        application(checks=checks)
    assert err.value.code == "purpose_unknown"
    assert err.value.message == by_code(checks)["purpose_unknown"].message
    assert err.value.detail == {"checks": ["purpose_unknown", "savings_below_minimum"]}


def test_applying_needs_the_checks_of_check_application():
    with pytest.raises(ValueError):
        application(checks=[])


def test_transfer_disbursement_needs_bank_details():
    with pytest.raises(InvalidInput) as err:
        application(disbursement_method="transfer", bank_name="BCA", account_number=" ")
    assert err.value.code == "missing_field"
    assert err.value.detail == {"fields": ["account_number", "account_holder"]}
    loan = application(disbursement_method="transfer", bank_name="BCA", account_number="123", account_holder="Siti")
    assert (loan.disbursement_method, loan.bank_name, loan.account_number) == ("transfer", "BCA", "123")


def test_disbursement_method_and_date_are_checked():
    with pytest.raises(InvalidInput) as err:
        application(disbursement_method="cek")
    assert err.value.code == "invalid_disbursement_method"
    with pytest.raises(InvalidInput) as err:
        application(requested_disbursement_date=dt.date(2026, 11, 24))
    assert err.value.code == "disbursement_date_in_past"
    assert application(requested_disbursement_date=TODAY).status == "submitted"


# --- workflow ------------------------------------------------------------------------------------------------


def test_the_applicant_cancels_while_submitted():
    loan = cancel_loan(application(), SITI_ACTOR, LATER)
    assert (loan.status, loan.decided_by, loan.decided_at) == ("cancelled", 20, LATER)
    with pytest.raises(InvalidState) as err:
        cancel_loan(loan, SITI_ACTOR, LATER)
    assert err.value.code == "loan_not_cancellable"


def test_only_the_applicant_may_cancel():
    for actor in (BUDI_ACTOR, OFFICER_ANDI, PENGURUS):
        with pytest.raises(Forbidden) as err:
            cancel_loan(application(), actor, LATER)
        assert err.value.code == "not_owner"


def test_an_approved_loan_can_no_longer_be_cancelled():
    approved = approve_loan(application(), PENGURUS, LATER)
    with pytest.raises(InvalidState) as err:
        cancel_loan(approved, SITI_ACTOR, LATER)
    assert err.value.code == "loan_not_cancellable"
    assert "sudah disetujui" in err.value.message


@pytest.mark.parametrize("board", [PENGURUS, ADMIN])
def test_the_board_approves(board):
    loan = approve_loan(application(), board, LATER)
    assert (loan.status, loan.decided_by, loan.decided_at) == ("approved", board.user_id, LATER)


@pytest.mark.parametrize("actor", [OFFICER_ANDI, BUDI_ACTOR, SITI_ACTOR])
def test_only_the_board_approves_or_rejects(actor):
    with pytest.raises(Forbidden) as err:
        approve_loan(application(), actor, LATER)
    assert err.value.code == "board_only"
    with pytest.raises(Forbidden) as err:
        reject_loan(application(), actor, "Plafon tidak cukup", LATER)
    assert err.value.code == "board_only"


def test_the_board_never_decides_its_own_application():
    with pytest.raises(Forbidden) as err:
        approve_loan(application(), PENGURUS_SITI, LATER)
    assert err.value.code == "own_application"
    with pytest.raises(Forbidden) as err:
        reject_loan(application(), PENGURUS_SITI, "tidak", LATER)
    assert err.value.code == "own_application"


def test_reject_needs_a_reason_and_a_submitted_loan():
    with pytest.raises(InvalidInput) as err:
        reject_loan(application(), PENGURUS, "  ", LATER)
    assert err.value.code == "reason_required"
    loan = reject_loan(application(), PENGURUS, "  Sisa plafon tidak cukup ", LATER)
    assert (loan.status, loan.reason) == ("rejected", "Sisa plafon tidak cukup")
    with pytest.raises(InvalidState) as err:
        approve_loan(loan, ADMIN, LATER)
    assert err.value.code == "loan_not_submitted"


def test_an_officer_of_the_location_disburses_and_the_schedule_is_fixed_from_that_date():
    approved = approve_loan(application(), PENGURUS, NOW)
    loan, schedule = disburse_loan(approved, OFFICER_ANDI, UMUM, dt.date(2026, 11, 27), LATER)

    assert loan.status == "active" and LOAN_STATUS_LABELS[loan.status] == "Aktif"
    assert (loan.disbursed_by, loan.disbursed_at, loan.disbursement_date) == (10, LATER, dt.date(2026, 11, 27))
    assert loan.outstanding == 9_000_000
    assert loan.monthly_installment == 840_000
    assert schedule == build_schedule(ScheduleTerms(9_000_000, 12, 1200, "flat"), dt.date(2026, 11, 27))
    assert [i.due_date for i in schedule.installments[:3]] == [
        dt.date(2026, 12, 27), dt.date(2027, 1, 27), dt.date(2027, 2, 27),
    ]  # fmt: skip


def test_disbursement_uses_the_terms_the_member_applied_with():
    approved = approve_loan(application(), PENGURUS, NOW)
    repriced = msgspec.structs.replace(UMUM, annual_rate_bp=2400)
    loan, schedule = disburse_loan(approved, OFFICER_ANDI, repriced, TODAY, LATER)
    assert schedule.terms.annual_rate_bp == 1200
    legacy = msgspec.structs.replace(approved, terms=None)
    _, schedule = disburse_loan(legacy, OFFICER_ANDI, repriced, TODAY, LATER)
    assert schedule.terms == terms_for(repriced, 9_000_000, 12)


def test_disbursement_rules():
    approved = approve_loan(application(), PENGURUS, NOW)
    with pytest.raises(Forbidden) as err:
        disburse_loan(approved, OFFICER_IN_BANTUL, UMUM, TODAY, LATER)
    assert err.value.code == "not_officer_of_location"
    with pytest.raises(Forbidden) as err:
        disburse_loan(approved, PENGURUS, UMUM, TODAY, LATER)
    assert err.value.code == "not_officer_of_location"
    with pytest.raises(Forbidden) as err:
        disburse_loan(approved, OFFICER_SITI, UMUM, TODAY, LATER)
    assert err.value.code == "own_transaction"
    with pytest.raises(InvalidState) as err:
        disburse_loan(application(), OFFICER_ANDI, UMUM, TODAY, LATER)
    assert err.value.code == "loan_not_approved"
    with pytest.raises(InvalidInput) as err:
        disburse_loan(approved, OFFICER_ANDI, UMUM, dt.date(2026, 11, 28), LATER)  # LATER is 27 Nov WIB
    assert err.value.code == "disbursement_date_in_future"
    with pytest.raises(InvalidInput) as err:
        disburse_loan(approved, OFFICER_ANDI, UMUM, dt.date(2026, 11, 24), LATER)  # applied 25 Nov
    assert err.value.code == "disbursement_date_before_application"
    with pytest.raises(InvalidInput) as err:
        disburse_loan(approved, OFFICER_ANDI, msgspec.structs.replace(UMUM, id=2), TODAY, LATER)
    assert err.value.code == "product_mismatch"
    active, _ = disburse_loan(approved, OFFICER_ANDI, UMUM, TODAY, LATER)
    with pytest.raises(InvalidState):
        disburse_loan(active, OFFICER_ANDI, UMUM, TODAY, LATER)


ALLOWED = {
    ("submitted", "cancelled"),
    ("submitted", "approved"),
    ("submitted", "rejected"),
    ("approved", "active"),
}
ACTORS = [SITI_ACTOR, BUDI_ACTOR, OFFICER_ANDI, OFFICER_IN_BANTUL, OFFICER_SITI, PENGURUS, ADMIN, PENGURUS_SITI]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["cancel", "approve", "reject", "disburse"]), st.sampled_from(ACTORS)), max_size=8
    )
)
def test_any_sequence_of_actions_only_moves_along_the_workflow(steps):
    loan = application()
    for action, actor in steps:
        before = loan.status
        try:
            if action == "cancel":
                loan = cancel_loan(loan, actor, LATER)
            elif action == "approve":
                loan = approve_loan(loan, actor, LATER)
            elif action == "reject":
                loan = reject_loan(loan, actor, "alasan", LATER)
            else:
                loan, _ = disburse_loan(loan, actor, UMUM, TODAY, LATER)
        except (Forbidden, InvalidState):
            assert loan.status == before
            continue
        assert (before, loan.status) in ALLOWED
        if loan.status in ("approved", "rejected"):
            assert actor.is_elevated and actor.member_id != loan.member_id
        if loan.status == "cancelled":
            assert actor.member_id == loan.member_id
        if loan.status == "active":
            assert actor.serves(loan.location_id)


# --- repayments ----------------------------------------------------------------------------------------------


def test_a_repayment_pays_the_oldest_installment_interest_first():
    loan, schedule = active_loan()
    paid = [(i, 0) for i in schedule.installments]

    result = apply_repayment(loan, paid, 100_000)

    [alloc] = result.allocations
    assert (alloc.number, alloc.interest, alloc.principal, alloc.installment_paid) == (1, 90_000, 10_000, False)
    assert result.outstanding == 8_990_000 == result.loan.outstanding
    assert not result.paid_off and result.loan.status == "active"


def test_a_repayment_completes_a_partly_paid_installment_and_flows_on():
    loan, schedule = active_loan()
    paid = [(i, 0) for i in schedule.installments]
    paid[0] = (schedule.installments[0], 100_000)  # 90.000 interest + 10.000 principal already paid

    result = apply_repayment(loan, paid, 840_000 + 100_000)

    first, second = result.allocations
    assert (first.number, first.interest, first.principal, first.installment_paid) == (1, 0, 740_000, True)
    assert (second.number, second.interest, second.principal, second.installment_paid) == (2, 90_000, 110_000, False)
    assert (result.principal, result.interest) == (850_000, 90_000)
    assert result.outstanding == 9_000_000 - 10_000 - 850_000


def test_the_last_repayment_pays_the_loan_off():
    loan, schedule = active_loan()
    paid = [(i, i.amount) for i in schedule.installments[:-1]] + [(schedule.installments[-1], 0)]
    loan = msgspec.structs.replace(loan, outstanding=750_000)

    result = apply_repayment(loan, paid, 840_000)

    assert result.paid_off and result.outstanding == 0
    assert result.loan.status == "paid_off" and LOAN_STATUS_LABELS["paid_off"] == "Lunas"


def test_repaying_more_than_is_due_is_refused():
    loan, schedule = active_loan()
    paid = [(i, 0) for i in schedule.installments]
    with pytest.raises(InvalidInput) as err:
        apply_repayment(loan, paid, schedule.total_amount + 1)
    assert err.value.code == "repayment_exceeds_due"
    assert err.value.detail == {"due": 10_080_000}
    assert apply_repayment(loan, paid, schedule.total_amount).paid_off


def test_repayment_needs_an_active_loan_a_positive_amount_and_the_whole_schedule():
    loan, schedule = active_loan()
    paid = [(i, 0) for i in schedule.installments]
    with pytest.raises(InvalidState) as err:
        apply_repayment(application(), paid, 100_000)
    assert err.value.code == "loan_not_active"
    with pytest.raises(InvalidInput) as err:
        apply_repayment(loan, paid, 0)
    assert err.value.code == "amount_not_positive"
    with pytest.raises(ValueError):
        apply_repayment(loan, paid[1:], 100_000)
    with pytest.raises(ValueError):
        apply_repayment(loan, [(paid[0][0], 900_000)] + paid[1:], 100_000)


@settings(max_examples=100, deadline=None)
@given(
    method=st.sampled_from(["flat", "efektif", "anuitas"]),
    cuts=st.lists(st.integers(1, 3_000_000), min_size=1, max_size=30),
)
def test_repayments_in_any_pieces_allocate_exactly_and_end_paid_off(method, cuts):
    product = msgspec.structs.replace(UMUM, method=method, rounding_multiple=100)
    loan, schedule = active_loan(product=product)
    paid = {i.number: 0 for i in schedule.installments}
    total_principal = total_interest = 0
    due = schedule.total_amount
    pieces = []
    for cut in cuts:
        if due == 0:
            break
        pieces.append(min(cut, due))
        due -= pieces[-1]
    if due:
        pieces.append(due)
    for piece in pieces:
        rows = [(i, paid[i.number]) for i in schedule.installments]
        result = apply_repayment(loan, rows, piece)
        assert sum(a.amount for a in result.allocations) == piece
        numbers = [a.number for a in result.allocations]
        assert numbers == sorted(numbers)
        for a in result.allocations:
            paid[a.number] += a.amount
        total_principal += result.principal
        total_interest += result.interest
        loan = result.loan
        assert loan.outstanding == 9_000_000 - total_principal
    assert loan.status == "paid_off" and loan.outstanding == 0
    assert (total_principal, total_interest) == (schedule.total_principal, schedule.total_interest)


def test_who_may_record_a_repayment():
    loan, _ = active_loan()
    check_repayment_actor(loan, OFFICER_ANDI, "tunai")
    check_repayment_actor(loan, PENGURUS, "potong_gaji")
    for actor, source, code in [
        (OFFICER_IN_BANTUL, "tunai", "not_officer_of_location"),
        (OFFICER_SITI, "tunai", "own_transaction"),
        (OFFICER_ANDI, "potong_gaji", "board_only"),
        (SITI_ACTOR, "tunai", "not_officer_of_location"),
    ]:
        with pytest.raises(Forbidden) as err:
            check_repayment_actor(loan, actor, source)
        assert err.value.code == code
    with pytest.raises(InvalidInput):
        check_repayment_actor(loan, OFFICER_ANDI, "transfer")


# --- voluntary payroll deduction ------------------------------------------------------------------------------


def test_a_new_deduction_counts_the_current_one_as_replaced():
    # sisa now 1.460.000 (with the current 200.000); without it 1.660.000
    after = check_deduction_change(SITI_PROFILE, SITI_INSTALLMENTS, 1_660_000)
    assert after == PlafonBreakdown(2_500_000, 840_000, 1_660_000, 0)
    assert check_deduction_change(SITI_PROFILE, SITI_INSTALLMENTS, 0).remaining == 1_660_000


def test_a_deduction_over_the_plafon_is_refused():
    with pytest.raises(InvalidInput) as err:
        check_deduction_change(SITI_PROFILE, SITI_INSTALLMENTS, 1_660_001)
    assert err.value.code == "deduction_over_plafon"
    assert err.value.message == (
        "Nominal setoran Rp1.660.001 melebihi sisa plafon Rp1.660.000 (tanpa setoran sukarela saat ini Rp200.000)."
    )
    assert err.value.detail == {"available": 1_660_000}


def test_a_deduction_must_be_a_whole_non_negative_amount_and_needs_a_plafon():
    for bad in (-1, 1.5):
        with pytest.raises(InvalidInput) as err:
            check_deduction_change(SITI_PROFILE, SITI_INSTALLMENTS, bad)  # type: ignore[arg-type]
        assert err.value.code == "amount_negative"
    with pytest.raises(InvalidState) as err:
        check_deduction_change(PayrollProfile(member_id=100), [], 100_000)
    assert err.value.code == "plafon_not_set"


@pytest.mark.parametrize(
    "today, month",
    [(dt.date(2026, 11, 25), "2026-12"), (dt.date(2026, 12, 31), "2027-01"), (dt.date(2027, 1, 31), "2027-02")],
)
def test_next_payroll_month(today, month):
    assert next_payroll_month(today) == month


def test_a_member_requests_a_change_effective_next_payroll_month_in_wib():
    end_of_november_utc = dt.datetime(2026, 11, 30, 18, 0, tzinfo=dt.UTC)  # 1 Dec 01:00 WIB
    change = request_deduction_change(
        change_id="chg-1", actor=SITI_ACTOR, profile=SITI_PROFILE,
        active_monthly_installments=SITI_INSTALLMENTS, new_amount=300_000, now=end_of_november_utc,
    )  # fmt: skip
    assert change == DeductionChange("chg-1", 100, 200_000, 300_000, "2027-01", 20, end_of_november_utc)
    with pytest.raises(Forbidden):
        request_deduction_change(
            change_id="chg-2", actor=BUDI_ACTOR, profile=SITI_PROFILE,
            active_monthly_installments=SITI_INSTALLMENTS, new_amount=300_000, now=NOW,
        )  # fmt: skip


def test_the_deduction_for_a_month_is_the_latest_change_effective_by_then():
    first = DeductionChange("c1", 100, 200_000, 300_000, "2026-12", 20, NOW)
    second = DeductionChange("c2", 100, 300_000, 250_000, "2026-12", 20, LATER)
    later = DeductionChange("c3", 100, 250_000, 0, "2027-02", 20, LATER)
    other = DeductionChange("c4", 101, 0, 999_000, "2026-12", 21, LATER)
    changes = [later, first, second, other]
    assert deduction_for_month(SITI_PROFILE, changes, "2026-11") == 200_000
    assert deduction_for_month(SITI_PROFILE, changes, "2026-12") == 250_000
    assert deduction_for_month(SITI_PROFILE, changes, "2027-01") == 250_000
    assert deduction_for_month(SITI_PROFILE, changes, "2027-02") == 0
