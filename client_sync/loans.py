"""Loans on the device: the server's own rules run on replica rows, and the optimistic loan views.

Why the domain is imported, not copied: an application refused here must be exactly one the server
would refuse, with the same code and message, and a simulation must show the installments the server
will fix. ``server.domain.loans``/``schedule``/``models`` and ``server.errors`` are pure (msgspec and
the standard library); nothing of storage, HTTP or the sync engine is imported.

Mirroring the server (docs/LOANS.md):

* sisa plafon counts the ``monthly_installment`` of the member's ``approved`` and ``active`` loans in
  the replica (as ``server.storage.loans.active_installments``); applications still pending on this
  device or ``submitted`` on the server do not count, and neither does a pending approval here;
* counted savings are the replica's ``savings_account`` rows (balance - held), nothing else;
* a member without a payroll profile row has no plafon (``plafon_not_set``), like the server's default.

Everything here is a pure function of (replica rows, outbox items, dates); ``SyncClient`` fetches the
rows and queues the ops.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import msgspec

from server.domain.loans import (
    APPLICATION_RULES,
    DeductionChange,
    Loan,
    LoanProduct,
    LoanSettings,
    PayrollProfile,
    PlafonBreakdown,
    RuleCheck,
    admin_fee,
    apply_repayment,
    check_application,
    check_repayment_actor,
    counted_savings_balance,
    next_payroll_month,
    plafon_now,
    retirement_date,
    simulate,
)
from server.domain.models import Actor, SavingsAccount
from server.domain.schedule import Installment, Schedule, build_schedule
from server.errors import DomainError
from server.protocol import (
    DeductionChangeCancel,
    DeductionChangeCreate,
    LoanApply,
    LoanApprove,
    LoanCancel,
    LoanDisburse,
    LoanReject,
    LoanRepay,
    UserInfo,
)

from .coop_time import coop_month, coop_today
from .errors import RuleViolation
from .models import DeductionChangeView, InstallmentView, LoanDetail, LoanView, QueuedItem, RepaymentView
from .view import PENDING, _pending_actions, _transaction_views  # the one overlay builder of the package

__all__ = [
    "PLAFON_STATUSES",
    "actor_for",
    "domain_rules",
    "product_list",
    "find_product",
    "payroll_profile",
    "profiles_by_member",
    "plafon_installments",
    "savings_accounts",
    "plafon",
    "Evaluation",
    "evaluate_application",
    "loan_views",
    "find_loan",
    "loan_detail",
    "pending_repayments",
    "pending_allocation",
    "check_repayment",
    "deduction_change_views",
]

PLAFON_STATUSES = ("approved", "active")
"""Loans whose monthly installment counts against the plafon (the server's ``active_installments``)."""

_LOAN_ACTIONS = (LoanCancel, LoanApprove, LoanReject, LoanDisburse)


def actor_for(user: UserInfo) -> Actor:
    return Actor(user_id=user.id, role=user.role, member_id=user.member_id, location_ids=frozenset(user.location_ids))


@contextlib.contextmanager
def domain_rules(failed: Sequence[RuleCheck] = ()) -> Iterator[None]:
    """Turn a domain refusal into ``RuleViolation`` (``failed``: the checks behind a rule failure)."""
    try:
        yield
    except DomainError as exc:
        rule_failure = exc.code in APPLICATION_RULES and bool(failed)
        checks = tuple(failed) if rule_failure else (RuleCheck(exc.code, False, exc.message),)
        raise RuleViolation(exc.code, exc.message, checks, exc.detail) from exc


# --- reading replica rows as domain records ------------------------------------------------------


def product_list(rows: Iterable[dict[str, Any]]) -> list[LoanProduct]:
    return sorted((msgspec.convert(r, LoanProduct, strict=False) for r in rows), key=lambda p: p.id)


def find_product(products: Sequence[LoanProduct], ref: str | int) -> LoanProduct | None:
    """A product by id, by name (case-insensitive), or by the one name containing ``ref``."""
    text = str(ref).strip()
    if text.isdigit():
        return next((p for p in products if p.id == int(text)), None)
    needle = text.casefold()
    exact = [p for p in products if p.name.casefold() == needle]
    if exact:
        return exact[0]
    partial = [p for p in products if needle and needle in p.name.casefold()]
    return partial[0] if len(partial) == 1 else None


def payroll_profile(row: dict[str, Any] | None) -> PayrollProfile | None:
    return None if row is None else msgspec.convert(row, PayrollProfile, strict=False)


def profiles_by_member(rows: Iterable[dict[str, Any]]) -> dict[int, PayrollProfile]:
    return {int(r["member_id"]): msgspec.convert(r, PayrollProfile, strict=False) for r in rows}


def plafon_installments(loan_rows: Iterable[dict[str, Any]], member_id: int) -> list[int]:
    return [
        int(r.get("monthly_installment") or 0)
        for r in loan_rows
        if int(r["member_id"]) == member_id and r.get("status") in PLAFON_STATUSES
    ]


def savings_accounts(rows: Iterable[dict[str, Any]], member_id: int) -> list[SavingsAccount]:
    return [msgspec.convert(r, SavingsAccount, strict=False) for r in rows if int(r["member_id"]) == member_id]


def deduction_history(rows: Iterable[dict[str, Any]], member_id: int) -> list[DeductionChange]:
    """The member's deduction changes the server counts (submitted or applied, not cancelled)."""
    return [
        msgspec.convert(r, DeductionChange, strict=False)
        for r in rows
        if int(r["member_id"]) == member_id and r.get("status") in ("submitted", "applied")
    ]


def plafon(
    member_id: int,
    profile: PayrollProfile | None,
    loan_rows: Iterable[dict[str, Any]],
    change_rows: Iterable[dict[str, Any]] = (),
    today: dt.date | None = None,
) -> PlafonBreakdown:
    """Sisa plafon from the replica, counted as the server counts it (``loans.plafon_now``) in the
    month of ``today`` (the cooperative's date; default: today in WIB);
    ``RuleViolation("plafon_not_set")`` when the member has none."""
    month = coop_month(today or coop_today(None))
    with domain_rules():
        return plafon_now(
            profile or PayrollProfile(member_id),
            deduction_history(change_rows, member_id),
            month,
            plafon_installments(loan_rows, member_id),
        )


class Evaluation(msgspec.Struct, frozen=True):
    """A loan application as the device sees it: the simulated schedule and every rule."""

    schedule: Schedule
    checks: list[RuleCheck]
    breakdown: PlafonBreakdown

    @property
    def failed(self) -> list[RuleCheck]:
        return [c for c in self.checks if not c.ok]


def evaluate_application(
    *,
    product: LoanProduct,
    member_id: int,
    profile: PayrollProfile | None,
    loan_rows: Iterable[dict[str, Any]],
    account_rows: Iterable[dict[str, Any]],
    purpose: str,
    amount: int,
    tenor: int,
    start_date: dt.date,
    settings: LoanSettings,
    change_rows: Iterable[dict[str, Any]] = (),
    today: dt.date | None = None,
) -> Evaluation:
    """``check_application`` with the inputs the server would load, taken from the replica.

    Raises ``RuleViolation`` only when no rule list can be made: no plafon (``plafon_not_set``) or no
    schedule (``schedule_infeasible``, ``amount_not_positive``, …), in that order like the server.
    """
    profile = profile or PayrollProfile(member_id)
    breakdown = plafon(member_id, profile, loan_rows, change_rows, today)  # the server's order: plafon_not_set first
    with domain_rules():
        schedule = simulate(product, amount, tenor, start_date)
        checks = check_application(
            product=product,
            purpose=purpose,
            amount=amount,
            tenor=tenor,
            schedule=schedule,
            breakdown=breakdown,
            savings_balance=counted_savings_balance(savings_accounts(account_rows, member_id), settings),
            retirement=retirement_date(profile, settings),
            settings=settings,
        )
    return Evaluation(schedule, checks, breakdown)


# --- loan views -------------------------------------------------------------------------------


def _simulated(view: LoanView, product: LoanProduct | None, today: dt.date) -> LoanView:
    """A pending application with the installment, terms and fee the server will record for it."""
    if product is None or view.status != PENDING:
        return view
    try:
        schedule = simulate(product, view.amount, view.tenor, view.requested_disbursement_date or today)
    except DomainError:
        return view
    return msgspec.structs.replace(
        view,
        monthly_installment=schedule.max_installment,
        terms=schedule.terms,
        admin_fee=admin_fee(product, view.amount),
    )


def pending_repayments(
    items: Sequence[QueuedItem], known: Iterable[str] = ()
) -> dict[str, list[tuple[QueuedItem, LoanRepay]]]:
    """Loan id -> the cash repayments queued here and not yet pulled back, in outbox order.

    ``known``: repayment ids the replica already holds; those are left out even before their item is
    settled, so a page that brought the repayment (and the schedule's ``paid``) never counts it twice.
    """
    seen = set(known)
    out: dict[str, list[tuple[QueuedItem, LoanRepay]]] = {}
    for item in items:
        if isinstance(item.op, LoanRepay) and item.op.repayment_id not in seen:
            out.setdefault(item.op.loan_id, []).append((item, item.op))
    return out


def loan_views(
    rows: Iterable[dict[str, Any]],
    items: Sequence[QueuedItem],
    products: Sequence[LoanProduct] = (),
    *,
    member_id: int | None = None,
    status: str | None = None,
    today: dt.date | None = None,
) -> list[LoanView]:
    """Loans newest first: applications pending here (``status='pending'``), then the replica's.

    ``today``: the cooperative's date a pending application without a requested date is simulated from
    (default: today in WIB)."""
    today = today or coop_today(None)
    actions = _pending_actions(items, _LOAN_ACTIONS, "loan_id")
    views = _transaction_views(LoanView, rows, items, LoanApply, LoanCancel, "loan_id", actions, member_id, status)
    by_id = {p.id: p for p in products}
    repaying = pending_repayments(items)
    out = []
    for v in views:
        v = _simulated(v, by_id.get(v.product_id), today)
        owed = sum(op.amount for _, op in repaying.get(v.id, ()))
        out.append(
            msgspec.structs.replace(
                v, product_name=by_id[v.product_id].name if v.product_id in by_id else "", pending_repayments=owed
            )
        )
    return out


def find_loan(views: Sequence[LoanView], ref: str) -> LoanView | None:
    """A loan by code (case-insensitive), id, or an id prefix of at least 8 characters naming one loan."""
    text = ref.strip().casefold()
    for v in views:
        if (v.code or "").casefold() == text or v.id == text:
            return v
    if len(text) >= 8:
        matches = [v for v in views if v.id.startswith(text)]
        if len(matches) == 1:
            return matches[0]
    return None


def _schedule_rows(schedule_row: dict[str, Any] | None) -> list[tuple[Installment, int]]:
    rows = []
    for r in (schedule_row or {}).get("installments") or []:
        inst = Installment(
            int(r["number"]),
            msgspec.convert(r["due_date"], dt.date, strict=False),
            int(r["principal"]),
            int(r["interest"]),
            int(r["amount"]),
            int(r["remaining"]),
        )
        rows.append((inst, int(r.get("paid") or 0)))
    return sorted(rows, key=lambda row: row[0].number)


def _as_loan(loan_row: dict[str, Any]) -> Loan | None:
    try:
        return msgspec.convert(loan_row, Loan, strict=False)
    except msgspec.ValidationError:
        return None


def pending_allocation(
    loan: Loan, rows: list[tuple[Installment, int]], amounts: Sequence[int]
) -> tuple[Loan, dict[int, int]]:
    """Allocate queued repayments in order with the server's ``apply_repayment``: installment -> amount.

    A repayment the server would refuse (more than is owed, a loan not active) allocates nothing: it
    will come back rejected. Returns the loan as it will be (``paid_off`` once everything is paid).
    """
    extra = {inst.number: 0 for inst, _ in rows}
    for amount in amounts:
        try:
            result = apply_repayment(loan, [(inst, paid + extra[inst.number]) for inst, paid in rows], amount)
        except (DomainError, ValueError):
            continue
        for a in result.allocations:
            extra[a.number] += a.amount
        loan = result.loan
    return loan, extra


def loan_detail(
    view: LoanView,
    loan_row: dict[str, Any] | None,
    schedule_row: dict[str, Any] | None,
    repayment_rows: Iterable[dict[str, Any]],
    items: Sequence[QueuedItem],
    today: dt.date | None = None,
) -> LoanDetail:
    """The loan's installments (paid, pending, fully paid) and repayments (the server's and queued ones).

    ``today``: the cooperative's date a loan not yet disbursed is projected from (default: today in WIB)."""
    rows = _schedule_rows(schedule_row)
    projected = not rows
    extra: dict[int, int] = {}
    repayment_rows = [r for r in repayment_rows if r.get("loan_id") == view.id]
    queued = pending_repayments(items, (str(r["id"]) for r in repayment_rows)).get(view.id, [])
    if projected:
        if view.terms is not None:
            with contextlib.suppress(ValueError):  # ScheduleError: terms that make no schedule
                start = view.requested_disbursement_date or today or coop_today(None)
                rows = [(inst, 0) for inst in build_schedule(view.terms, start).installments]
    elif loan_row is not None and (loan := _as_loan(loan_row)) is not None:
        _, extra = pending_allocation(loan, rows, [op.amount for _, op in queued])
    installments = [
        InstallmentView(
            inst.number,
            inst.due_date,
            inst.principal,
            inst.interest,
            inst.amount,
            inst.remaining,
            paid,
            extra.get(inst.number, 0),
        )
        for inst, paid in rows
    ]
    server = sorted(
        (msgspec.convert({**r, "pending": False}, RepaymentView, strict=False) for r in repayment_rows),
        key=lambda r: (r.created_at or "", r.id),
        reverse=True,
    )
    local = [
        RepaymentView(
            id=op.repayment_id,
            loan_id=view.id,
            amount=op.amount,
            member_id=view.member_id,
            source="tunai",
            created_at=item.queued_at,
            pending=True,
            mutation_id=item.id,
        )
        for item, op in reversed(queued)
    ]
    return LoanDetail(loan=view, installments=installments, projected=projected, repayments=local + server)


def check_repayment(
    actor: Actor,
    loan_row: dict[str, Any],
    schedule_row: dict[str, Any] | None,
    repayment_rows: Iterable[dict[str, Any]],
    items: Sequence[QueuedItem],
    amount: int,
) -> None:
    """Refuse cash the server would refuse: not an officer of the loan's location, the borrower, a loan
    not active, or more than is still owed after the repayments already queued here."""
    loan = _as_loan(loan_row)
    if loan is None:
        raise RuleViolation("loan_unreadable", "Data pinjaman di perangkat tidak lengkap; jalankan sinkronisasi.")
    with domain_rules():
        check_repayment_actor(loan, actor, "tunai")
    rows = _schedule_rows(schedule_row)
    if loan.status == "active" and not rows:
        raise RuleViolation(
            "schedule_unknown", f"Jadwal angsuran pinjaman {loan.code} belum ada di perangkat; jalankan sinkronisasi."
        )
    known = (str(r["id"]) for r in repayment_rows)
    queued = [op.amount for _, op in pending_repayments(items, known).get(loan.id, [])]
    after_queued, extra = pending_allocation(loan, rows, queued)
    with domain_rules():  # apply_repayment checks the status first: loan_not_active, then repayment_exceeds_due
        apply_repayment(after_queued, [(inst, paid + extra[inst.number]) for inst, paid in rows], amount)


# --- deduction changes ------------------------------------------------------------------------


def deduction_change_views(
    rows: Iterable[dict[str, Any]],
    items: Sequence[QueuedItem],
    profiles: Mapping[int, PayrollProfile],
    *,
    member_id: int | None = None,
    status: str | None = None,
    today: dt.date | None = None,
) -> list[DeductionChangeView]:
    """Changes newest first; a pending one shows the deduction it replaces and the month it should start
    (the month after ``today``, the cooperative's date, default today in WIB: the server fixes both when
    the request reaches it)."""
    actions = _pending_actions(items, (DeductionChangeCancel,), "change_id")
    views = _transaction_views(
        DeductionChangeView,
        rows,
        items,
        DeductionChangeCreate,
        DeductionChangeCancel,
        "change_id",
        actions,
        member_id,
        status,
    )
    month = next_payroll_month(today or coop_today(None))
    out = []
    for v in views:
        if v.status == PENDING:
            profile = profiles.get(v.member_id)
            v = msgspec.structs.replace(
                v, effective_month=month, current_amount=profile.voluntary_deduction if profile else 0
            )
        out.append(v)
    return out
