"""Installment schedules: the worked examples, each method and rounding rule, dates, and properties."""

from __future__ import annotations

import ast
import datetime as dt
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from server.domain.schedule import (
    MAX_TENOR,
    Installment,
    ScheduleError,
    ScheduleTerms,
    annuity_payment,
    build_schedule,
    due_date,
    monthly_rate,
    round_to,
)

START = dt.date(2026, 1, 15)


def amounts(schedule) -> list[int]:
    return [i.amount for i in schedule.installments]


# --- the published worked examples ------------------------------------------------------------------


def test_flat_worked_example_9_million_at_1_percent_a_month_for_12_months():
    schedule = build_schedule(ScheduleTerms(9_000_000, 12, 1200, "flat"), START)

    assert len(schedule.installments) == 12
    for inst in schedule.installments:
        assert (inst.principal, inst.interest, inst.amount) == (750_000, 90_000, 840_000)
    assert [i.remaining for i in schedule.installments] == [9_000_000 - 750_000 * k for k in range(1, 13)]
    assert (schedule.total_principal, schedule.total_interest, schedule.total_amount) == (
        9_000_000,
        1_080_000,
        10_080_000,
    )
    assert schedule.max_installment == 840_000


def test_efektif_worked_example_120_million_at_10_percent_a_year_for_12_months():
    schedule = build_schedule(ScheduleTerms(120_000_000, 12, 1000, "efektif"), START)

    assert amounts(schedule) == [
        11_000_000, 10_916_667, 10_833_333, 10_750_000, 10_666_667, 10_583_333,
        10_500_000, 10_416_667, 10_333_333, 10_250_000, 10_166_667, 10_083_333,
    ]  # fmt: skip
    assert {i.principal for i in schedule.installments} == {10_000_000}
    first, second, last = schedule.installments[0], schedule.installments[1], schedule.installments[-1]
    assert (first.interest, second.interest, last.interest) == (1_000_000, 916_667, 83_333)
    assert schedule.max_installment == 11_000_000
    assert schedule.total_interest == 6_500_000


def test_anuitas_has_equal_installments_and_declining_interest():
    schedule = build_schedule(ScheduleTerms(120_000_000, 12, 1000, "anuitas"), START)

    # exact annuity 10.549.906,4676… rounds half up to 10.549.906; the last absorbs the remainder
    assert amounts(schedule)[:-1] == [10_549_906] * 11
    assert amounts(schedule)[-1] == 10_549_912
    assert schedule.installments[0].interest == 1_000_000
    interests = [i.interest for i in schedule.installments]
    assert interests == sorted(interests, reverse=True)
    principals = [i.principal for i in schedule.installments]
    assert principals == sorted(principals)
    assert sum(principals) == 120_000_000


def test_annuity_payment_is_exact():
    payment = annuity_payment(120_000_000, 12, monthly_rate(1000))
    assert isinstance(payment, Fraction)
    rate = Fraction(1, 120)
    assert payment == 120_000_000 * rate / (1 - (1 + rate) ** -12)
    assert annuity_payment(1_000_000, 3, Fraction(0)) == Fraction(1_000_000, 3)


def test_monthly_rate_is_annual_basis_points_over_120000():
    assert monthly_rate(1200) == Fraction(1, 100)
    assert monthly_rate(1000) == Fraction(1, 120)
    assert monthly_rate(0) == 0


# --- rounding -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, multiple, mode, expected",
    [
        (Fraction(5, 2), 1, "half_up", 3),
        (Fraction(5, 2), 1, "down", 2),
        (Fraction(5, 2), 1, "up", 3),
        (Fraction(7, 3), 1, "half_up", 2),
        (Fraction(7, 3), 1, "up", 3),
        (862_500, 1000, "half_up", 863_000),
        (862_499, 1000, "half_up", 862_000),
        (862_001, 1000, "up", 863_000),
        (862_999, 1000, "down", 862_000),
        (863_000, 1000, "up", 863_000),
        (863_000, 1000, "down", 863_000),
        (Fraction(333_333_33, 100), 100, "half_up", 333_300),
        (Fraction(333_350, 1), 100, "half_up", 333_400),
        (0, 1000, "up", 0),
        (Fraction(1, 10**9), 1000, "up", 1000),
    ],
)
def test_round_to(value, multiple, mode, expected):
    assert round_to(value, multiple, mode) == expected


def test_round_to_refuses_unknown_mode_and_bad_multiple():
    with pytest.raises(ScheduleError):
        round_to(1, 1, "banker")  # type: ignore[arg-type]
    with pytest.raises(ScheduleError):
        round_to(1, 0, "up")
    with pytest.raises(ScheduleError):
        round_to(1.5, 1, "up")  # type: ignore[arg-type]


def test_rounding_applies_to_amounts_and_the_last_absorbs_the_remainder():
    schedule = build_schedule(ScheduleTerms(7_500_000, 10, 1800, "flat", "up", 1000), START)

    # unrounded 750.000 + 112.500 = 862.500 -> up to 863.000; interest stays 112.500
    for inst in schedule.installments[:-1]:
        assert (inst.amount, inst.interest, inst.principal) == (863_000, 112_500, 750_500)
    last = schedule.installments[-1]
    assert (last.principal, last.interest, last.amount, last.remaining) == (745_500, 112_500, 858_000, 0)


def test_rounding_down_makes_the_last_installment_the_largest():
    schedule = build_schedule(ScheduleTerms(10_000_000, 24, 1500, "anuitas", "down", 100), START)

    assert set(amounts(schedule)[:-1]) == {484_800}
    assert schedule.installments[-1].amount > 484_800
    assert schedule.max_installment == schedule.installments[-1].amount


def test_interest_is_rounded_half_up_to_a_rupiah_whatever_the_product_mode():
    down = build_schedule(ScheduleTerms(1_000_001, 1, 1000, "efektif", "down", 1000), START)
    up = build_schedule(ScheduleTerms(1_000_001, 1, 1000, "efektif", "up", 1000), START)
    # 1.000.001 / 120 = 8.333,34…
    assert down.installments[0].interest == up.installments[0].interest == 8_333
    assert build_schedule(ScheduleTerms(60, 1, 1000, "efektif"), START).installments[0].interest == 1  # 0,5 -> 1


@pytest.mark.parametrize("method", ["flat", "efektif", "anuitas"])
def test_rate_zero_is_principal_over_tenor_for_every_method(method):
    schedule = build_schedule(ScheduleTerms(1_000_000, 3, 0, method), START)
    assert amounts(schedule) == [333_333, 333_333, 333_334]
    assert schedule.total_interest == 0


@pytest.mark.parametrize("method", ["flat", "efektif", "anuitas"])
def test_tenor_one_is_principal_plus_one_month_of_interest_unrounded_to_the_multiple(method):
    schedule = build_schedule(ScheduleTerms(5_000_000, 1, 1200, method, "up", 1000), START)
    [only] = schedule.installments
    assert only == Installment(1, dt.date(2026, 2, 15), 5_000_000, 50_000, 5_050_000, 0)


# --- feasibility and validation ---------------------------------------------------------------------


def test_an_amount_rounded_down_to_zero_is_infeasible():
    with pytest.raises(ScheduleError) as err:
        build_schedule(ScheduleTerms(10_000, 12, 1200, "flat", "down", 1000), START)
    assert err.value.code == "schedule_infeasible"


def test_rounding_up_that_repays_before_the_last_installment_is_infeasible():
    with pytest.raises(ScheduleError) as err:
        build_schedule(ScheduleTerms(50_000_000, 360, 1200, "anuitas", "up", 1000), START)
    assert err.value.code == "schedule_infeasible"
    # the same loan rounded half up, or to Rp1, is fine
    build_schedule(ScheduleTerms(50_000_000, 360, 1200, "anuitas", "up", 1), START)


@pytest.mark.parametrize(
    "terms",
    [
        ScheduleTerms(0, 12, 1200, "flat"),
        ScheduleTerms(-5, 12, 1200, "flat"),
        ScheduleTerms(1_000_000, 0, 1200, "flat"),
        ScheduleTerms(1_000_000, MAX_TENOR + 1, 1200, "flat"),
        ScheduleTerms(1_000_000, 12, -1, "flat"),
        ScheduleTerms(1_000_000, 12, 1200, "flat", "half_up", 0),
        ScheduleTerms(1_000_000, 12, 1200, "mingguan"),  # type: ignore[arg-type]
        ScheduleTerms(1_000_000, 12, 1200, "flat", "banker"),  # type: ignore[arg-type]
        ScheduleTerms(1_000_000.0, 12, 1200, "flat"),  # type: ignore[arg-type]
        ScheduleTerms(True, 12, 1200, "flat"),
    ],
)
def test_invalid_terms_are_refused(terms):
    with pytest.raises(ScheduleError) as err:
        build_schedule(terms, START)
    assert err.value.code == "invalid_terms"


def test_the_module_imports_nothing_from_the_server():
    source = Path(__file__).resolve().parents[2] / "server" / "domain" / "schedule.py"
    imported = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"__future__", "calendar", "datetime", "fractions", "typing", "msgspec"}


# --- due dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, n, expected",
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),
        (dt.date(2026, 1, 31), 2, dt.date(2026, 3, 31)),
        (dt.date(2026, 8, 31), 1, dt.date(2026, 9, 30)),
        (dt.date(2026, 12, 31), 1, dt.date(2027, 1, 31)),
        (dt.date(2026, 12, 15), 14, dt.date(2028, 2, 15)),
        (dt.date(2028, 2, 29), 12, dt.date(2029, 2, 28)),
        (dt.date(2028, 2, 29), 13, dt.date(2029, 3, 29)),
        (dt.date(2026, 1, 15), 0, dt.date(2026, 1, 15)),
    ],
)
def test_due_date_counts_months_from_the_start_and_clamps_to_month_end(start, n, expected):
    assert due_date(start, n) == expected


def test_installments_fall_due_month_by_month_from_the_start_date():
    schedule = build_schedule(ScheduleTerms(6_000_000, 4, 1200, "flat"), dt.date(2028, 1, 31))
    assert [i.due_date for i in schedule.installments] == [
        dt.date(2028, 2, 29), dt.date(2028, 3, 31), dt.date(2028, 4, 30), dt.date(2028, 5, 31),
    ]  # fmt: skip
    assert schedule.last_due_date == dt.date(2028, 5, 31)


# --- properties ---------------------------------------------------------------------------------------

terms_strategy = st.builds(
    ScheduleTerms,
    principal=st.integers(1, 2_000_000_000),
    tenor=st.integers(1, 120),
    annual_rate_bp=st.integers(0, 6000),
    method=st.sampled_from(["flat", "efektif", "anuitas"]),
    rounding_mode=st.sampled_from(["half_up", "up", "down"]),
    rounding_multiple=st.sampled_from([1, 100, 1000]),
)
start_strategy = st.dates(dt.date(2000, 1, 1), dt.date(2090, 12, 31))


def unrounded_amount(terms: ScheduleTerms, remaining: int) -> Fraction:
    rate = monthly_rate(terms.annual_rate_bp)
    if terms.method == "anuitas":
        return annuity_payment(terms.principal, terms.tenor, rate)
    base = terms.principal if terms.method == "flat" else remaining
    return Fraction(terms.principal, terms.tenor) + base * rate


def build_or_skip(terms, start):
    try:
        return build_schedule(terms, start)
    except ScheduleError as exc:
        assert exc.code == "schedule_infeasible"
        assume(False)


@settings(max_examples=400, deadline=None)
@given(terms_strategy, start_strategy)
def test_every_schedule_sums_exactly_and_follows_the_rounding_rule(terms, start):
    schedule = build_or_skip(terms, start)
    inst = schedule.installments
    m, mode = terms.rounding_multiple, terms.rounding_mode

    assert [i.number for i in inst] == list(range(1, terms.tenor + 1))
    assert sum(i.principal for i in inst) == terms.principal == schedule.total_principal
    assert inst[-1].remaining == 0
    assert schedule.total_interest == sum(i.interest for i in inst)
    assert schedule.total_amount == sum(i.amount for i in inst) == terms.principal + schedule.total_interest
    assert schedule.max_installment == max(i.amount for i in inst)

    remaining = terms.principal
    for i in inst:
        assert i.principal >= 0 and i.interest >= 0 and i.amount > 0
        assert i.amount == i.principal + i.interest
        assert i.remaining == remaining - i.principal
        assert 0 <= i.remaining <= remaining
        if i.number < terms.tenor:
            assert i.remaining > 0
            exact = unrounded_amount(terms, remaining)
            assert i.amount % m == 0
            if mode == "up":
                assert exact <= i.amount < exact + m
            elif mode == "down":
                assert exact - m < i.amount <= exact
            else:
                assert exact - Fraction(m, 2) < i.amount <= exact + Fraction(m, 2)  # ties round up
        base = terms.principal if terms.method == "flat" else remaining
        assert abs(i.interest - base * monthly_rate(terms.annual_rate_bp)) <= Fraction(1, 2)
        remaining = i.remaining
        assert i.due_date == due_date(start, i.number)

    if terms.method == "anuitas" or terms.method == "flat":
        assert len({i.amount for i in inst[:-1]}) <= 1
    if terms.method == "flat":
        assert len({i.interest for i in inst}) == 1


@st.composite
def terms_meeting_the_documented_sufficient_condition(draw):
    """docs/LOANS.md: P >= n^2 * (m + 1) * (1 + r)^(2n) guarantees a schedule."""
    tenor = draw(st.integers(1, 120))
    bp = draw(st.integers(0, 3600))
    multiple = draw(st.sampled_from([1, 100, 1000]))
    bound = tenor**2 * (multiple + 1) * (1 + monthly_rate(bp)) ** (2 * tenor)
    floor = -((-bound.numerator) // bound.denominator)
    principal = draw(st.integers(floor, floor * 3))
    return ScheduleTerms(
        principal, tenor, bp, draw(st.sampled_from(["flat", "efektif", "anuitas"])),
        draw(st.sampled_from(["half_up", "up", "down"])), multiple,
    )  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(terms_meeting_the_documented_sufficient_condition())
def test_the_documented_sufficient_condition_always_makes_a_schedule(terms):
    build_schedule(terms, START)


@settings(max_examples=300, deadline=None)
@given(
    tenor=st.integers(1, 240),
    bp=st.integers(0, 6000),
    method=st.sampled_from(["flat", "efektif"]),
    mode=st.sampled_from(["half_up", "up", "down"]),
    multiple=st.sampled_from([1, 100, 1000]),
    extra=st.integers(1, 10_000_000),
)
def test_flat_and_efektif_need_only_the_documented_quadratic_bound(tenor, bp, method, mode, multiple, extra):
    """docs/LOANS.md: flat and efektif always work when P > n(n-1)(m + 1/2) and P > n(m + 1/2)."""
    bound = max(tenor * (tenor - 1) * (2 * multiple + 1), tenor * (2 * multiple + 1)) // 2
    build_schedule(ScheduleTerms(bound + extra, tenor, bp, method, mode, multiple), START)


# --- the integer-only formulation that docs/LOANS.md gives for JavaScript (BigInt) -----------------


def _floor_div(a: int, b: int) -> int:
    return a // b  # b > 0 everywhere below; JS: BigInt division truncates, so docs spell out floor


def _round(num: int, den: int, m: int, mode: str) -> int:
    if mode == "down":
        return _floor_div(num, den * m) * m
    if mode == "up":
        return -_floor_div(-num, den * m) * m
    return _floor_div(2 * num + den * m, 2 * den * m) * m


def reference_schedule(p: int, n: int, b: int, method: str, mode: str, m: int) -> list[tuple[int, int, int, int]]:
    """docs/LOANS.md, "Exact algorithm", word for word with integers only: (principal, interest, amount, remaining)."""
    D = 120_000  # noqa: N806 - the docs' name for the rate denominator
    if method == "anuitas":
        if b == 0:
            a_num, a_den = p, n
        else:
            g_num, g_den = (D + b) ** n, D**n
            a_num, a_den = p * b * g_num, D * (g_num - g_den)
    rows = []
    r = p
    for k in range(1, n + 1):
        i_num = (p if method == "flat" else r) * b
        interest = _round(i_num, D, 1, "half_up")
        if k < n:
            amount = _round(a_num, a_den, m, mode) if method == "anuitas" else _round(p * D + n * i_num, n * D, m, mode)
            principal = amount - interest
        else:
            principal = r
            amount = principal + interest
        r -= principal
        rows.append((principal, interest, amount, r))
    return rows


@settings(max_examples=300, deadline=None)
@given(terms_strategy)
def test_the_documented_integer_algorithm_matches_build_schedule(terms):
    schedule = build_or_skip(terms, START)
    expected = reference_schedule(
        terms.principal, terms.tenor, terms.annual_rate_bp, terms.method, terms.rounding_mode, terms.rounding_multiple
    )
    assert [(i.principal, i.interest, i.amount, i.remaining) for i in schedule.installments] == expected
