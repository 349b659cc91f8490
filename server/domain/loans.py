"""Loans (pinjaman): products, the plafon, the application rules, the workflow and repayments.

Workflow (docs/LOANS.md, "Workflow")::

    submitted (Diajukan) ──cancel (applicant)──▶ cancelled (Dibatalkan)
        │ approve / reject (pengurus, admin; never the applicant)
        ├──▶ rejected (Ditolak)
        ▼
    approved (Disetujui) ──disburse (petugas of the loan's location)──▶ active (Aktif)
                                                            last repayment ──▶ paid_off (Lunas)

Disbursement (*pencairan*) is an event, not a status: the loan becomes ``active`` and its schedule
is fixed from the disbursement date. Nothing here touches storage; callers load the structs, call
these functions and write back what they return.
"""

from __future__ import annotations

import calendar
import datetime as dt
from fractions import Fraction
from typing import Literal
from zoneinfo import ZoneInfo

import msgspec
from msgspec import Struct

from server.errors import Forbidden, InvalidInput, InvalidState

from .models import COOP_TZ, Actor, SavingsAccount
from .plafon import (
    DeductionChange,
    PayrollProfile,
    PlafonBreakdown,
    check_deduction_change,
    current_month,
    deduction_for_month,
    next_payroll_month,
    plafon_now,
    request_deduction_change,
    sisa_plafon,
)
from .rules import rupiah
from .schedule import (
    MAX_TENOR,
    Installment,
    InterestMethod,
    RoundingMode,
    Schedule,
    ScheduleError,
    ScheduleTerms,
    build_schedule,
    round_to,
)

__all__ = [
    "LoanStatus",
    "LOAN_STATUS_LABELS",
    "APPLICATION_RULES",
    "ROUNDING_MULTIPLES",
    "LoanProduct",
    "LoanSettings",
    "PayrollProfile",
    "PlafonBreakdown",
    "Loan",
    "RuleCheck",
    "Schedule",
    "Allocation",
    "RepaymentResult",
    "DeductionChange",
    "validate_product",
    "terms_for",
    "simulate",
    "admin_fee",
    "counted_savings_balance",
    "retirement_date",
    "sisa_plafon",
    "check_application",
    "apply_loan",
    "cancel_loan",
    "approve_loan",
    "reject_loan",
    "disburse_loan",
    "check_repayment_actor",
    "repayment_due",
    "check_repayment_amount",
    "apply_repayment",
    "check_deduction_change",
    "request_deduction_change",
    "deduction_for_month",
    "next_payroll_month",
    "plafon_now",
    "current_month",
    "tanggal",
    "percent",
]

LoanStatus = Literal["submitted", "approved", "rejected", "cancelled", "active", "paid_off"]

LOAN_STATUS_LABELS: dict[str, str] = {
    "submitted": "Diajukan",
    "approved": "Disetujui",
    "rejected": "Ditolak",
    "cancelled": "Dibatalkan",
    "active": "Aktif",
    "paid_off": "Lunas",
}

APPLICATION_RULES: tuple[str, ...] = (
    "product_inactive",
    "purpose_unknown",
    "amount_out_of_range",
    "tenor_out_of_range",
    "installment_over_plafon",
    "savings_below_minimum",
    "tenor_past_retirement",
)
"""Every rule ``check_application`` reports, in the order it reports them."""

ROUNDING_MULTIPLES: tuple[int, ...] = (1, 100, 1000)

_MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip


def tanggal(day: dt.date) -> str:
    """A date the Indonesian way: 28 Februari 2026."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def percent(bp: int) -> str:
    """Basis points as an Indonesian percentage: 1000 -> 10%, 1250 -> 12,5%."""
    whole, frac = divmod(bp, 100)
    return f"{whole}%" if frac == 0 else f"{whole},{frac:02d}".rstrip("0") + "%"


# --- records ------------------------------------------------------------------------------------------


class LoanProduct(Struct, frozen=True):
    """A loan product (*jenis pinjaman*) as an admin sets it."""

    id: int
    name: str
    purposes: tuple[str, ...]
    """Allowed purposes (*tujuan pinjaman*); empty = any non-blank purpose."""
    method: InterestMethod
    annual_rate_bp: int
    min_amount: int
    max_amount: int
    min_tenor: int
    max_tenor: int
    admin_fee_bp: int = 0
    admin_fee_flat: int = 0
    rounding_mode: RoundingMode = "half_up"
    rounding_multiple: int = 1
    active: bool = True


class LoanSettings(Struct, frozen=True):
    """The cooperative's loan settings."""

    min_savings_bp: int = 1000
    """Counted savings must be at least this share of the amount (1000 bp = 10 %)."""
    counted_savings: tuple[str, ...] = ("pokok", "wajib", "sukarela")
    """Savings types whose *available* balance (balance - held) counts for the savings rule."""
    retirement_ages: dict[str, int] = msgspec.field(default_factory=lambda: {"karyawan": 56, "pns": 58, "dosen": 65})
    """Member category -> retirement age in years."""


class Loan(Struct, frozen=True):
    id: str
    code: str
    member_id: int
    product_id: int
    purpose: str
    amount: int
    tenor: int
    status: LoanStatus
    created_by: int
    created_at: dt.datetime
    requested_disbursement_date: dt.date
    location_id: int
    disbursement_method: Literal["transfer", "tunai"]
    bank_name: str | None = None
    account_number: str | None = None
    account_holder: str | None = None
    monthly_installment: int = 0
    """The largest installment of the simulated (then the fixed) schedule."""
    decided_by: int | None = None
    decided_at: dt.datetime | None = None
    reason: str | None = None
    disbursed_by: int | None = None
    disbursed_at: dt.datetime | None = None
    disbursement_date: dt.date | None = None
    outstanding: int = 0
    """Principal still owed (after disbursement)."""
    terms: ScheduleTerms | None = None
    """The product's terms as they were when the member applied; the disbursed schedule uses them."""
    admin_fee: int = 0
    """Fee kept from the disbursement: the member receives ``amount - admin_fee``."""


class RuleCheck(Struct, frozen=True):
    code: str
    ok: bool
    message: str


class Allocation(Struct, frozen=True):
    """The part of one repayment that went to one installment."""

    number: int
    due_date: dt.date
    principal: int
    interest: int
    installment_paid: bool
    """True if this installment is now fully paid."""

    @property
    def amount(self) -> int:
        return self.principal + self.interest


class RepaymentResult(Struct, frozen=True):
    loan: Loan
    """The loan with its new ``outstanding`` (and ``status = "paid_off"`` when nothing is owed)."""
    allocations: list[Allocation]
    principal: int
    interest: int
    outstanding: int
    paid_off: bool


# --- products and simulation -------------------------------------------------------------------------


def validate_product(product: LoanProduct) -> LoanProduct:
    """Check a product an admin saves; returns it unchanged or raises ``InvalidInput("invalid_product")``."""
    problems: list[str] = []
    if not product.name.strip():
        problems.append("Nama produk wajib diisi.")
    if product.method not in ("flat", "efektif", "anuitas"):
        problems.append("Metode bunga harus flat, efektif atau anuitas.")
    if product.annual_rate_bp < 0:
        problems.append("Suku bunga tidak boleh negatif.")
    if not 0 < product.min_amount <= product.max_amount:
        problems.append("Jumlah minimum harus lebih dari nol dan tidak melebihi jumlah maksimum.")
    if not 1 <= product.min_tenor <= product.max_tenor:
        problems.append("Jangka waktu minimum harus minimal 1 bulan dan tidak melebihi jangka waktu maksimum.")
    if product.admin_fee_bp < 0 or product.admin_fee_flat < 0:
        problems.append("Biaya administrasi tidak boleh negatif.")
    if product.rounding_mode not in ("half_up", "up", "down"):
        problems.append("Mode pembulatan harus half_up, up atau down.")
    if product.rounding_multiple not in ROUNDING_MULTIPLES:
        problems.append("Kelipatan pembulatan harus Rp1, Rp100 atau Rp1.000.")
    if any(not p.strip() for p in product.purposes):
        problems.append("Tujuan pinjaman tidak boleh kosong.")
    if problems:
        raise InvalidInput("invalid_product", " ".join(problems), {"problems": problems})
    return product


def terms_for(product: LoanProduct, amount: int, tenor: int) -> ScheduleTerms:
    return ScheduleTerms(
        principal=amount,
        tenor=tenor,
        annual_rate_bp=product.annual_rate_bp,
        method=product.method,
        rounding_mode=product.rounding_mode,
        rounding_multiple=product.rounding_multiple,
    )


def _build(terms: ScheduleTerms, start_date: dt.date) -> Schedule:
    try:
        return build_schedule(terms, start_date)
    except ScheduleError as exc:
        if exc.code == "date_out_of_range":
            raise InvalidInput("date_out_of_range", "Tanggal di luar rentang yang dapat dihitung.") from exc
        if exc.code == "schedule_infeasible":
            raise InvalidInput(
                "schedule_infeasible",
                f"Jadwal angsuran tidak dapat dibentuk: jumlah {rupiah(terms.principal)} terlalu kecil untuk "
                f"{terms.tenor} bulan dengan pembulatan {rupiah(terms.rounding_multiple)}. "
                "Perbesar jumlah atau perpendek jangka waktu.",
            ) from exc
        if type(terms.principal) is not int or terms.principal <= 0:
            raise InvalidInput("amount_not_positive", "Jumlah pinjaman harus bilangan bulat lebih dari nol.") from exc
        if type(terms.tenor) is not int or terms.tenor <= 0:
            raise InvalidInput("tenor_not_positive", "Jangka waktu harus minimal 1 bulan.") from exc
        if terms.tenor > MAX_TENOR:
            raise InvalidInput("tenor_too_long", f"Jangka waktu paling lama {MAX_TENOR} bulan.") from exc
        raise InvalidInput("invalid_terms", "Syarat produk pinjaman tidak valid.", {"reason": exc.message}) from exc


def simulate(product: LoanProduct, amount: int, tenor: int, start_date: dt.date) -> Schedule:
    """*Simulasi Pinjaman*: the schedule of ``amount`` over ``tenor`` months from ``start_date``.

    The product's limits are not enforced here (``check_application`` reports them with the other
    rules); only terms that cannot make a schedule raise ``InvalidInput``.
    """
    return _build(terms_for(product, amount, tenor), start_date)


def admin_fee(product: LoanProduct, amount: int) -> int:
    """``amount * admin_fee_bp / 10000`` rounded half up to Rp1, plus ``admin_fee_flat``."""
    return round_to(Fraction(amount * product.admin_fee_bp, 10_000), 1, "half_up") + product.admin_fee_flat


def counted_savings_balance(accounts: list[SavingsAccount], settings: LoanSettings) -> int:
    """The savings that count for the savings rule: available balances of ``settings.counted_savings``."""
    return sum(a.available for a in accounts if a.savings_type in settings.counted_savings)


# --- plafon and retirement ---------------------------------------------------------------------------


def retirement_date(profile: PayrollProfile, settings: LoanSettings) -> dt.date | None:
    """The member's birthday at the retirement age of their category (29 Feb -> 28 Feb).

    None when the birth date is unknown or the category has no retirement age.
    """
    age = settings.retirement_ages.get(profile.category)
    if profile.birth_date is None or age is None:
        return None
    born = profile.birth_date
    year = born.year + age
    if year > 9999:
        return None
    if born.month == 2 and born.day == 29 and not calendar.isleap(year):
        return dt.date(year, 2, 28)  # born on 29 February, retiring in a common year
    return born.replace(year=year)


# --- application -------------------------------------------------------------------------------------


def _check_schedule_matches(product: LoanProduct, amount: int, tenor: int, schedule: Schedule) -> None:
    if schedule.terms != terms_for(product, amount, tenor):
        raise InvalidInput(
            "schedule_mismatch", "Simulasi angsuran tidak sesuai dengan produk, jumlah dan jangka waktu pinjaman."
        )


def check_application(
    *,
    product: LoanProduct,
    purpose: str,
    amount: int,
    tenor: int,
    schedule: Schedule,
    breakdown: PlafonBreakdown,
    savings_balance: int,
    retirement: dt.date | None,
    settings: LoanSettings,
) -> list[RuleCheck]:
    """Every application rule, passed or not, in ``APPLICATION_RULES`` order (the UI shows them all)."""
    _check_schedule_matches(product, amount, tenor, schedule)
    checks: list[RuleCheck] = []

    def add(code: str, ok: bool, passed: str, failed: str) -> None:
        checks.append(RuleCheck(code, ok, passed if ok else failed))

    add(
        "product_inactive",
        product.active,
        f"Produk {product.name} tersedia.",
        f"Produk {product.name} sudah tidak tersedia untuk pengajuan baru.",
    )
    given = purpose.strip()
    purpose_ok = bool(given) and (not product.purposes or given in product.purposes)
    add(
        "purpose_unknown",
        purpose_ok,
        f"Tujuan pinjaman: {given}.",
        "Tujuan pinjaman wajib diisi."
        if not given
        else f'Tujuan "{given}" tidak tersedia untuk produk {product.name}.',
    )
    add(
        "amount_out_of_range",
        product.min_amount <= amount <= product.max_amount,
        f"Jumlah pinjaman {rupiah(amount)} dalam batas produk.",
        f"Jumlah pinjaman harus antara {rupiah(product.min_amount)} dan {rupiah(product.max_amount)}.",
    )
    add(
        "tenor_out_of_range",
        product.min_tenor <= tenor <= product.max_tenor,
        f"Jangka waktu {tenor} bulan dalam batas produk.",
        f"Jangka waktu harus antara {product.min_tenor} dan {product.max_tenor} bulan.",
    )
    installment = schedule.max_installment
    add(
        "installment_over_plafon",
        installment <= breakdown.remaining,
        f"Angsuran {rupiah(installment)} tidak melebihi sisa plafon {rupiah(breakdown.remaining)}.",
        f"Angsuran {rupiah(installment)} melebihi sisa plafon {rupiah(breakdown.remaining)}.",
    )
    required = -(-amount * settings.min_savings_bp // 10_000)
    add(
        "savings_below_minimum",
        savings_balance >= required,
        f"Saldo simpanan {rupiah(savings_balance)} memenuhi minimal {percent(settings.min_savings_bp)} "
        f"dari jumlah pinjaman ({rupiah(required)}).",
        f"Saldo simpanan {rupiah(savings_balance)} kurang dari minimal {percent(settings.min_savings_bp)} "
        f"dari jumlah pinjaman ({rupiah(required)}).",
    )
    last = schedule.last_due_date
    if retirement is None:
        checks.append(
            RuleCheck(
                "tenor_past_retirement",
                False,
                "Tanggal lahir atau kategori anggota belum tercatat, sehingga batas usia pensiun tidak dapat "
                "diperiksa. Hubungi petugas koperasi.",
            )
        )
    else:
        add(
            "tenor_past_retirement",
            last < retirement,
            f"Angsuran terakhir ({tanggal(last)}) jatuh sebelum tanggal pensiun ({tanggal(retirement)}).",
            f"Angsuran terakhir jatuh tempo {tanggal(last)}, tidak sebelum tanggal pensiun {tanggal(retirement)}. "
            "Perpendek jangka waktu.",
        )
    return checks


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def apply_loan(
    *,
    loan_id: str,
    code: str,
    actor: Actor,
    member_id: int,
    product: LoanProduct,
    purpose: str,
    amount: int,
    tenor: int,
    requested_disbursement_date: dt.date,
    location_id: int,
    disbursement_method: str,
    bank_name: str | None = None,
    account_number: str | None = None,
    account_holder: str | None = None,
    checks: list[RuleCheck],
    schedule: Schedule,
    now: dt.datetime,
    today: dt.date | None = None,
    tz: ZoneInfo = COOP_TZ,
) -> Loan:
    """A member applies for a loan for themselves; the loan is *Diajukan* if every rule passed.

    ``checks`` is what ``check_application`` returned for the same product, amount, tenor and
    ``schedule`` (the simulation): the first failed rule is raised, with all failed codes in the detail.
    """
    if actor.member_id is None or actor.member_id != member_id:
        raise Forbidden("not_owner", "Anda hanya dapat mengajukan pinjaman untuk diri sendiri.")
    _check_schedule_matches(product, amount, tenor, schedule)
    missing_rules = [r for r in APPLICATION_RULES if r not in {c.code for c in checks}]
    if missing_rules:
        raise ValueError(f"checks must come from check_application; missing {missing_rules}")
    failed = [c for c in checks if not c.ok]
    if failed:
        raise InvalidInput(failed[0].code, failed[0].message, {"checks": [c.code for c in failed]})
    if disbursement_method not in ("transfer", "tunai"):
        raise InvalidInput("invalid_disbursement_method", "Metode pencairan harus transfer atau tunai.")
    if disbursement_method == "transfer":
        details = (("bank_name", bank_name), ("account_number", account_number), ("account_holder", account_holder))
        missing = [f for f, v in details if _blank(v)]
        if missing:
            raise InvalidInput(
                "missing_field",
                "Pencairan transfer wajib mengisi bank, nomor rekening dan atas nama.",
                {"fields": missing},
            )
    # ``today`` is the day the member applied (the device's, bounded by the caller), so an application
    # queued offline for "today" is not refused because it reached the server a day later
    if requested_disbursement_date < (today or now.astimezone(tz).date()):
        raise InvalidInput("disbursement_date_in_past", "Tanggal permintaan pencairan tidak boleh sebelum hari ini.")
    if requested_disbursement_date > now.astimezone(tz).date() + dt.timedelta(days=366):
        raise InvalidInput(
            "disbursement_date_too_far", "Tanggal permintaan pencairan paling lambat satu tahun dari hari ini."
        )
    return Loan(
        id=loan_id,
        code=code,
        member_id=member_id,
        product_id=product.id,
        purpose=purpose.strip(),
        amount=amount,
        tenor=tenor,
        status="submitted",
        created_by=actor.user_id,
        created_at=now,
        requested_disbursement_date=requested_disbursement_date,
        location_id=location_id,
        disbursement_method=disbursement_method,  # type: ignore[arg-type]  # one of the two, checked above
        bank_name=bank_name,
        account_number=account_number,
        account_holder=account_holder,
        monthly_installment=schedule.max_installment,
        terms=schedule.terms,
        admin_fee=admin_fee(product, amount),
    )


_STATUS_PHRASES = {
    "submitted": "masih diajukan",
    "approved": "sudah disetujui",
    "rejected": "sudah ditolak",
    "cancelled": "sudah dibatalkan",
    "active": "sudah dicairkan",
    "paid_off": "sudah lunas",
}


def _require_status(loan: Loan, status: str, code: str, action: str) -> None:
    if loan.status != status:
        raise InvalidState(
            code,
            f"Pinjaman {loan.code} {_STATUS_PHRASES.get(loan.status, loan.status)} sehingga tidak dapat {action}.",
            {"status": loan.status},
        )


def cancel_loan(loan: Loan, actor: Actor, now: dt.datetime) -> Loan:
    """The applicant cancels while the loan is still *Diajukan*."""
    if actor.member_id is None or actor.member_id != loan.member_id:
        raise Forbidden("not_owner", "Hanya anggota yang mengajukan yang dapat membatalkan pinjaman ini.")
    _require_status(loan, "submitted", "loan_not_cancellable", "dibatalkan")
    return msgspec.structs.replace(loan, status="cancelled", decided_by=actor.user_id, decided_at=now)


def _check_board(loan: Loan, actor: Actor, action: str) -> None:
    if not actor.is_elevated:
        raise Forbidden("board_only", f"Hanya pengurus yang dapat {action} pengajuan pinjaman.")
    if actor.user_id == loan.created_by or (actor.member_id is not None and actor.member_id == loan.member_id):
        raise Forbidden("own_application", "Pengurus tidak boleh memutuskan pengajuan pinjamannya sendiri.")


def approve_loan(loan: Loan, actor: Actor, now: dt.datetime) -> Loan:
    """The board (pengurus or admin) approves a submitted loan; never their own."""
    _check_board(loan, actor, "menyetujui")
    _require_status(loan, "submitted", "loan_not_submitted", "disetujui")
    return msgspec.structs.replace(loan, status="approved", decided_by=actor.user_id, decided_at=now)


def reject_loan(loan: Loan, actor: Actor, reason: str, now: dt.datetime) -> Loan:
    """The board rejects a submitted loan with a reason the member sees."""
    _check_board(loan, actor, "menolak")
    _require_status(loan, "submitted", "loan_not_submitted", "ditolak")
    if not reason or not reason.strip():
        raise InvalidInput("reason_required", "Alasan penolakan wajib diisi.")
    return msgspec.structs.replace(
        loan, status="rejected", decided_by=actor.user_id, decided_at=now, reason=reason.strip()
    )


def disburse_loan(
    loan: Loan,
    actor: Actor,
    product: LoanProduct,
    disbursement_date: dt.date,
    now: dt.datetime,
    tz: ZoneInfo = COOP_TZ,
) -> tuple[Loan, Schedule]:
    """An officer of the loan's location records the disbursement; the schedule is fixed from its date.

    The terms are those the member applied with (``loan.terms``); ``product`` supplies them only for a
    loan recorded without terms. The officer may not disburse a loan to themselves.
    """
    if not actor.serves(loan.location_id):
        raise Forbidden("not_officer_of_location", "Hanya petugas lokasi ini yang dapat mencatat pencairan pinjaman.")
    if actor.user_id == loan.created_by or (actor.member_id is not None and actor.member_id == loan.member_id):
        raise Forbidden("own_transaction", "Petugas tidak boleh mencairkan pinjamannya sendiri.")
    _require_status(loan, "approved", "loan_not_approved", "dicairkan")
    if product.id != loan.product_id:
        raise InvalidInput("product_mismatch", "Produk tidak sesuai dengan produk pinjaman ini.")
    if disbursement_date > now.astimezone(tz).date():
        raise InvalidInput("disbursement_date_in_future", "Tanggal pencairan tidak boleh di masa depan.")
    if disbursement_date < loan.created_at.astimezone(tz).date():
        raise InvalidInput(
            "disbursement_date_before_application", "Tanggal pencairan tidak boleh sebelum tanggal pengajuan."
        )
    terms = loan.terms if loan.terms is not None else terms_for(product, loan.amount, loan.tenor)
    schedule = _build(terms, disbursement_date)
    disbursed = msgspec.structs.replace(
        loan,
        status="active",
        disbursed_by=actor.user_id,
        disbursed_at=now,
        disbursement_date=disbursement_date,
        monthly_installment=schedule.max_installment,
        outstanding=loan.amount,
        terms=terms,
    )
    return disbursed, schedule


# --- repayments ----------------------------------------------------------------------------------------


def check_repayment_actor(loan: Loan, actor: Actor, source: str) -> None:
    """Cash (``tunai``) is taken by an officer of the loan's location; payroll (``potong_gaji``)
    results are posted by pengurus or admin (the payroll import)."""
    if source == "tunai":
        if not actor.serves(loan.location_id):
            raise Forbidden("not_officer_of_location", "Hanya petugas lokasi ini yang dapat menerima angsuran tunai.")
        if actor.member_id is not None and actor.member_id == loan.member_id:
            raise Forbidden("own_transaction", "Petugas tidak boleh mencatat angsuran pinjamannya sendiri.")
    elif source == "potong_gaji":
        if not actor.is_elevated:
            raise Forbidden("board_only", "Hanya pengurus atau admin yang dapat memposting hasil potong gaji.")
    else:
        raise InvalidInput("invalid_repayment_source", "Sumber pembayaran harus tunai atau potong_gaji.")


def repayment_due(installments: list[tuple[int, int]]) -> int:
    """What is still owed on a loan: each installment's amount less what was paid on it.

    ``installments`` holds ``(amount, paid)`` per installment, as the ``loan_schedule`` feed row carries
    them, so an officer's device computes the same figure from its replica (pwa/js/domain/loans.js)."""
    return sum(amount - paid for amount, paid in installments)


def check_repayment_amount(loan_code: str, due: int, amount: int) -> None:
    """A repayment is a positive integer no larger than what is still owed (``due``)."""
    if type(amount) is not int or amount <= 0:
        raise InvalidInput("amount_not_positive", "Jumlah pembayaran harus bilangan bulat lebih dari nol.")
    if amount > due:
        raise InvalidInput(
            "repayment_exceeds_due",
            f"Pembayaran {rupiah(amount)} melebihi sisa tagihan pinjaman {loan_code} sebesar {rupiah(due)}.",
            {"due": due},
        )


def apply_repayment(loan: Loan, schedule_paid: list[tuple[Installment, int]], amount: int) -> RepaymentResult:
    """Allocate a repayment to the oldest installments not yet fully paid.

    ``schedule_paid`` is every installment of the loan's fixed schedule with what has already been
    paid on it. Within an installment, interest is paid before principal; a payment larger than the
    next installment flows on to the following ones (early payment pays scheduled installments in
    order, with their scheduled interest). More than everything still owed is refused.
    """
    _require_status(loan, "active", "loan_not_active", "menerima angsuran")
    rows = sorted(schedule_paid, key=lambda row: row[0].number)
    if [inst.number for inst, _ in rows] != list(range(1, len(rows) + 1)) or not rows:
        raise ValueError("schedule_paid must hold every installment of the schedule, numbered from 1")
    if sum(inst.principal for inst, _ in rows) != loan.amount:
        raise ValueError("schedule_paid is not the schedule of this loan")
    for inst, paid in rows:
        if paid < 0 or paid > inst.amount:
            raise ValueError(f"installment {inst.number}: paid {paid} outside 0..{inst.amount}")
    due = repayment_due([(inst.amount, paid) for inst, paid in rows])
    check_repayment_amount(loan.code, due, amount)
    left = amount
    allocations: list[Allocation] = []
    principal_paid_before = 0
    for inst, paid in rows:
        interest_before = min(paid, inst.interest)
        principal_paid_before += paid - interest_before
        if left == 0 or paid == inst.amount:
            continue
        interest = min(left, inst.interest - interest_before)
        left -= interest
        principal = min(left, inst.principal - (paid - interest_before))
        left -= principal
        allocations.append(
            Allocation(inst.number, inst.due_date, principal, interest, paid + interest + principal == inst.amount)
        )
    principal_total = sum(a.principal for a in allocations)
    interest_total = sum(a.interest for a in allocations)
    outstanding = loan.amount - principal_paid_before - principal_total
    paid_off = amount == due
    updated = msgspec.structs.replace(loan, outstanding=outstanding, status="paid_off" if paid_off else loan.status)
    return RepaymentResult(updated, allocations, principal_total, interest_total, outstanding, paid_off)
