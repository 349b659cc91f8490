"""client_sync: a local-first SQLite client of the Lumbung sync protocol (DESIGN rules 2-11).

The public surface is re-exported here; everything else is an implementation detail::

    from client_sync import SyncClient
    from server.protocol import DepositCreate

    client = SyncClient("officer.sqlite3", "http://127.0.0.1:8000")
    client.login("petugas1", "…")                      # online, once
    item = client.queue(DepositCreate(deposit_id=client.new_id(), member_id=1, savings_type="sukarela",
                                      kind="offline", amount=150_000, location_id=1))   # offline
    client.deposits(member_id=1)                       # server state + pending, offline
    summary = client.sync_once()                       # when online
    client.verify_ledger(member_id=1)                  # the member's ledger chains, from the replica alone

    member.simulate_loan(1, 9_000_000, 12)             # loans, offline: the server's own rules
    member.apply_loan(3, 1, "Pendidikan", 5_000_000, 12)   # RuleViolation, or queued

It imports of the server only ``server.protocol`` and the pure domain modules (``server.domain.loans``,
``schedule``, ``models``, ``ledger``, ``server.errors``), never storage, HTTP or the sync engine.
"""

from .amounts import AmountError, format_rupiah, parse_amount
from .client import SyncClient, new_client_id
from .errors import (
    AttachmentRejected,
    AuthError,
    AuthExpired,
    GapError,
    InvalidCredentials,
    InvalidMutation,
    LoginRequired,
    NotConfigured,
    ProtocolMismatch,
    Rejected,
    RuleViolation,
    ServerBusy,
    SyncError,
    TransportError,
)
from .ledger import AccountCheck, LedgerVerification
from .loop import SyncLoop, backoff_delay
from .models import (
    BalanceView,
    CashInHand,
    DeductionChangeView,
    DepositView,
    ErrorInfo,
    InstallmentView,
    LoanDetail,
    LoanView,
    MemberView,
    QueuedItem,
    RepaymentView,
    SyncStatus,
    SyncSummary,
    WithdrawalView,
)
from .store import Store

__all__ = [
    "SyncClient",
    "SyncLoop",
    "Store",
    "new_client_id",
    "backoff_delay",
    "parse_amount",
    "format_rupiah",
    "AmountError",
    "QueuedItem",
    "SyncSummary",
    "SyncStatus",
    "ErrorInfo",
    "MemberView",
    "DepositView",
    "WithdrawalView",
    "BalanceView",
    "CashInHand",
    "LoanView",
    "LoanDetail",
    "InstallmentView",
    "RepaymentView",
    "DeductionChangeView",
    "LedgerVerification",
    "AccountCheck",
    "SyncError",
    "TransportError",
    "ServerBusy",
    "ProtocolMismatch",
    "AuthError",
    "InvalidCredentials",
    "AuthExpired",
    "LoginRequired",
    "GapError",
    "Rejected",
    "AttachmentRejected",
    "NotConfigured",
    "InvalidMutation",
    "RuleViolation",
]
