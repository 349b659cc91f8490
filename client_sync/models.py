"""Typed values the library hands to its callers (the CLI, a GUI): outbox items, views, status, summaries.

They are msgspec structs so they print, compare and serialise the same way as the wire protocol.
"""

from __future__ import annotations

from typing import Literal

import msgspec
from msgspec import Struct

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
]

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
    """What one ``sync_once`` did. ``errors`` is empty when everything went through."""

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
