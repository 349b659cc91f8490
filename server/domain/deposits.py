"""Deposits (setoran): created unverified, cancelled by their owner, verified or rejected by an officer.

Only verification moves a balance: it returns the posting the ledger must append.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal
from zoneinfo import ZoneInfo

import msgspec

from server.errors import Forbidden, InvalidInput

from .models import COOP_TZ, Actor, BankAccount, Deposit, Limits, Member, Posting, SavingsType
from .rules import check_active, check_amount, check_may_decide, check_officer_of, check_unverified

__all__ = ["create_deposit", "cancel_deposit", "verify_deposit", "reject_deposit", "cash_in_hand"]

_MANDIRI_REQUIRED = {
    "bank_account_id": "Metode Pembayaran (rekening koperasi)",
    "transfer_date": "Tanggal Setoran",
    "sender_bank": "Bank Transfer",
    "account_holder": "Atas Nama",
    "attachment": "Bukti Setoran",
}


def create_deposit(
    *,
    deposit_id: str,
    code: str,
    actor: Actor,
    member: Member,
    savings_type: SavingsType,
    kind: Literal["offline", "mandiri"],
    amount: int,
    location_id: int,
    limits: Limits,
    now: dt.datetime,
    bank_account: BankAccount | None = None,
    transfer_date: dt.date | None = None,
    sender_bank: str | None = None,
    account_holder: str | None = None,
    note: str = "",
    attachment: str | None = None,
    device_time: dt.datetime | None = None,
    tz: ZoneInfo = COOP_TZ,
) -> Deposit:
    """Validate a new deposit and return it as *Belum Diverifikasi*; no balance moves yet."""
    check_amount(amount, limits.min_deposit, limits.max_deposit, "setoran")
    check_active(member)
    if kind == "offline":
        check_officer_of(actor, location_id, "mencatat setoran tunai")
        if member.location_id not in actor.location_ids:
            raise Forbidden("member_outside_location", f"Anggota {member.name} tidak terdaftar di lokasi Anda.")
    else:
        if actor.member_id is None:
            raise Forbidden("mandiri_requires_member", "Setoran mandiri hanya dapat dibuat oleh anggota.")
        given = {
            "bank_account_id": bank_account,
            "transfer_date": transfer_date,
            "sender_bank": sender_bank,
            "account_holder": account_holder,
            "attachment": attachment,
        }
        missing = [field for field, value in given.items() if _blank(value)]
        if missing:
            labels = ", ".join(_MANDIRI_REQUIRED[f] for f in missing)
            raise InvalidInput("missing_field", f"Setoran mandiri wajib mengisi: {labels}.", {"fields": missing})
        assert bank_account is not None and transfer_date is not None
        if not bank_account.active:
            raise InvalidInput("bank_account_inactive", "Rekening koperasi tujuan tidak aktif.")
        if transfer_date > now.astimezone(tz).date():
            raise InvalidInput("transfer_date_in_future", "Tanggal Setoran tidak boleh di masa depan.")
    return Deposit(
        id=deposit_id,
        code=code,
        member_id=member.id,
        savings_type=savings_type.code,
        kind=kind,
        amount=amount,
        location_id=location_id,
        status="unverified",
        created_by=actor.user_id,
        created_at=now,
        bank_account_id=bank_account.id if bank_account else None,
        transfer_date=transfer_date,
        sender_bank=sender_bank,
        account_holder=account_holder,
        note=note,
        attachment=attachment,
        device_time=device_time,
    )


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_owner(actor: Actor, deposit: Deposit) -> bool:
    return actor.user_id == deposit.created_by or (actor.member_id is not None and actor.member_id == deposit.member_id)


def cancel_deposit(deposit: Deposit, actor: Actor, now: dt.datetime) -> Deposit:
    """Cancel while unverified, by its owner or an officer of its location."""
    if not (_is_owner(actor, deposit) or actor.serves(deposit.location_id)):
        raise Forbidden("not_owner", "Hanya pemilik setoran atau petugas lokasinya yang dapat membatalkan.")
    check_unverified(deposit.status, deposit.code, "dibatalkan")
    return msgspec.structs.replace(
        deposit, status="cancelled", decided_by=actor.user_id, decided_role=actor.role, decided_at=now
    )


def verify_deposit(deposit: Deposit, actor: Actor, now: dt.datetime) -> tuple[Deposit, Posting]:
    """Verify: the deposit enters the member's savings balance through a ledger posting."""
    check_may_decide(actor, deposit.location_id, deposit.created_by, deposit.member_id, "memverifikasi setoran")
    check_unverified(deposit.status, deposit.code, "diverifikasi")
    verified = msgspec.structs.replace(
        deposit, status="verified", decided_by=actor.user_id, decided_role=actor.role, decided_at=now
    )
    posting = Posting(deposit.member_id, deposit.savings_type, deposit.amount, "deposit", deposit.id, deposit.code)
    return verified, posting


def reject_deposit(deposit: Deposit, actor: Actor, reason: str, now: dt.datetime) -> Deposit:
    """Reject with a reason the member sees; nothing is posted."""
    check_may_decide(actor, deposit.location_id, deposit.created_by, deposit.member_id, "menolak setoran")
    check_unverified(deposit.status, deposit.code, "ditolak")
    if not reason.strip():
        raise InvalidInput("reason_required", "Alasan penolakan wajib diisi.")
    return msgspec.structs.replace(
        deposit,
        status="rejected",
        decided_by=actor.user_id,
        decided_role=actor.role,
        decided_at=now,
        reason=reason.strip(),
    )


def cash_in_hand(deposits: list[Deposit], officer_user_id: int) -> int:
    """Cash an officer collected that is not yet verified at the branch."""
    return sum(
        d.amount
        for d in deposits
        if d.kind == "offline" and d.created_by == officer_user_id and d.status == "unverified"
    )
