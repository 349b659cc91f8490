"""One handler per mutation: load what the rule needs, call the domain, store what it returns.

Handlers run inside the push's write transaction (a savepoint per mutation), so a domain refusal
rolls back everything the mutation touched.
"""

from __future__ import annotations

import sqlite3

from server.domain import deposits, withdrawals
from server.domain.models import Deposit, Withdrawal
from server.errors import InvalidState, NotFound, Retryable
from server.protocol import (
    DepositCancel,
    DepositCreate,
    DepositReject,
    DepositVerify,
    MutationOp,
    WithdrawalCancel,
    WithdrawalCreate,
    WithdrawalReject,
    WithdrawalVerify,
)
from server.storage import savings as store
from server.storage.database import Connection

from .context import Context, require_location, require_member, require_savings_type
from .loan_handlers import LOAN_OPS, apply_loan_op

__all__ = ["apply"]


def _deposit(conn: sqlite3.Connection, deposit_id: str) -> Deposit:
    deposit = store.load_deposit(conn, deposit_id)
    if deposit is None:
        raise NotFound("deposit_not_found", "Setoran tidak ditemukan.")
    return deposit


def _withdrawal(conn: sqlite3.Connection, withdrawal_id: str) -> Withdrawal:
    withdrawal = store.load_withdrawal(conn, withdrawal_id)
    if withdrawal is None:
        raise NotFound("withdrawal_not_found", "Penarikan tidak ditemukan.")
    return withdrawal


def _attachment_present(conn: sqlite3.Connection, sha256: str) -> None:
    if conn.execute("SELECT 1 FROM attachments WHERE sha256 = ?", (sha256,)).fetchone() is None:
        raise Retryable("attachment_missing", "Unggah bukti setoran terlebih dahulu.", {"sha256": sha256})


def _create_deposit(conn: Connection, op: DepositCreate, ctx: Context) -> None:
    if store.load_deposit(conn, op.deposit_id) is not None:
        raise InvalidState("duplicate_id", "Setoran dengan id ini sudah ada.")
    member = require_member(conn, op.member_id, ctx)
    savings_type = require_savings_type(conn, op.savings_type, ctx)
    require_location(conn, op.location_id, ctx)
    bank_account = None
    if op.bank_account_id is not None:
        bank_account = store.load_bank_account(conn, op.bank_account_id)
        if bank_account is None:
            raise NotFound("bank_account_not_found", "Rekening koperasi tidak ditemukan.")
    if op.attachment:
        _attachment_present(conn, op.attachment)
    deposit = deposits.create_deposit(
        deposit_id=op.deposit_id, code=store.next_code(conn, "STR", ctx.now), actor=ctx.actor, member=member,
        savings_type=savings_type, kind=op.kind, amount=op.amount, location_id=op.location_id, limits=ctx.limits,
        now=ctx.now, bank_account=bank_account, transfer_date=op.transfer_date, sender_bank=op.sender_bank,
        account_holder=op.account_holder, note=op.note, attachment=op.attachment, device_time=ctx.device_time,
    )
    store.insert_deposit(conn, deposit)


def _create_withdrawal(conn: Connection, op: WithdrawalCreate, ctx: Context) -> None:
    if store.load_withdrawal(conn, op.withdrawal_id) is not None:
        raise InvalidState("duplicate_id", "Penarikan dengan id ini sudah ada.")
    member = require_member(conn, op.member_id, ctx)
    savings_type = require_savings_type(conn, op.savings_type, ctx)
    require_location(conn, op.location_id, ctx)
    withdrawal, account = withdrawals.create_withdrawal(
        withdrawal_id=op.withdrawal_id, code=store.next_code(conn, "PNR", ctx.now), actor=ctx.actor, member=member,
        savings_type=savings_type, account=store.load_account(conn, member.id, savings_type.code), amount=op.amount,
        method=op.method, location_id=op.location_id, limits=ctx.limits, now=ctx.now, bank_name=op.bank_name,
        account_number=op.account_number, account_holder=op.account_holder, note=op.note, device_time=ctx.device_time,
    )
    store.insert_withdrawal(conn, withdrawal)
    store.save_account(conn, account)


def apply(conn: Connection, op: MutationOp, ctx: Context) -> None:
    """Run one mutation's rules and effects; raises DomainError to refuse, Retryable to defer."""
    actor, now = ctx.actor, ctx.now
    if isinstance(op, LOAN_OPS):
        apply_loan_op(conn, op, ctx)
        return
    match op:
        case DepositCreate():
            _create_deposit(conn, op, ctx)
        case DepositCancel():
            store.update_deposit(conn, deposits.cancel_deposit(_deposit(conn, op.deposit_id), actor, now))
        case DepositVerify():
            deposit, posting = deposits.verify_deposit(_deposit(conn, op.deposit_id), actor, now)
            store.update_deposit(conn, deposit)
            store.post(conn, posting, now)
        case DepositReject():
            store.update_deposit(conn, deposits.reject_deposit(_deposit(conn, op.deposit_id), actor, op.reason, now))
        case WithdrawalCreate():
            _create_withdrawal(conn, op, ctx)
        case WithdrawalCancel():
            w = _withdrawal(conn, op.withdrawal_id)
            w, account = withdrawals.cancel_withdrawal(w, store.load_account(conn, w.member_id, w.savings_type), actor, now)
            store.update_withdrawal(conn, w)
            store.save_account(conn, account)
        case WithdrawalVerify():
            w = _withdrawal(conn, op.withdrawal_id)
            account = store.load_account(conn, w.member_id, w.savings_type)
            w, account, posting = withdrawals.verify_withdrawal(w, account, actor, now)
            store.update_withdrawal(conn, w)
            store.post(conn, posting, now, account=account)
        case WithdrawalReject():
            w = _withdrawal(conn, op.withdrawal_id)
            account = store.load_account(conn, w.member_id, w.savings_type)
            w, account = withdrawals.reject_withdrawal(w, account, actor, op.reason, now)
            store.update_withdrawal(conn, w)
            store.save_account(conn, account)
