"""Withdrawals (penarikan): a request holds its amount so pending requests never exceed the balance.

The balance moves only when an officer verifies (after transferring or paying out the money).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from server.errors import Forbidden, InvalidInput, InvalidState

from .fees import withdrawal_fee
from .models import Actor, Limits, Member, Posting, SavingsAccount, SavingsType, Withdrawal
from .rules import check_active, check_amount, check_may_decide, check_unverified, rupiah

__all__ = ["create_withdrawal", "cancel_withdrawal", "verify_withdrawal", "reject_withdrawal"]


def create_withdrawal(
    *,
    withdrawal_id: str,
    code: str,
    actor: Actor,
    member: Member,
    savings_type: SavingsType,
    account: SavingsAccount,
    amount: int,
    method: Literal["transfer", "tunai"],
    location_id: int,
    limits: Limits,
    now: dt.datetime,
    bank_name: str | None = None,
    account_number: str | None = None,
    account_holder: str | None = None,
    note: str = "",
    device_time: dt.datetime | None = None,
) -> tuple[Withdrawal, SavingsAccount]:
    """Validate a request and return it with the account's new hold; the transfer fee is fixed here, from
    ``limits.withdrawal_transfer_fee`` (the server decides money; the row keeps it)."""
    if actor.member_id != member.id and not actor.serves(member.location_id):
        raise Forbidden("not_owner", "Anda hanya dapat menarik simpanan milik sendiri.")
    if actor.is_officer and actor.member_id != member.id and location_id not in actor.location_ids:
        raise Forbidden("not_officer_of_location", "Hanya petugas lokasi ini yang dapat mencatat penarikan di sini.")
    check_active(member)
    if not savings_type.withdrawable:
        raise InvalidInput(
            "savings_type_not_withdrawable",
            f"{savings_type.name} tidak dapat ditarik selama masih menjadi anggota.",
            {"savings_type": savings_type.code},
        )
    check_amount(amount, limits.min_withdrawal, limits.max_withdrawal, "penarikan")
    if method == "transfer":
        details = (("bank_name", bank_name), ("account_number", account_number), ("account_holder", account_holder))
        missing = [f for f, v in details if v is None or not v.strip()]
        if missing:
            raise InvalidInput(
                "missing_field",
                "Penarikan transfer wajib mengisi bank, nomor rekening dan atas nama.",
                {"fields": missing},
            )
    if amount > account.available:
        raise InvalidState(
            "insufficient_balance",
            f"Saldo {savings_type.name} yang tersedia {rupiah(account.available)}, kurang dari {rupiah(amount)}.",
            {"available": account.available},
        )
    withdrawal = Withdrawal(
        id=withdrawal_id,
        code=code,
        member_id=member.id,
        savings_type=savings_type.code,
        amount=amount,
        method=method,
        location_id=location_id,
        status="unverified",
        created_by=actor.user_id,
        created_at=now,
        bank_name=bank_name,
        account_number=account_number,
        account_holder=account_holder,
        note=note,
        device_time=device_time,
        fee=withdrawal_fee(method, amount, limits.withdrawal_transfer_fee),
    )
    return withdrawal, msgspec.structs.replace(account, held=account.held + amount)


def _release(account: SavingsAccount, withdrawal: Withdrawal) -> SavingsAccount:
    return msgspec.structs.replace(account, held=account.held - withdrawal.amount)


def cancel_withdrawal(
    withdrawal: Withdrawal, account: SavingsAccount, actor: Actor, now: dt.datetime
) -> tuple[Withdrawal, SavingsAccount]:
    """Cancel while unverified, by its owner or an officer of its location; the hold is released."""
    owner = actor.user_id == withdrawal.created_by or actor.member_id == withdrawal.member_id
    if not (owner or actor.serves(withdrawal.location_id)):
        raise Forbidden("not_owner", "Hanya pemilik penarikan atau petugas lokasinya yang dapat membatalkan.")
    check_unverified(withdrawal.status, withdrawal.code, "dibatalkan")
    cancelled = msgspec.structs.replace(
        withdrawal, status="cancelled", decided_by=actor.user_id, decided_role=actor.role, decided_at=now
    )
    return cancelled, _release(account, withdrawal)


def verify_withdrawal(
    withdrawal: Withdrawal, account: SavingsAccount, actor: Actor, now: dt.datetime
) -> tuple[Withdrawal, SavingsAccount, Posting]:
    """Verify after paying out: the hold becomes a debit posted to the ledger."""
    check_may_decide(
        actor, withdrawal.location_id, withdrawal.created_by, withdrawal.member_id, "memverifikasi penarikan"
    )
    check_unverified(withdrawal.status, withdrawal.code, "diverifikasi")
    if account.balance < withdrawal.amount:  # a hold makes this unreachable; kept as the last guard
        raise InvalidState("insufficient_balance", "Saldo tidak mencukupi untuk penarikan ini.")
    verified = msgspec.structs.replace(
        withdrawal, status="verified", decided_by=actor.user_id, decided_role=actor.role, decided_at=now
    )
    posting = Posting(
        withdrawal.member_id, withdrawal.savings_type, -withdrawal.amount, "withdrawal", withdrawal.id, withdrawal.code
    )
    return verified, _release(account, withdrawal), posting


def reject_withdrawal(
    withdrawal: Withdrawal, account: SavingsAccount, actor: Actor, reason: str, now: dt.datetime
) -> tuple[Withdrawal, SavingsAccount]:
    check_may_decide(actor, withdrawal.location_id, withdrawal.created_by, withdrawal.member_id, "menolak penarikan")
    check_unverified(withdrawal.status, withdrawal.code, "ditolak")
    if not reason.strip():
        raise InvalidInput("reason_required", "Alasan penolakan wajib diisi.")
    rejected = msgspec.structs.replace(
        withdrawal,
        status="rejected",
        decided_by=actor.user_id,
        decided_role=actor.role,
        decided_at=now,
        reason=reason.strip(),
    )
    return rejected, _release(account, withdrawal)
