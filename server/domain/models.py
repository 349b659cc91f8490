"""The cooperative's records as the domain sees them."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from zoneinfo import ZoneInfo

from msgspec import Struct

__all__ = [
    "COOP_TZ",
    "Role",
    "OFFICER",
    "SEES_ALL",
    "ELEVATED",
    "Actor",
    "SavingsType",
    "Member",
    "BankAccount",
    "SavingsAccount",
    "Deposit",
    "Withdrawal",
    "Posting",
    "Limits",
    "DEPOSIT_STATUS_LABELS",
    "WITHDRAWAL_STATUS_LABELS",
]

COOP_TZ = ZoneInfo("Asia/Jakarta")
"""The default calendar (WIB): what every ``tz`` parameter means until the cooperative's own zone is
passed (a setting, ``timezone.zone(storage.admin.time_zone(conn))``; on a device, ``coop_settings``)."""

Role = Literal["anggota", "petugas", "pengurus", "admin"]
OFFICER: Role = "petugas"
"""The role that serves locations: only an officer's locations widen what they see (``server/access.py``)."""
SEES_ALL: frozenset[str] = frozenset({"pengurus", "admin"})
"""The roles that see every member's rows (the board and the administrator)."""
ELEVATED = SEES_ALL

TxStatus = Literal["unverified", "verified", "cancelled", "rejected"]

DEPOSIT_STATUS_LABELS: dict[str, str] = {
    "unverified": "Belum Diverifikasi",
    "verified": "Verifikasi",
    "cancelled": "Dibatalkan",
    "rejected": "Ditolak",
}
WITHDRAWAL_STATUS_LABELS = DEPOSIT_STATUS_LABELS


class Actor(Struct, frozen=True):
    """Who is acting: the authenticated user with their role, member record and locations."""

    user_id: int
    role: Role
    member_id: int | None = None
    location_ids: frozenset[int] = frozenset()

    @property
    def is_officer(self) -> bool:
        return self.role == OFFICER

    @property
    def is_elevated(self) -> bool:
        return self.role in ELEVATED

    def serves(self, location_id: int) -> bool:
        """True if the actor is an officer of that location."""
        return self.is_officer and location_id in self.location_ids


class SavingsType(Struct, frozen=True):
    """Simpanan pokok/wajib/sukarela; only withdrawable types can be withdrawn while a member."""

    code: str
    name: str
    withdrawable: bool


class Member(Struct, frozen=True):
    """An anggota (person) or a badan (an organisation that holds savings like a member)."""

    id: int
    number: str
    name: str
    kind: Literal["anggota", "badan"]
    location_id: int
    active: bool = True


class BankAccount(Struct, frozen=True):
    """One of the cooperative's own bank accounts, the destination of a self-service transfer."""

    id: int
    bank: str
    number: str
    holder: str
    active: bool = True


class SavingsAccount(Struct, frozen=True):
    """A member's balance in one savings type; ``held`` is reserved by pending withdrawals."""

    member_id: int
    savings_type: str
    balance: int = 0
    held: int = 0

    @property
    def available(self) -> int:
        return self.balance - self.held


class Deposit(Struct, frozen=True):
    id: str
    code: str
    member_id: int
    savings_type: str
    kind: Literal["offline", "mandiri"]
    amount: int
    location_id: int
    status: TxStatus
    created_by: int
    created_at: dt.datetime
    bank_account_id: int | None = None
    transfer_date: dt.date | None = None
    sender_bank: str | None = None
    account_holder: str | None = None
    note: str = ""
    attachment: str | None = None
    device_time: dt.datetime | None = None
    decided_by: int | None = None
    decided_at: dt.datetime | None = None
    reason: str | None = None
    decided_role: Role | None = None
    """The role the decider acted in: ``petugas``, or ``pengurus`` when the board verified or rejected."""


class Withdrawal(Struct, frozen=True):
    id: str
    code: str
    member_id: int
    savings_type: str
    amount: int
    method: Literal["transfer", "tunai"]
    location_id: int
    status: TxStatus
    created_by: int
    created_at: dt.datetime
    bank_name: str | None = None
    account_number: str | None = None
    account_holder: str | None = None
    note: str = ""
    device_time: dt.datetime | None = None
    decided_by: int | None = None
    decided_at: dt.datetime | None = None
    reason: str | None = None
    decided_role: Role | None = None
    """As ``Deposit.decided_role``."""
    fee: int = 0
    """The transfer fee the server fixed when it took the request (``fees.withdrawal_fee``): the member's
    balance falls by ``amount``, the member receives ``amount - fee``, the fee is the cooperative's
    income (posted at verification to ``biaya_transfer:<id>``). Kept, so a later change of the
    setting never rewrites an old withdrawal or its slip."""


class Posting(Struct, frozen=True):
    """A movement of a balance, to be appended to the ledger: positive credits, negative debits.

    ``savings_type`` names the ledger account: a savings type code for savings, ``pinjaman:<loan id>``
    for a loan's outstanding principal, ``bunga:<loan id>`` for the interest it has paid,
    ``biaya_admin:<loan id>`` and ``biaya_transfer:<withdrawal id>`` for fees the cooperative kept.
    """

    member_id: int
    savings_type: str
    amount: int
    kind: Literal[
        "deposit",
        "withdrawal",
        "loan_disbursement",
        "loan_repayment",
        "loan_interest",
        "loan_admin_fee",
        "withdrawal_fee",
    ]
    ref_id: str
    ref_code: str


class Limits(Struct, frozen=True):
    """Per-transaction amount limits and the withdrawal transfer fee: settings of the cooperative."""

    min_deposit: int = 1_000
    max_deposit: int = 100_000_000
    min_withdrawal: int = 10_000
    max_withdrawal: int = 50_000_000
    withdrawal_transfer_fee: int = 0
    """Rupiah kept from a transfer withdrawal (setting ``withdrawal_transfer_fee``); 0: none."""
