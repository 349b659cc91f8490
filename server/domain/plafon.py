"""The plafon angsuran: the monthly ceiling on what payroll may deduct for installments and voluntary
savings, and the changes of the voluntary deduction (*pengajuan perubahan setoran*).

sisa plafon = plafon - installments of approved/active loans - voluntary payroll deduction
(docs/LOANS.md). ``server.domain.loans`` re-exports everything here.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from msgspec import Struct

from server.errors import Forbidden, InvalidInput, InvalidState

from .models import COOP_TZ, Actor
from .rules import rupiah
from .schedule import due_date

__all__ = [
    "PayrollProfile",
    "PlafonBreakdown",
    "DeductionChange",
    "sisa_plafon",
    "plafon_now",
    "current_month",
    "deduction_for_month",
    "check_deduction_change",
    "next_payroll_month",
    "request_deduction_change",
]


class PayrollProfile(Struct, frozen=True):
    """What payroll (*potong gaji*) knows of a member."""

    member_id: int
    plafon: int | None = None
    """Plafon angsuran/cicilan: the most that may be deducted each month for installments and voluntary savings."""
    birth_date: dt.date | None = None
    category: str = "karyawan"
    voluntary_deduction: int = 0
    """Simpanan sukarela deducted each month before any change; a month's amount comes from the change
    history (``deduction_for_month``)."""
    mandatory_savings: int = 0
    """Simpanan wajib deducted each month."""


class PlafonBreakdown(Struct, frozen=True):
    plafon: int
    active_installments: int
    voluntary_deduction: int
    remaining: int
    """plafon - active_installments - voluntary_deduction; may be negative."""


class DeductionChange(Struct, frozen=True):
    """A *pengajuan perubahan setoran*: the voluntary payroll deduction from ``effective_month`` on."""

    id: str
    member_id: int
    current_amount: int
    new_amount: int
    effective_month: str
    created_by: int
    created_at: dt.datetime
    savings_type: str = "sukarela"


def sisa_plafon(
    profile: PayrollProfile, active_monthly_installments: list[int], replace_voluntary_with: int | None = None
) -> PlafonBreakdown:
    """Sisa plafon = plafon - installments of active loans - voluntary payroll deduction.

    ``replace_voluntary_with`` counts that amount instead of the current voluntary deduction (a
    change request replaces the current deduction, it does not add to it).
    """
    if profile.plafon is None:
        raise InvalidState("plafon_not_set", "Plafon angsuran/cicilan Anda belum ditetapkan. Hubungi petugas koperasi.")
    installments = sum(active_monthly_installments)
    voluntary = profile.voluntary_deduction if replace_voluntary_with is None else replace_voluntary_with
    return PlafonBreakdown(
        plafon=profile.plafon,
        active_installments=installments,
        voluntary_deduction=voluntary,
        remaining=profile.plafon - installments - voluntary,
    )


# --- voluntary payroll deduction ------------------------------------------------------------------------


def check_deduction_change(
    profile: PayrollProfile, active_monthly_installments: list[int], new_amount: int
) -> PlafonBreakdown:
    """A new voluntary payroll deduction: >= 0 and within sisa plafon, counting the current one as replaced.

    Returns the breakdown after the change (its ``remaining`` is >= 0).
    """
    if type(new_amount) is not int or new_amount < 0:
        raise InvalidInput("amount_negative", "Nominal setoran harus bilangan bulat rupiah, tidak boleh negatif.")
    after = sisa_plafon(profile, active_monthly_installments, replace_voluntary_with=new_amount)
    if after.remaining < 0:
        available = after.plafon - after.active_installments
        raise InvalidInput(
            "deduction_over_plafon",
            f"Nominal setoran {rupiah(new_amount)} melebihi sisa plafon {rupiah(available)} "
            f"(tanpa setoran sukarela saat ini {rupiah(profile.voluntary_deduction)}).",
            {"available": available},
        )
    return after


def next_payroll_month(today: dt.date) -> str:
    """ "YYYY-MM" of the month after ``today``: when a deduction change takes effect."""
    nxt = due_date(today.replace(day=1), 1)
    return f"{nxt.year:04d}-{nxt.month:02d}"


def request_deduction_change(
    *,
    change_id: str,
    actor: Actor,
    profile: PayrollProfile,
    active_monthly_installments: list[int],
    new_amount: int,
    now: dt.datetime,
    tz: ZoneInfo = COOP_TZ,
) -> DeductionChange:
    """*Pengajuan Perubahan Setoran*: a member changes their own voluntary deduction from next month."""
    if actor.member_id is None or actor.member_id != profile.member_id:
        raise Forbidden("not_owner", "Anda hanya dapat mengubah setoran potong gaji milik sendiri.")
    check_deduction_change(profile, active_monthly_installments, new_amount)
    return DeductionChange(
        id=change_id,
        member_id=profile.member_id,
        current_amount=profile.voluntary_deduction,
        new_amount=new_amount,
        effective_month=next_payroll_month(now.astimezone(tz).date()),
        created_by=actor.user_id,
        created_at=now,
    )


def plafon_now(
    profile: PayrollProfile, changes: list[DeductionChange], month: str, active_monthly_installments: list[int]
) -> PlafonBreakdown:
    """Sisa plafon as every check counts it in ``month``: the voluntary deduction is the highest of the
    one in effect and any already requested for a later month, so a pending change and a loan
    approval can never together overrun the plafon."""
    later = [c.new_amount for c in changes if c.member_id == profile.member_id and c.effective_month > month]
    voluntary = max([deduction_for_month(profile, changes, month), *later])
    return sisa_plafon(profile, active_monthly_installments, replace_voluntary_with=voluntary)


def current_month(now: dt.datetime, tz: ZoneInfo = COOP_TZ) -> str:
    day = now.astimezone(tz).date()
    return f"{day.year:04d}-{day.month:02d}"


def deduction_for_month(profile: PayrollProfile, changes: list[DeductionChange], month: str) -> int:
    """The voluntary deduction payroll takes in ``month``: the latest change effective by then, else the profile's.

    ``changes`` are the member's changes not cancelled (submitted or already applied); the profile's
    own amount is the one set before any of them, so re-exporting an earlier month gives that
    month's amount, never a later one.
    """
    effective = [c for c in changes if c.member_id == profile.member_id and c.effective_month <= month]
    if not effective:
        return profile.voluntary_deduction
    return max(effective, key=lambda c: (c.effective_month, c.created_at)).new_amount
