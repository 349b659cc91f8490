"""Fees a transaction incurs, shown on the confirmation step and printed on the slip (issue 10.12).

Pure. A loan's admin fee is the product's rule (``loans.admin_fee``), kept from the disbursement and
posted to the ledger account ``biaya_admin:<loan id>`` at disbursement. A withdrawal by transfer may
carry the cooperative's transfer fee (setting ``withdrawal_transfer_fee``), kept from the amount sent:
the server fixes it on the withdrawal when it takes the request (``Withdrawal.fee``) and posts it at
verification to ``biaya_transfer:<withdrawal id>``, the cooperative's income, so the ledger says where
the money went (the member's balance falls by the amount; the member receives amount − fee).
"""

from __future__ import annotations

from msgspec import Struct

from server.errors import InvalidInput

from .models import Posting, Withdrawal

__all__ = [
    "FeePreview",
    "withdrawal_fee",
    "withdrawal_preview",
    "ADMIN_FEE_ACCOUNT",
    "admin_fee_account",
    "TRANSFER_FEE_ACCOUNT",
    "transfer_fee_account",
    "transfer_fee_posting",
]

ADMIN_FEE_ACCOUNT = "biaya_admin"
TRANSFER_FEE_ACCOUNT = "biaya_transfer"


def admin_fee_account(loan_id: str) -> str:
    """The ledger account of a loan's admin fee (like ``bunga:<loan id>``, not a member balance)."""
    return f"{ADMIN_FEE_ACCOUNT}:{loan_id}"


class FeePreview(Struct, frozen=True):
    """What the member confirms: the amount, each fee, and what reaches them."""

    amount: int
    fee: int
    received: int
    fee_label: str


def withdrawal_fee(method: str, amount: int, transfer_fee: int) -> int:
    """The transfer fee for a transfer withdrawal, none for cash; never more than the amount."""
    if method not in ("transfer", "tunai"):
        raise InvalidInput("method_invalid", "Metode penarikan harus 'transfer' atau 'tunai'.")
    if amount <= 0:
        raise InvalidInput("amount_not_positive", "Nominal harus lebih dari nol.")
    return min(transfer_fee, amount) if method == "transfer" and transfer_fee > 0 else 0


def transfer_fee_account(withdrawal_id: str) -> str:
    """The ledger account of a withdrawal's transfer fee (one per withdrawal, like ``biaya_admin:<loan id>``)."""
    return f"{TRANSFER_FEE_ACCOUNT}:{withdrawal_id}"


def transfer_fee_posting(withdrawal: Withdrawal) -> Posting | None:
    """The cooperative's income from a verified withdrawal's stored fee; None when it carries none."""
    if withdrawal.fee <= 0:
        return None
    return Posting(
        withdrawal.member_id,
        transfer_fee_account(withdrawal.id),
        withdrawal.fee,
        "withdrawal_fee",
        withdrawal.id,
        withdrawal.code,
    )


def withdrawal_preview(method: str, amount: int, transfer_fee: int) -> FeePreview:
    fee = withdrawal_fee(method, amount, transfer_fee)
    return FeePreview(amount, fee, amount - fee, "Biaya transfer" if method == "transfer" else "Tanpa biaya")
