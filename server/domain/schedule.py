"""Loan installment schedules (jadwal angsuran) as exact integer-rupiah arithmetic.

This module is the one definition of a schedule. The server fixes a loan's schedule with it, the
simulation (*Simulasi Pinjaman*) shows it, and the PWA recomputes it in JavaScript from the vectors in
``tests/vectors/loan_schedules.json``. It therefore imports only the standard library and msgspec, and
it never uses floats: rates, interest and the annuity payment are ``fractions.Fraction`` until the one
documented rounding step turns them into whole rupiah (docs/LOANS.md, "Rounding").

The rule, for a schedule of ``n`` installments, monthly rate ``r = annual_rate_bp / 120000`` and
remaining principal ``R`` before installment ``k`` (``R`` starts at the principal ``P``):

* interest ``I_k`` (exact): flat ``P * r``; efektif and anuitas ``R * r``.
* unrounded amount ``U_k`` (exact): flat ``P/n + P*r``; efektif ``P/n + R*r``; anuitas the annuity
  payment ``A = P*r / (1 - (1+r)^-n)`` (``P/n`` when ``r = 0``) for every installment.
* installment ``k < n``: ``amount = round_to(U_k, rounding_multiple, rounding_mode)``,
  ``interest = round_to(I_k, 1, "half_up")``, ``principal = amount - interest``.
* the last installment absorbs the remainder: ``principal = R`` (what is still owed),
  ``interest = round_to(I_n, 1, "half_up")``, ``amount = principal + interest`` (not rounded to the
  multiple).

A schedule in which some installment would have a negative principal part, an installment before the
last would have amount 0, or the principal would be repaid before the last installment is refused
with :class:`ScheduleError` (``code = "schedule_infeasible"``): that only happens when the principal
is tiny next to the tenor and the rounding multiple.
"""

from __future__ import annotations

import calendar
import datetime as dt
from fractions import Fraction
from typing import Literal

from msgspec import Struct

__all__ = [
    "InterestMethod",
    "RoundingMode",
    "INTEREST_METHODS",
    "ROUNDING_MODES",
    "MAX_TENOR",
    "ScheduleError",
    "ScheduleTerms",
    "Installment",
    "Schedule",
    "monthly_rate",
    "annuity_payment",
    "build_schedule",
    "due_date",
    "round_to",
]

InterestMethod = Literal["flat", "efektif", "anuitas"]
RoundingMode = Literal["half_up", "up", "down"]

INTEREST_METHODS: tuple[str, ...] = ("flat", "efektif", "anuitas")
ROUNDING_MODES: tuple[str, ...] = ("half_up", "up", "down")
MAX_TENOR = 600
MAX_YEAR = 9000
"""No schedule runs past this year (dates beyond 9999 do not exist in Python)."""
"""Longest schedule we compute (50 years): a bound on work, far beyond any product."""

_BP_PER_MONTH = 12 * 10_000  # annual basis points -> monthly fraction


class ScheduleError(ValueError):
    """Terms that cannot make a schedule. ``code`` is stable (``invalid_terms``, ``schedule_infeasible``).

    This module may not import ``server.errors`` (clients import it); ``server.domain.loans`` turns
    this into an ``InvalidInput`` with an Indonesian message.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ScheduleTerms(Struct, frozen=True):
    principal: int
    """Rupiah lent, > 0."""
    tenor: int
    """Number of monthly installments, 1..MAX_TENOR."""
    annual_rate_bp: int
    """Annual rate in basis points: 12 % a year = 1200. A flat 1 % a month is also 1200."""
    method: InterestMethod
    rounding_mode: RoundingMode = "half_up"
    rounding_multiple: int = 1
    """Installment amounts (all but the last) are multiples of this: 1, 100, 1000."""


class Installment(Struct, frozen=True):
    number: int
    due_date: dt.date
    principal: int
    interest: int
    amount: int
    remaining: int
    """Principal still owed after this installment is paid."""


class Schedule(Struct, frozen=True):
    terms: ScheduleTerms
    start_date: dt.date
    installments: list[Installment]
    total_principal: int
    total_interest: int
    total_amount: int
    max_installment: int
    """The largest monthly amount: what the plafon rule compares."""

    @property
    def last_due_date(self) -> dt.date:
        return self.installments[-1].due_date


def round_to(value: Fraction | int, multiple: int, mode: RoundingMode) -> int:
    """Round an exact value to a multiple of ``multiple`` rupiah.

    ``down`` = floor(value / m) * m, ``up`` = ceil(value / m) * m, ``half_up`` = floor(value / m + 1/2) * m
    (halves go up; schedule values are never negative, where this is the usual "round half up").
    """
    if isinstance(value, float):
        raise ScheduleError("invalid_terms", "schedules never use floats: pass an int or a Fraction")
    if type(multiple) is not int or multiple < 1:
        raise ScheduleError("invalid_terms", f"rounding multiple must be a positive integer, got {multiple!r}")
    q = Fraction(value) / multiple
    if mode == "down":
        n = q.numerator // q.denominator
    elif mode == "up":
        n = -((-q.numerator) // q.denominator)
    elif mode == "half_up":
        h = q + Fraction(1, 2)
        n = h.numerator // h.denominator
    else:
        raise ScheduleError("invalid_terms", f"unknown rounding mode {mode!r}")
    return n * multiple


def due_date(start: dt.date, n: int) -> dt.date:
    """The date ``n`` months after ``start``, clamped to the month's last day (31 Jan + 1 -> 28/29 Feb).

    Always counted from ``start``, never from the previous due date: 31 Jan -> 28 Feb -> 31 Mar.
    """
    months = start.year * 12 + (start.month - 1) + n
    year, month = divmod(months, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(start.day, last))


def monthly_rate(annual_rate_bp: int) -> Fraction:
    """The exact monthly rate: annual basis points / 120000 (1200 bp -> 1/100)."""
    return Fraction(annual_rate_bp, _BP_PER_MONTH)


def annuity_payment(principal: int, tenor: int, rate: Fraction) -> Fraction:
    """The exact equal payment ``P*r / (1 - (1+r)^-n)`` = ``P*r*(1+r)^n / ((1+r)^n - 1)``; ``P/n`` at r = 0."""
    if rate == 0:
        return Fraction(principal, tenor)
    growth = (1 + rate) ** tenor
    return principal * rate * growth / (growth - 1)


def _check_int(name: str, value: object, minimum: int, maximum: int | None = None) -> None:
    if type(value) is not int:
        raise ScheduleError("invalid_terms", f"{name} must be an integer, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f">= {minimum}" if maximum is None else f"in {minimum}..{maximum}"
        raise ScheduleError("invalid_terms", f"{name} must be {bound}, got {value}")


def _validate(terms: ScheduleTerms) -> None:
    _check_int("principal", terms.principal, 1)
    _check_int("tenor", terms.tenor, 1, MAX_TENOR)
    _check_int("annual_rate_bp", terms.annual_rate_bp, 0)
    _check_int("rounding_multiple", terms.rounding_multiple, 1)
    if terms.method not in INTEREST_METHODS:
        raise ScheduleError("invalid_terms", f"unknown interest method {terms.method!r}")
    if terms.rounding_mode not in ROUNDING_MODES:
        raise ScheduleError("invalid_terms", f"unknown rounding mode {terms.rounding_mode!r}")


def build_schedule(terms: ScheduleTerms, start_date: dt.date) -> Schedule:
    """The full schedule of ``terms`` for a loan disbursed (or simulated) on ``start_date``.

    Installment ``k`` falls due ``due_date(start_date, k)``. See the module docstring and docs/LOANS.md
    for the exact rule; amounts do not depend on dates.
    """
    _validate(terms)
    if start_date.year + (start_date.month + terms.tenor) // 12 > MAX_YEAR:
        raise ScheduleError("date_out_of_range", f"the schedule would end after the year {MAX_YEAR}")
    p, n = terms.principal, terms.tenor
    rate = monthly_rate(terms.annual_rate_bp)
    mode, multiple = terms.rounding_mode, terms.rounding_multiple
    equal_principal = Fraction(p, n)
    payment = annuity_payment(p, n, rate) if terms.method == "anuitas" else None

    installments: list[Installment] = []
    remaining = p
    for k in range(1, n + 1):
        exact_interest = p * rate if terms.method == "flat" else remaining * rate
        interest = round_to(exact_interest, 1, "half_up")
        if k < n:
            unrounded = payment if payment is not None else equal_principal + exact_interest
            amount = round_to(unrounded, multiple, mode)
            principal = amount - interest
            if amount <= 0 or principal < 0 or principal >= remaining:
                raise ScheduleError(
                    "schedule_infeasible",
                    f"installment {k}: amount {amount}, interest {interest}, remaining {remaining}: "
                    "the principal is too small for this tenor and rounding",
                )
        else:
            principal = remaining
            amount = principal + interest
        remaining -= principal
        installments.append(Installment(k, due_date(start_date, k), principal, interest, amount, remaining))

    total_interest = sum(i.interest for i in installments)
    return Schedule(
        terms=terms,
        start_date=start_date,
        installments=installments,
        total_principal=p,
        total_interest=total_interest,
        total_amount=p + total_interest,
        max_installment=max(i.amount for i in installments),
    )
