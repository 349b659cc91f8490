"""Typed values the library hands to its callers (the CLI, a GUI): outbox items, views, status, summaries.

They are msgspec structs so they print, compare and serialise the same way as the wire protocol.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec
from msgspec import Struct

from server.domain.loans import LOAN_STATUS_LABELS
from server.domain.schedule import ScheduleTerms
from server.protocol import MutationOp, UserInfo

__all__ = [
    "ItemState",
    "QueuedItem",
    "ErrorInfo",
    "SyncSummary",
    "SyncStatus",
    "MemberView",
    "DepositView",
    "WithdrawalView",
    "BalanceView",
    "CashInHand",
    "LoanView",
    "InstallmentView",
    "RepaymentView",
    "LoanDetail",
    "DeductionChangeView",
]

PENDING_LABEL = "Menunggu sinkronisasi"

ItemState = Literal["pending", "applied", "rejected"]


class QueuedItem(Struct, frozen=True):
    """One mutation of the outbox.

    ``state`` is ``pending`` until the server answers, then ``applied`` or ``rejected`` (with ``code`` and
    ``message``). ``settled`` becomes true once a pull has passed ``visible_at``: from then on the replica
    shows the item's effects and the view stops overlaying it (DESIGN rule 5).
    """

    id: int
    uuid: str
    user_id: int
    name: str
    op: MutationOp
    queued_at: str
    device_time: str | None = None
    state: ItemState = "pending"
    code: str | None = None
    message: str | None = None
    visible_at: int | None = None
    settled: bool = False
    attachments: tuple[str, ...] = ()

    @property
    def awaiting_server(self) -> bool:
        """Not yet answered by the server (still to be sent, or sent without a recorded answer)."""
        return self.state == "pending"


class ErrorInfo(Struct, frozen=True):
    code: str
    message: str
    retryable: bool = False


class SyncSummary(Struct):
    """What one ``sync_once`` did. ``errors`` is empty when everything went through.

    ``pushed``/``applied``/``rejected`` count each item once, whether its verdict came in a push answer
    or in a pulled ``mutation`` row of this round (the answer still on its way, or lost in an earlier
    round)."""

    pushed: int = 0
    applied: int = 0
    rejected: list[QueuedItem] = msgspec.field(default_factory=list)
    retry: int = 0
    uploaded: int = 0
    pulled: int = 0
    resets: list[str] = msgspec.field(default_factory=list)
    recovered_from: int | None = None
    position: int = 0
    errors: list[ErrorInfo] = msgspec.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def retryable(self) -> bool:
        """True if every error is temporary (the loop backs off and tries again)."""
        return bool(self.errors) and all(e.retryable for e in self.errors)


class SyncStatus(Struct, frozen=True):
    """What an officer needs to know at a glance, readable offline."""

    user: UserInfo | None
    server_url: str | None
    pending: int
    unsent: int
    rejected: int
    last_sync_at: str | None
    last_error: ErrorInfo | None
    needs_update: bool
    needs_login: bool
    position: int
    other_users_pending: int = 0


class MemberView(Struct, frozen=True):
    id: int
    number: str
    name: str
    kind: str
    location_id: int
    active: bool = True


class _TransactionView(Struct, frozen=True, kw_only=True):
    """What deposits and withdrawals share: server state, or a pending local one (``status='pending'``)."""

    id: str
    member_id: int
    savings_type: str
    amount: int
    location_id: int
    status: str
    code: str | None = None
    created_by: int | None = None
    created_at: str | None = None
    device_time: str | None = None
    note: str = ""
    reason: str | None = None
    pending: bool = False
    pending_op: str | None = None
    cancelling: bool = False
    mutation_id: int | None = None


class DepositView(_TransactionView, frozen=True, kw_only=True):
    kind: str
    attachment: str | None = None


class WithdrawalView(_TransactionView, frozen=True, kw_only=True):
    method: str
    fee: int = 0
    """The transfer fee: as the server fixed it on the withdrawal; for a request still pending here, the
    fee the server will fix (the published setting), like a pending loan's admin fee."""

    @property
    def received(self) -> int:
        """What the member receives: the amount less the transfer fee."""
        return self.amount - self.fee


class BalanceView(Struct, frozen=True):
    """One savings type of a member; ``available`` already subtracts holds and pending withdrawal requests."""

    member_id: int
    savings_type: str
    name: str
    withdrawable: bool
    balance: int
    held: int
    pending_withdrawals: int
    available: int
    pending_deposits: int


class CashInHand(Struct, frozen=True):
    """Cash an officer collected and has not yet handed in (offline deposits not yet verified)."""

    total: int
    count: int
    unsynced_total: int
    unsynced_count: int


# --- loans ------------------------------------------------------------------------------------


class LoanView(Struct, frozen=True, kw_only=True):
    """A loan as the replica has it, or an application only this device knows (``status='pending'``).

    A pending application has no ``code`` yet; its ``monthly_installment``, ``terms`` and ``admin_fee``
    are what the device simulated with the product it holds (the server records the same values).
    ``pending_repayments`` sums cash repayments queued here and not yet pulled back.
    """

    id: str
    member_id: int
    product_id: int
    purpose: str
    amount: int
    tenor: int
    status: str
    code: str | None = None
    product_name: str = ""
    location_id: int = 0
    requested_disbursement_date: dt.date | None = None
    disbursement_method: str = "tunai"
    bank_name: str | None = None
    account_number: str | None = None
    account_holder: str | None = None
    monthly_installment: int = 0
    admin_fee: int = 0
    terms: ScheduleTerms | None = None
    outstanding: int = 0
    created_by: int | None = None
    created_at: str | None = None
    device_time: str | None = None
    decided_by: int | None = None
    decided_at: str | None = None
    reason: str | None = None
    disbursed_by: int | None = None
    disbursement_date: dt.date | None = None
    pending: bool = False
    pending_op: str | None = None
    cancelling: bool = False
    mutation_id: int | None = None
    pending_repayments: int = 0

    @property
    def status_label(self) -> str:
        """Diajukan, Disetujui, …; "Menunggu sinkronisasi" for an application not yet sent."""
        return PENDING_LABEL if self.status == "pending" else LOAN_STATUS_LABELS.get(self.status, self.status)


class InstallmentView(Struct, frozen=True):
    """One installment: ``paid`` is what the server recorded, ``pending_paid`` what queued cash here adds."""

    number: int
    due_date: dt.date
    principal: int
    interest: int
    amount: int
    remaining: int
    paid: int = 0
    pending_paid: int = 0

    @property
    def fully_paid(self) -> bool:
        """Fully paid by the server's record."""
        return self.paid >= self.amount

    @property
    def fully_paid_with_pending(self) -> bool:
        """Fully paid once the repayments queued on this device are applied."""
        return self.paid + self.pending_paid >= self.amount

    @property
    def due(self) -> int:
        """What is still owed on it, after the pending repayments."""
        return max(0, self.amount - self.paid - self.pending_paid)


class RepaymentView(Struct, frozen=True, kw_only=True):
    id: str
    loan_id: str
    amount: int
    member_id: int | None = None
    principal: int | None = None
    interest: int | None = None
    source: str = "tunai"
    created_at: str | None = None
    pending: bool = False
    mutation_id: int | None = None


class LoanDetail(Struct, frozen=True, kw_only=True):
    """A loan with its schedule. ``projected``: no fixed schedule yet (not disbursed), so the installments
    are simulated from the loan's terms and requested disbursement date; the real dates follow disbursement."""

    loan: LoanView
    installments: list[InstallmentView]
    projected: bool
    repayments: list[RepaymentView]

    @property
    def total_amount(self) -> int:
        return sum(i.amount for i in self.installments)

    @property
    def total_interest(self) -> int:
        return sum(i.interest for i in self.installments)

    @property
    def total_paid(self) -> int:
        return sum(i.paid for i in self.installments)

    @property
    def total_due(self) -> int:
        """Still to pay after the server's and this device's pending repayments."""
        return sum(i.due for i in self.installments)

    @property
    def next_installment(self) -> InstallmentView | None:
        """The oldest installment not fully paid (counting pending repayments)."""
        return next((i for i in self.installments if not i.fully_paid_with_pending), None)


class DeductionChangeView(Struct, frozen=True, kw_only=True):
    """A change of the voluntary payroll deduction (*perubahan setoran*): the server's, or one queued here.

    For a pending one ``current_amount`` and ``effective_month`` are the device's expectation; the server
    fixes them when the request arrives.
    """

    id: str
    member_id: int
    new_amount: int
    status: str
    savings_type: str = "sukarela"
    current_amount: int = 0
    effective_month: str = ""
    created_by: int | None = None
    created_at: str | None = None
    device_time: str | None = None
    pending: bool = False
    pending_op: str | None = None
    cancelling: bool = False
    mutation_id: int | None = None
