"""Handlers of the loan and payroll-deduction mutations: load, call ``server.domain.loans``, store.

Disbursements and repayments post to the hash-chained ledger: the loan's outstanding principal is
the account ``pinjaman:<loan id>``, interest paid goes to ``bunga:<loan id>``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from server.domain import loans
from server.domain.fees import admin_fee_account
from server.domain.loans import Loan, RepaymentResult
from server.domain.models import Posting
from server.domain.rules import check_active, rupiah
from server.errors import Forbidden, InvalidInput, InvalidState, NotFound
from server.protocol import (
    DeductionChangeCancel,
    DeductionChangeCreate,
    LoanApply,
    LoanApprove,
    LoanCancel,
    LoanDisburse,
    LoanReject,
    LoanRepay,
)
from server.storage import loans as store
from server.storage import savings
from server.storage.interface import ReadTx, Tx

from .context import Context, require_location, require_member, require_savings_type

__all__ = ["LOAN_HANDLERS", "post_repayment", "loan_account", "evaluate_application"]


def loan_account(loan: Loan) -> str:
    return f"pinjaman:{loan.id}"


def _loan(conn: ReadTx, loan_id: str) -> Loan:
    loan = store.load_loan(conn, loan_id)
    if loan is None:
        raise NotFound("loan_not_found", "Pinjaman tidak ditemukan.")
    return loan


def _product(conn: ReadTx, product_id: int) -> loans.LoanProduct:
    product = store.load_product(conn, product_id)
    if product is None:
        raise NotFound("product_not_found", f"Jenis pinjaman {product_id} tidak ditemukan.")
    return product


def evaluate_application(
    conn: ReadTx,
    member_id: int,
    product: loans.LoanProduct,
    purpose: str,
    amount: int,
    tenor: int,
    start: dt.date,
    settings: loans.LoanSettings,
    now: dt.datetime,
) -> tuple[loans.Schedule, list[loans.RuleCheck], loans.PlafonBreakdown]:
    """The simulation and every rule for an application, from what the server holds now."""
    profile = store.load_profile(conn, member_id)
    breakdown = store.plafon(conn, member_id, now)
    schedule = loans.simulate(product, amount, tenor, start)
    accounts = [savings.load_account(conn, member_id, code) for code in settings.counted_savings]
    checks = loans.check_application(
        product=product,
        purpose=purpose,
        amount=amount,
        tenor=tenor,
        schedule=schedule,
        breakdown=breakdown,
        savings_balance=loans.counted_savings_balance(accounts, settings),
        retirement=loans.retirement_date(profile, settings),
        settings=settings,
    )
    return schedule, checks, breakdown


def _apply(conn: Tx, op: LoanApply, ctx: Context) -> None:
    if store.load_loan(conn, op.loan_id) is not None:
        raise InvalidState("duplicate_id", "Pengajuan pinjaman dengan id ini sudah ada.")
    if ctx.actor.member_id != op.member_id:
        raise Forbidden("not_owner", "Anda hanya dapat mengajukan pinjaman untuk diri sendiri.")
    check_active(require_member(conn, op.member_id, ctx))
    require_location(conn, op.location_id, ctx)
    product = _product(conn, op.product_id)
    schedule, checks, _ = evaluate_application(
        conn,
        op.member_id,
        product,
        op.purpose,
        op.amount,
        op.tenor,
        op.requested_disbursement_date,
        ctx.loan_settings,
        ctx.now,
    )
    loan = loans.apply_loan(
        loan_id=op.loan_id,
        code=savings.next_code(conn, "PJM", ctx.now, ctx.tz),
        actor=ctx.actor,
        member_id=op.member_id,
        product=product,
        purpose=op.purpose,
        amount=op.amount,
        tenor=op.tenor,
        requested_disbursement_date=op.requested_disbursement_date,
        location_id=op.location_id,
        disbursement_method=op.disbursement_method,
        bank_name=op.bank_name,
        account_number=op.account_number,
        account_holder=op.account_holder,
        checks=checks,
        schedule=schedule,
        now=ctx.now,
        today=_application_day(ctx),
        tz=ctx.tz,
    )
    store.insert_loan(conn, loan)


OFFLINE_GRACE = dt.timedelta(days=7)


def _application_day(ctx: Context) -> dt.date:
    """The day the member applied: the device's date when it is plausible (not in the future, at most
    a week old), else the server's. The server's clock still orders and stamps everything."""
    now = ctx.now
    device = ctx.device_time
    if device is not None and device.tzinfo is not None and now - OFFLINE_GRACE <= device <= now:
        return device.astimezone(ctx.tz).date()
    return now.astimezone(ctx.tz).date()


def _approve(conn: Tx, op: LoanApprove, ctx: Context) -> None:
    loan = loans.approve_loan(_loan(conn, op.loan_id), ctx.actor, ctx.now)
    # the plafon is checked again: other loans may have been approved since the member applied
    breakdown = store.plafon(conn, loan.member_id, ctx.now, exclude_loan=loan.id)
    if loan.monthly_installment > breakdown.remaining:
        raise InvalidState(
            "installment_over_plafon",
            f"Angsuran {rupiah(loan.monthly_installment)} melebihi sisa plafon {rupiah(breakdown.remaining)} saat ini.",
            {"remaining": breakdown.remaining},
        )
    store.update_loan(conn, loan)


def _disburse(conn: Tx, op: LoanDisburse, ctx: Context) -> None:
    loan = _loan(conn, op.loan_id)
    loan, schedule = loans.disburse_loan(
        loan, ctx.actor, _product(conn, loan.product_id), op.disbursement_date, ctx.now, ctx.tz
    )
    store.update_loan(conn, loan)
    store.save_schedule(conn, loan, schedule)
    posting = Posting(loan.member_id, loan_account(loan), loan.amount, "loan_disbursement", loan.id, loan.code)
    savings.append_ledger(conn, posting, loan.outstanding, ctx.now)
    if loan.admin_fee > 0:  # kept from the disbursement; its own account, not a member balance (fees.py)
        fee = Posting(loan.member_id, admin_fee_account(loan.id), loan.admin_fee, "loan_admin_fee", loan.id, loan.code)
        savings.append_ledger(conn, fee, loan.admin_fee, ctx.now)


def post_repayment(
    conn: Tx,
    loan: Loan,
    amount: int,
    *,
    repayment_id: str,
    source: str,
    reference: str | None,
    created_by: int,
    now: dt.datetime,
) -> RepaymentResult:
    """Allocate a repayment to the oldest unpaid installments and post it to the ledger."""
    result = loans.apply_repayment(loan, store.schedule_paid(conn, loan.id), amount)
    store.update_loan(conn, result.loan)
    store.mark_paid(conn, result.loan, {a.number: a.amount for a in result.allocations})
    store.insert_repayment(
        conn,
        repayment_id=repayment_id,
        loan=result.loan,
        amount=amount,
        principal=result.principal,
        interest=result.interest,
        source=source,
        reference=reference,
        created_by=created_by,
        now=now,
    )
    if result.principal:
        posting = Posting(
            loan.member_id, loan_account(loan), -result.principal, "loan_repayment", repayment_id, loan.code
        )
        savings.append_ledger(conn, posting, result.outstanding, now)
    if result.interest:
        interest = Posting(
            loan.member_id, f"bunga:{loan.id}", result.interest, "loan_interest", repayment_id, loan.code
        )
        savings.append_ledger(conn, interest, store.interest_paid(conn, loan.id), now)
    return result


def _repay(conn: Tx, op: LoanRepay, ctx: Context) -> None:
    if store.repayment_exists(conn, op.repayment_id):
        raise InvalidState("duplicate_id", "Pembayaran dengan id ini sudah ada.")
    loan = _loan(conn, op.loan_id)
    loans.check_repayment_actor(loan, ctx.actor, "tunai")
    post_repayment(
        conn,
        loan,
        op.amount,
        repayment_id=op.repayment_id,
        source="tunai",
        reference=None,
        created_by=ctx.actor.user_id,
        now=ctx.now,
    )


def _change_deduction(conn: Tx, op: DeductionChangeCreate, ctx: Context) -> None:
    if store.load_change(conn, op.change_id) is not None:
        raise InvalidState("duplicate_id", "Pengajuan perubahan dengan id ini sudah ada.")
    check_active(require_member(conn, op.member_id, ctx))
    st = require_savings_type(conn, op.savings_type, ctx)
    if not st.withdrawable:
        raise InvalidInput("not_voluntary_savings", "Perubahan setoran potong gaji hanya untuk simpanan sukarela.")
    base = store.load_profile(conn, op.member_id)
    in_effect = loans.deduction_for_month(
        base, store.deduction_changes(conn, op.member_id), loans.current_month(ctx.now, ctx.tz)
    )
    profile = msgspec.structs.replace(base, voluntary_deduction=in_effect)  # the current deduction is replaced
    change = loans.request_deduction_change(
        change_id=op.change_id,
        actor=ctx.actor,
        profile=profile,
        active_monthly_installments=store.active_installments(conn, op.member_id),
        new_amount=op.new_amount,
        now=ctx.now,
        tz=ctx.tz,
    )
    store.save_change(conn, msgspec.structs.replace(change, savings_type=st.code), "submitted", ctx.now)


def _cancel_deduction_change(conn: Tx, op: DeductionChangeCancel, ctx: Context) -> None:
    found = store.load_change(conn, op.change_id)
    if found is None:
        raise NotFound("deduction_change_not_found", "Pengajuan perubahan setoran tidak ditemukan.")
    change, status = found
    if ctx.actor.member_id != change.member_id and ctx.actor.user_id != change.created_by:
        raise Forbidden("not_owner", "Hanya anggota yang mengajukan yang dapat membatalkan.")
    if status != "submitted":
        raise InvalidState("not_cancellable", "Pengajuan ini sudah diterapkan atau dibatalkan.", {"status": status})
    store.save_change(conn, change, "cancelled", ctx.now)


def _cancel(conn: Tx, op: LoanCancel, ctx: Context) -> None:
    store.update_loan(conn, loans.cancel_loan(_loan(conn, op.loan_id), ctx.actor, ctx.now))


def _reject(conn: Tx, op: LoanReject, ctx: Context) -> None:
    store.update_loan(conn, loans.reject_loan(_loan(conn, op.loan_id), ctx.actor, op.reason, ctx.now))


LOAN_HANDLERS: Mapping[type, Callable[[Tx, Any, Context], None]] = {
    LoanApply: _apply,
    LoanCancel: _cancel,
    LoanApprove: _approve,
    LoanReject: _reject,
    LoanDisburse: _disburse,
    LoanRepay: _repay,
    DeductionChangeCreate: _change_deduction,
    DeductionChangeCancel: _cancel_deduction_change,
}
"""The loan and deduction-change part of ``handlers.HANDLERS``."""
