"""The one dispatch table from mutation type to handler, and the savings handlers.

Each handler loads what the rule needs, calls the domain and stores what it returns. Handlers run
inside the push's write transaction; a handler that raises has its writes undone (the push runs the
batch again with a savepoint per mutation, ``sync/push.py``), so a domain refusal leaves nothing.

``HANDLERS`` covers every member of the protocol's ``MutationOp`` union, checked when this module is
imported (a mutation added to the protocol without a handler stops the server from starting) and by
``tests/server/test_dispatch.py``. ``apply`` has a default all the same: a type without a handler is
refused (``mutation_unsupported``), never recorded ``applied`` with no effect.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, get_args

from server.domain import deposits, fees, withdrawals
from server.domain.models import Deposit, Withdrawal
from server.errors import Forbidden, InvalidInput, InvalidState, NotFound, Retryable
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
from server.storage import attachments
from server.storage import savings as store
from server.storage.interface import ReadTx, Tx

from .context import Context, require_location, require_member, require_savings_type
from .loan_handlers import LOAN_HANDLERS
from .report_handlers import REPORT_HANDLERS

__all__ = ["Handler", "HANDLERS", "apply"]

Handler = Callable[[Tx, Any, Context], None]
"""``handler(tx, op, ctx)``: apply one mutation or raise ``DomainError`` (refuse) / ``Retryable`` (later)."""


def _deposit(conn: ReadTx, deposit_id: str) -> Deposit:
    deposit = store.load_deposit(conn, deposit_id)
    if deposit is None:
        raise NotFound("deposit_not_found", "Setoran tidak ditemukan.")
    return deposit


def _withdrawal(conn: ReadTx, withdrawal_id: str) -> Withdrawal:
    withdrawal = store.load_withdrawal(conn, withdrawal_id)
    if withdrawal is None:
        raise NotFound("withdrawal_not_found", "Penarikan tidak ditemukan.")
    return withdrawal


def _attachment_of_actor(conn: ReadTx, sha256: str, ctx: Context) -> None:
    """The named proof must be on the server (else: upload first) and uploaded by this user."""
    owner = attachments.ownership(conn, sha256, ctx.actor.user_id)
    if owner == "missing":
        raise Retryable("attachment_missing", "Unggah bukti setoran terlebih dahulu.", {"sha256": sha256})
    if owner == "foreign":
        raise Forbidden(
            "attachment_not_yours",
            "Bukti setoran ini tidak Anda unggah; unggah bukti Anda sendiri.",
            {"sha256": sha256},
        )


def _create_deposit(conn: Tx, op: DepositCreate, ctx: Context) -> None:
    member = require_member(conn, op.member_id, ctx)
    savings_type = require_savings_type(conn, op.savings_type, ctx)
    require_location(conn, op.location_id, ctx)
    bank_account = None
    if op.bank_account_id is not None:
        bank_account = store.load_bank_account(conn, op.bank_account_id)
        if bank_account is None:
            raise NotFound("bank_account_not_found", "Rekening koperasi tidak ditemukan.")
    if op.attachment:
        _attachment_of_actor(conn, op.attachment, ctx)
    deposit = deposits.create_deposit(
        deposit_id=op.deposit_id,
        code=store.next_code(conn, "STR", ctx.now, ctx.tz),
        actor=ctx.actor,
        member=member,
        savings_type=savings_type,
        kind=op.kind,
        amount=op.amount,
        location_id=op.location_id,
        limits=ctx.limits,
        now=ctx.now,
        bank_account=bank_account,
        transfer_date=op.transfer_date,
        sender_bank=op.sender_bank,
        account_holder=op.account_holder,
        note=op.note,
        attachment=op.attachment,
        device_time=ctx.device_time,
        tz=ctx.tz,
    )
    if not store.insert_deposit(conn, deposit):  # the id check is the INSERT itself (no SELECT first)
        raise InvalidState("duplicate_id", "Setoran dengan id ini sudah ada.")


def _cancel_deposit(conn: Tx, op: DepositCancel, ctx: Context) -> None:
    store.update_deposit(conn, deposits.cancel_deposit(_deposit(conn, op.deposit_id), ctx.actor, ctx.now))


def _verify_deposit(conn: Tx, op: DepositVerify, ctx: Context) -> None:
    deposit, posting = deposits.verify_deposit(_deposit(conn, op.deposit_id), ctx.actor, ctx.now)
    store.update_deposit(conn, deposit)
    store.post(conn, posting, ctx.now)


def _reject_deposit(conn: Tx, op: DepositReject, ctx: Context) -> None:
    deposit = deposits.reject_deposit(_deposit(conn, op.deposit_id), ctx.actor, op.reason, ctx.now)
    store.update_deposit(conn, deposit)


def _create_withdrawal(conn: Tx, op: WithdrawalCreate, ctx: Context) -> None:
    member = require_member(conn, op.member_id, ctx)
    savings_type = require_savings_type(conn, op.savings_type, ctx)
    require_location(conn, op.location_id, ctx)
    withdrawal, account = withdrawals.create_withdrawal(
        withdrawal_id=op.withdrawal_id,
        code=store.next_code(conn, "PNR", ctx.now, ctx.tz),
        actor=ctx.actor,
        member=member,
        savings_type=savings_type,
        account=store.load_account(conn, member.id, savings_type.code),
        amount=op.amount,
        method=op.method,
        location_id=op.location_id,
        limits=ctx.limits,
        now=ctx.now,
        bank_name=op.bank_name,
        account_number=op.account_number,
        account_holder=op.account_holder,
        note=op.note,
        device_time=ctx.device_time,
    )
    if not store.insert_withdrawal(conn, withdrawal):  # the id check is the INSERT itself
        raise InvalidState("duplicate_id", "Penarikan dengan id ini sudah ada.")
    store.save_account(conn, account)


def _cancel_withdrawal(conn: Tx, op: WithdrawalCancel, ctx: Context) -> None:
    w = _withdrawal(conn, op.withdrawal_id)
    account = store.load_account(conn, w.member_id, w.savings_type)
    w, account = withdrawals.cancel_withdrawal(w, account, ctx.actor, ctx.now)
    store.update_withdrawal(conn, w)
    store.save_account(conn, account)


def _verify_withdrawal(conn: Tx, op: WithdrawalVerify, ctx: Context) -> None:
    w = _withdrawal(conn, op.withdrawal_id)
    account = store.load_account(conn, w.member_id, w.savings_type)
    w, account, posting = withdrawals.verify_withdrawal(w, account, ctx.actor, ctx.now)
    store.update_withdrawal(conn, w)
    store.post(conn, posting, ctx.now, account=account)
    fee = fees.transfer_fee_posting(w)
    if fee is not None:  # the fee stored on the request: the cooperative's income, its own account
        store.append_ledger(conn, fee, fee.amount, ctx.now)


def _reject_withdrawal(conn: Tx, op: WithdrawalReject, ctx: Context) -> None:
    w = _withdrawal(conn, op.withdrawal_id)
    account = store.load_account(conn, w.member_id, w.savings_type)
    w, account = withdrawals.reject_withdrawal(w, account, ctx.actor, op.reason, ctx.now)
    store.update_withdrawal(conn, w)
    store.save_account(conn, account)


SAVINGS_HANDLERS: Mapping[type, Handler] = {
    DepositCreate: _create_deposit,
    DepositCancel: _cancel_deposit,
    DepositVerify: _verify_deposit,
    DepositReject: _reject_deposit,
    WithdrawalCreate: _create_withdrawal,
    WithdrawalCancel: _cancel_withdrawal,
    WithdrawalVerify: _verify_withdrawal,
    WithdrawalReject: _reject_withdrawal,
}

HANDLERS: Mapping[type, Handler] = MappingProxyType({**SAVINGS_HANDLERS, **LOAN_HANDLERS, **REPORT_HANDLERS})
"""Every mutation type of the protocol -> its handler."""


def _check_exhaustive() -> None:
    union = set(get_args(MutationOp))
    missing, extra = union - set(HANDLERS), set(HANDLERS) - union
    if missing or extra or len(SAVINGS_HANDLERS) + len(LOAN_HANDLERS) + len(REPORT_HANDLERS) != len(HANDLERS):
        raise RuntimeError(
            f"mutation dispatch out of step with the protocol: no handler for {sorted(t.__name__ for t in missing)},"
            f" handler for non-protocol types {sorted(t.__name__ for t in extra)}, or a type handled twice"
        )


_check_exhaustive()


def apply(conn: Tx, op: MutationOp, ctx: Context) -> None:
    """Run one mutation's rules and effects; raises DomainError to refuse, Retryable to defer."""
    handler = HANDLERS.get(type(op))
    if handler is None:  # unreachable for a decoded op (checked above); a refusal, never a silent "applied"
        name = getattr(getattr(type(op), "__struct_config__", None), "tag", type(op).__name__)
        raise InvalidInput(
            "mutation_unsupported",
            "Server tidak mengenal jenis transaksi ini; transaksi tidak diproses.",
            {"name": name},
        )
    handler(conn, op, ctx)
