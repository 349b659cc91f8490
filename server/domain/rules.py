"""Checks shared by deposits and withdrawals: amounts, ownership, the four-eyes rule.

Four eyes (maker ≠ checker): a deposit or withdrawal is verified or rejected by someone other than
its maker and its beneficiary. The checker is an officer of its location, or, as the fallback for a
location with a single officer, a board member (pengurus); admins keep the system, not the cash.
"""

from __future__ import annotations

from server.errors import Forbidden, InvalidInput, InvalidState

from .models import Actor, Member, Role

__all__ = [
    "check_amount",
    "check_active",
    "check_officer_of",
    "check_not_own",
    "check_may_decide",
    "may_decide",
    "check_unverified",
    "rupiah",
    "BOARD",
]

BOARD: Role = "pengurus"
"""The role that may verify and reject any location's transactions (never its own)."""


def rupiah(amount: int) -> str:
    """Format whole rupiah the Indonesian way: Rp1.250.000."""
    return "Rp" + f"{amount:,}".replace(",", ".")


def check_amount(amount: int, minimum: int, maximum: int, what: str) -> None:
    """Amounts are whole rupiah within the cooperative's limits (floats and bools never get here)."""
    if type(amount) is not int:
        raise InvalidInput("amount_not_integer", f"Jumlah {what} harus bilangan bulat rupiah.")
    if amount <= 0:
        raise InvalidInput("amount_not_positive", f"Jumlah {what} harus lebih dari nol.")
    if amount < minimum or amount > maximum:
        raise InvalidInput(
            "amount_out_of_range",
            f"Jumlah {what} harus antara {rupiah(minimum)} dan {rupiah(maximum)}.",
            {"min": minimum, "max": maximum},
        )


def check_active(member: Member) -> None:
    if not member.active:
        raise InvalidState("member_inactive", f"Anggota {member.name} sudah tidak aktif.")


def check_officer_of(actor: Actor, location_id: int, action: str) -> None:
    """Only an officer of the transaction's location may verify, reject or record cash there."""
    if not actor.serves(location_id):
        raise Forbidden("not_officer_of_location", f"Hanya petugas lokasi ini yang dapat {action}.")


def check_not_own(actor: Actor, created_by: int, member_id: int) -> None:
    """Four eyes: nobody verifies or rejects a transaction they made or that credits themselves."""
    if actor.user_id == created_by or (actor.member_id is not None and actor.member_id == member_id):
        raise Forbidden("own_transaction", "Anda tidak boleh memverifikasi atau menolak transaksi Anda sendiri.")


def may_decide(actor: Actor, location_id: int, created_by: int, member_id: int) -> bool:
    """True if ``actor`` may verify or reject this transaction (the same rule as ``check_may_decide``)."""
    own = actor.user_id == created_by or (actor.member_id is not None and actor.member_id == member_id)
    return not own and (actor.serves(location_id) or actor.role == BOARD)


def check_may_decide(actor: Actor, location_id: int, created_by: int, member_id: int, action: str) -> None:
    """Who verifies or rejects: an officer of the location or a pengurus (board fallback), never the maker.

    Refused with ``not_officer_of_location`` (anyone else) or ``own_transaction`` (maker or beneficiary).
    """
    if not (actor.serves(location_id) or actor.role == BOARD):
        raise Forbidden("not_officer_of_location", f"Hanya petugas lokasi ini atau pengurus yang dapat {action}.")
    check_not_own(actor, created_by, member_id)


def check_unverified(status: str, code: str, action: str) -> None:
    if status != "unverified":
        labels = {"verified": "sudah diverifikasi", "cancelled": "sudah dibatalkan", "rejected": "sudah ditolak"}
        raise InvalidState(
            "not_unverified",
            f"Transaksi {code} {labels.get(status, status)} sehingga tidak dapat {action}.",
            {"status": status},
        )
